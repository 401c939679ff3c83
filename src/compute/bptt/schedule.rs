//! Checkpointing schedules for BPTT as sequences of [`Op`]s, independent of
//! the numbers: the same generator drives the exact counters (any `T` up to
//! [`MAX_T_COUNTS`]), the animated trace and the numeric executor in
//! [`super`], so what is counted is what is run.
//!
//! Cost model. States are `h_0 … h_T`; `h_0 = 0` is a known constant and needs
//! no slot. Memory is the number of hidden-state vectors held at once: the
//! stored checkpoints plus the *cursor* (the state just computed) when it is
//! not itself stored. The gradient carry `dh` and the weight-gradient
//! accumulators are the same in every schedule and are not counted. Backward
//! step `t` needs `h_{t-1}` and `h_t`; as in Griewank's revolve, the
//! checkpointing schedules recompute `h_t` from `h_{t-1}` right before it, so
//! only store-all backpropagates without any recomputation.

use serde::Serialize;

/// Largest `T` for counts (the numeric run has its own, smaller bound).
pub const MAX_T_COUNTS: u64 = 1_000_000;

/// One action of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Advance the cursor from `h_from` (stored, `h_0`, or the cursor) to
    /// `h_to`: `to − from` forward steps.
    Forward { from: u64, to: u64 },
    /// Keep the cursor `h_t` as a checkpoint.
    Store { t: u64 },
    /// Drop checkpoint `h_t`.
    Free { t: u64 },
    /// Backpropagate through step `t` (needs `h_{t−1}` and `h_t`); the cursor
    /// at `h_t` is no longer needed afterwards.
    Backward { t: u64 },
}

/// Which schedule to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// Baseline (`M = T`): store every state, backpropagate without recomputing.
    StoreAll,
    /// 5(a): recursive halving, `1 + ⌈log₂ T⌉` slots.
    Recursive,
    /// 5(b): `M − 2` evenly spaced checkpoints, each segment reversed with two
    /// slots by recomputing from its checkpoint for every step.
    Fixed,
}

impl Schedule {
    pub const ALL: [Schedule; 3] = [Schedule::StoreAll, Schedule::Recursive, Schedule::Fixed];
    pub const NAMES: &'static [&'static str] = &["store-all", "recursive", "fixed"];

    pub fn name(self) -> &'static str {
        match self {
            Schedule::StoreAll => "store-all",
            Schedule::Recursive => "recursive",
            Schedule::Fixed => "fixed",
        }
    }

    pub fn parse(s: &str) -> Option<Schedule> {
        Schedule::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn next(self) -> Schedule {
        match self {
            Schedule::StoreAll => Schedule::Recursive,
            Schedule::Recursive => Schedule::Fixed,
            Schedule::Fixed => Schedule::StoreAll,
        }
    }

    /// Memory slots the schedule uses for `t` steps (given `slots` for fixed).
    pub fn slots_needed(self, t: u64, slots: u64) -> u64 {
        match self {
            Schedule::StoreAll => t,
            Schedule::Recursive => recursive_peak(t),
            Schedule::Fixed => fixed_peak(t, slots),
        }
    }
}

/// `⌈log₂ n⌉` for `n ≥ 1`.
pub fn ceil_log2(n: u64) -> u64 {
    u64::from(64 - n.max(1).saturating_sub(1).leading_zeros())
}

/// Emit the ops of `schedule` for `t ≥ 1` steps; `slots` is the budget of
/// the fixed schedule (at least 2) and is ignored by the others.
pub fn emit(schedule: Schedule, t: u64, slots: u64, sink: &mut dyn FnMut(Op)) {
    if t == 0 {
        return;
    }
    match schedule {
        Schedule::StoreAll => store_all(t, sink),
        Schedule::Recursive => recursive(0, t, sink),
        Schedule::Fixed => fixed(t, slots, sink),
    }
}

fn store_all(t: u64, sink: &mut dyn FnMut(Op)) {
    for s in 1..=t {
        sink(Op::Forward { from: s - 1, to: s });
        sink(Op::Store { t: s });
    }
    for s in (1..=t).rev() {
        sink(Op::Backward { t: s });
        sink(Op::Free { t: s });
    }
}

/// Backpropagate through steps `lo+1 ..= hi`, given `h_lo` (stored or `h_0`)
/// and the gradient arriving at `h_hi`. The right half goes first because
/// its result, the gradient at `h_mid`, is what the left half starts from.
fn recursive(lo: u64, hi: u64, sink: &mut dyn FnMut(Op)) {
    if hi - lo == 1 {
        sink(Op::Forward { from: lo, to: hi });
        sink(Op::Backward { t: hi });
        return;
    }
    let mid = lo + (hi - lo) / 2;
    sink(Op::Forward { from: lo, to: mid });
    sink(Op::Store { t: mid });
    recursive(mid, hi, sink);
    sink(Op::Free { t: mid });
    recursive(lo, mid, sink);
}

/// Checkpoint boundaries of the fixed schedule: `b_i = ⌊i·T/(c+1)⌋`,
/// `i = 0 ..= c+1`, with `c = min(M − 2, T − 1)` checkpoints.
pub fn fixed_boundaries(t: u64, slots: u64) -> Vec<u64> {
    let c = fixed_checkpoints(t, slots);
    (0..=c + 1)
        .map(|i| ((u128::from(i) * u128::from(t)) / u128::from(c + 1)) as u64)
        .collect()
}

pub fn fixed_checkpoints(t: u64, slots: u64) -> u64 {
    slots.max(2).saturating_sub(2).min(t.saturating_sub(1))
}

fn fixed(t: u64, slots: u64, sink: &mut dyn FnMut(Op)) {
    let b = fixed_boundaries(t, slots);
    let c = b.len() - 2;
    for i in 1..=c {
        sink(Op::Forward {
            from: b[i - 1],
            to: b[i],
        });
        sink(Op::Store { t: b[i] });
    }
    for i in (0..=c).rev() {
        let (lo, hi) = (b[i], b[i + 1]);
        quadratic(lo, hi, sink);
        if lo > 0 {
            sink(Op::Free { t: lo });
        }
    }
}

/// Reverse `lo+1 ..= hi` with two slots: for every step, recompute from
/// `h_lo`, keep `h_{t−1}`, advance once more and backpropagate.
fn quadratic(lo: u64, hi: u64, sink: &mut dyn FnMut(Op)) {
    for s in (lo + 1..=hi).rev() {
        if s - 1 > lo {
            sink(Op::Forward {
                from: lo,
                to: s - 1,
            });
            sink(Op::Store { t: s - 1 });
            sink(Op::Forward { from: s - 1, to: s });
            sink(Op::Backward { t: s });
            sink(Op::Free { t: s - 1 });
        } else {
            sink(Op::Forward { from: lo, to: s });
            sink(Op::Backward { t: s });
        }
    }
}

/// Which states are held, and the counters; checks every op is legal.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracker {
    stored: Vec<bool>,
    n_stored: u64,
    pub cursor: Option<u64>,
    /// Next backward step expected (`T`, then `T − 1`, …, 0 when done).
    pub next_backward: u64,
    pub counts: Counts,
    /// The first illegal op, if any.
    pub error: Option<String>,
}

/// Exact costs of a schedule run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub forward_steps: u64,
    pub backward_steps: u64,
    pub stores: u64,
    /// Hidden-state vectors held right now.
    pub memory: u64,
    /// Most hidden-state vectors held at once.
    pub peak_memory: u64,
}

impl Tracker {
    pub fn new(t: u64) -> Tracker {
        Tracker {
            stored: vec![false; t as usize + 1],
            n_stored: 0,
            cursor: None,
            next_backward: t,
            counts: Counts::default(),
            error: None,
        }
    }

    pub fn is_stored(&self, t: u64) -> bool {
        self.stored.get(t as usize).copied().unwrap_or(false)
    }

    /// Stored checkpoints, in order.
    pub fn stored(&self) -> Vec<u64> {
        (0..self.stored.len() as u64)
            .filter(|t| self.stored[*t as usize])
            .collect()
    }

    fn available(&self, t: u64) -> bool {
        t == 0 || self.is_stored(t) || self.cursor == Some(t)
    }

    fn memory(&self) -> u64 {
        let extra = matches!(self.cursor, Some(c) if c != 0 && !self.is_stored(c));
        self.n_stored + u64::from(extra)
    }

    fn fail(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(msg);
        }
    }

    pub fn apply(&mut self, op: Op) {
        let last = self.stored.len() as u64 - 1;
        match op {
            Op::Forward { from, to } => {
                if !self.available(from) || to <= from || to > last {
                    self.fail(format!("{op:?}: h_{from} is not available"));
                }
                self.counts.forward_steps += to.saturating_sub(from);
                self.cursor = Some(to);
            }
            Op::Store { t } => {
                if self.cursor != Some(t) || t == 0 || t > last || self.is_stored(t) {
                    self.fail(format!("{op:?}: the cursor is not h_{t}"));
                } else {
                    self.stored[t as usize] = true;
                    self.n_stored += 1;
                    self.counts.stores += 1;
                }
            }
            Op::Free { t } => {
                if !self.is_stored(t) {
                    self.fail(format!("{op:?}: h_{t} is not stored"));
                } else {
                    self.stored[t as usize] = false;
                    self.n_stored -= 1;
                    if self.cursor == Some(t) {
                        self.cursor = None;
                    }
                }
            }
            Op::Backward { t } => {
                if t != self.next_backward || t == 0 || !self.available(t) || !self.available(t - 1)
                {
                    self.fail(format!("{op:?}: out of order or a state is missing"));
                }
                self.counts.backward_steps += 1;
                self.next_backward = t.saturating_sub(1);
                if self.cursor == Some(t) {
                    self.cursor = None;
                }
            }
        }
        self.counts.memory = self.memory();
        self.counts.peak_memory = self.counts.peak_memory.max(self.counts.memory);
    }
}

/// Run the generator through a [`Tracker`]: exact counts, and an error if
/// the schedule is illegal or does not backpropagate through every step.
pub fn count(schedule: Schedule, t: u64, slots: u64) -> Result<Counts, String> {
    let mut tracker = Tracker::new(t);
    emit(schedule, t, slots, &mut |op| tracker.apply(op));
    if let Some(e) = tracker.error {
        return Err(e);
    }
    if tracker.counts.backward_steps != t || tracker.counts.memory != 0 {
        return Err(format!("incomplete schedule: {:?}", tracker.counts));
    }
    Ok(tracker.counts)
}

/// One frame of the animation: the op just applied (forwards split into
/// single steps) and the state after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frame {
    pub op: Op,
    pub stored: Vec<u64>,
    pub cursor: Option<u64>,
    pub counts: Counts,
}

/// Largest `T` for which a trace is built.
pub const MAX_TRACE_T: u64 = 256;

/// The schedule as frames, one per forward step, store, free and backward step.
pub fn trace(schedule: Schedule, t: u64, slots: u64) -> Result<Vec<Frame>, String> {
    if t > MAX_TRACE_T {
        return Err(format!("t: a trace is built for t <= {MAX_TRACE_T}"));
    }
    let mut tracker = Tracker::new(t);
    let mut frames = Vec::new();
    emit(schedule, t, slots, &mut |op| {
        let ops: Vec<Op> = match op {
            Op::Forward { from, to } => (from..to)
                .map(|s| Op::Forward { from: s, to: s + 1 })
                .collect(),
            other => vec![other],
        };
        for op in ops {
            tracker.apply(op);
            frames.push(Frame {
                op,
                stored: tracker.stored(),
                cursor: tracker.cursor,
                counts: tracker.counts,
            });
        }
    });
    match tracker.error {
        Some(e) => Err(e),
        None => Ok(frames),
    }
}

// ---- Closed forms and recurrences, checked against `count` in the tests ----

/// Forward steps of the recursive halving for `n ≥ 1` steps:
/// `F(1) = 1`, `F(n) = ⌊n/2⌋ + F(⌈n/2⌉) + F(⌊n/2⌋)`. Evaluated in
/// `O(log n)` through the pair `(F(k), F(k+1))` with `k = ⌊n/2⌋`.
pub fn recursive_forward(n: u64) -> u64 {
    fn pair(n: u64) -> (u64, u64) {
        if n <= 1 {
            return (1, 3); // F(1) = 1, F(2) = 1 + F(1) + F(1)
        }
        let k = n / 2;
        let (fk, fk1) = pair(k);
        if n.is_multiple_of(2) {
            (k + 2 * fk, k + fk1 + fk)
        } else {
            (k + fk1 + fk, (k + 1) + 2 * fk1)
        }
    }
    if n == 0 { 0 } else { pair(n).0 }
}

/// Peak memory of the recursive halving: `P(1) = 1` (the cursor),
/// `P(n) = 1 + P(⌈n/2⌉)`, i.e. `1 + ⌈log₂ n⌉`.
pub fn recursive_peak(n: u64) -> u64 {
    if n == 0 { 0 } else { 1 + ceil_log2(n) }
}

/// Forward steps of the fixed schedule: the sweep to the last checkpoint,
/// then `n(n+1)/2` per segment of `n` steps (`q` or `q+1` steps each).
pub fn fixed_forward(t: u64, slots: u64) -> u64 {
    if t == 0 {
        return 0;
    }
    let c = fixed_checkpoints(t, slots);
    let segments = c + 1;
    let (q, r) = (t / segments, t % segments);
    let tri = |n: u64| n * (n + 1) / 2;
    let sweep = ((u128::from(c) * u128::from(t)) / u128::from(segments)) as u64;
    sweep + r * tri(q + 1) + (segments - r) * tri(q)
}

/// Peak memory of the fixed schedule: the checkpoints plus two slots (one
/// if every segment has a single step).
pub fn fixed_peak(t: u64, slots: u64) -> u64 {
    if t == 0 {
        return 0;
    }
    let c = fixed_checkpoints(t, slots);
    let longest = t.div_ceil(c + 1);
    c + if longest >= 2 { 2 } else { 1 }
}

/// The optimum (Griewank's binomial checkpointing, "revolve") in this cost
/// model with `m ≥ 2` slots, i.e. `s = m − 1` checkpoints besides the cursor:
/// `T + r·T − C(s + r, s + 1)`, with `r` the least integer such that
/// `C(s + r, s) ≥ T`. Only the count: the schedule itself is not built.
pub fn revolve_forward(t: u64, slots: u64) -> Option<u64> {
    if t == 0 {
        return Some(0);
    }
    if slots < 2 {
        return (t == 1).then_some(1);
    }
    let s = u128::from(slots - 1);
    let t128 = u128::from(t);
    // beta = C(s + r, s), grown one r at a time: C(s+r, s) = C(s+r−1, s)·(s+r)/r.
    // It stays below T·(s + r) before the loop stops, so u128 never overflows.
    let (mut r, mut beta) = (0u128, 1u128);
    if s == 1 {
        // C(1 + r, 1) = r + 1: skip the T − 1 iterations.
        (r, beta) = (t128 - 1, t128);
    }
    while beta < t128 {
        r += 1;
        beta = beta * (s + r) / r;
    }
    // C(s + r, s + 1) = C(s + r, s)·r/(s + 1), exact because the product is
    // C(s + r, s + 1)·(s + 1).
    let sub = beta * r / (s + 1);
    u64::try_from(t128 * (r + 1) - sub).ok()
}

/// Forward steps of a schedule in closed form (no ops emitted).
pub fn forward_closed_form(schedule: Schedule, t: u64, slots: u64) -> u64 {
    match schedule {
        Schedule::StoreAll => t,
        Schedule::Recursive => recursive_forward(t),
        Schedule::Fixed => fixed_forward(t, slots),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The optimum of this cost model by brute force: reversing `n` steps
    /// from a held `h_lo` with `m` slots costs `1` if `n = 1`, else the best
    /// first checkpoint `j`: `j + Opt(n − j, m − 1) + Opt(j, m)`.
    fn brute_optimum(n_max: usize, m_max: usize) -> Vec<Vec<u64>> {
        let inf = u64::MAX / 4;
        let mut opt = vec![vec![inf; m_max + 1]; n_max + 1];
        for slot in opt[1].iter_mut().skip(1) {
            *slot = 1;
        }
        for n in 2..=n_max {
            for m in 2..=m_max {
                opt[n][m] = (1..n)
                    .map(|j| j as u64 + opt[n - j][m - 1] + opt[j][m])
                    .min()
                    .unwrap_or(inf);
            }
        }
        opt
    }

    #[test]
    fn every_schedule_is_legal_and_complete() {
        for t in 1..=70 {
            for schedule in Schedule::ALL {
                for slots in [2, 3, 4, 8, 100] {
                    let c = count(schedule, t, slots)
                        .unwrap_or_else(|e| panic!("{schedule:?} t={t} m={slots}: {e}"));
                    assert_eq!(c.backward_steps, t);
                    assert_eq!(
                        c.peak_memory,
                        schedule.slots_needed(t, slots),
                        "{schedule:?} {t} {slots}"
                    );
                }
            }
        }
    }

    #[test]
    fn recursive_count_matches_the_recurrence() {
        let recurrence = |n: u64| {
            let mut f = vec![0u64, 1];
            for k in 2..=n {
                let k = k as usize;
                f.push((k / 2) as u64 + f[k - k / 2] + f[k / 2]);
            }
            f[n as usize]
        };
        for t in (1..=300).chain([511, 512, 513, 1000, 4096, 5000]) {
            let c = count(Schedule::Recursive, t, 0).unwrap();
            assert_eq!(c.forward_steps, recursive_forward(t), "t={t}");
            assert_eq!(c.forward_steps, recurrence(t), "t={t}");
            assert_eq!(c.peak_memory, 1 + ceil_log2(t), "t={t}");
        }
        // Powers of two: F(2^k) = 2^k (k/2 + 1) = T log₂T / 2 + T.
        for k in 0..20u64 {
            let t = 1u64 << k;
            assert_eq!(recursive_forward(t) * 2, t * k + 2 * t, "k={k}");
        }
        // Between powers of two the count lies between the neighbours' formula values.
        for t in [1_000_000u64, 999_999, 1000] {
            let lg = (t as f64).log2();
            let f = recursive_forward(t) as f64;
            let formula = t as f64 * lg / 2.0 + t as f64;
            assert!((f / formula - 1.0).abs() < 0.05, "t={t} {f} {formula}");
        }
    }

    #[test]
    fn fixed_count_matches_the_closed_form() {
        for t in 1..=120 {
            for slots in 2..=12 {
                let c = count(Schedule::Fixed, t, slots).unwrap();
                assert_eq!(c.forward_steps, fixed_forward(t, slots), "t={t} m={slots}");
                assert_eq!(c.peak_memory, fixed_peak(t, slots));
            }
        }
        // Two slots: recompute from h_0 for every step, T(T+1)/2.
        assert_eq!(fixed_forward(1000, 2), 1000 * 1001 / 2);
        // Large T: ≈ T²/(2(M−1)).
        let (t, m) = (1_000_000u64, 8u64);
        let approx = (t * t) as f64 / (2.0 * (m - 1) as f64);
        assert!((fixed_forward(t, m) as f64 / approx - 1.0).abs() < 1e-4);
    }

    #[test]
    fn revolve_formula_is_the_brute_force_optimum() {
        let opt = brute_optimum(150, 7);
        for (n, row) in opt.iter().enumerate().skip(1) {
            for (m, best) in row.iter().enumerate().skip(2) {
                assert_eq!(
                    revolve_forward(n as u64, m as u64),
                    Some(*best),
                    "n={n} m={m}"
                );
            }
        }
        // Every schedule we run costs at least the optimum at its memory.
        for t in 1..=150u64 {
            let r = count(Schedule::Recursive, t, 0).unwrap();
            assert!(r.forward_steps >= revolve_forward(t, r.peak_memory).unwrap());
            for m in 2..=7 {
                assert!(fixed_forward(t, m) >= opt[t as usize][m as usize]);
            }
        }
        assert!(revolve_forward(MAX_T_COUNTS, 2).is_some());
        assert!(revolve_forward(MAX_T_COUNTS, MAX_T_COUNTS).is_some());
    }

    #[test]
    fn trace_splits_forwards_and_ends_empty() {
        let frames = trace(Schedule::Recursive, 16, 0).unwrap();
        let fwd = frames
            .iter()
            .filter(|f| matches!(f.op, Op::Forward { .. }))
            .count() as u64;
        assert_eq!(fwd, recursive_forward(16));
        let last = frames.last().unwrap();
        assert_eq!(last.counts.memory, 0);
        assert!(last.stored.is_empty());
        assert!(trace(Schedule::StoreAll, MAX_TRACE_T + 1, 0).is_err());
    }

    #[test]
    fn tracker_rejects_illegal_ops() {
        let mut t = Tracker::new(4);
        t.apply(Op::Forward { from: 2, to: 3 });
        assert!(t.error.is_some());
        let mut t = Tracker::new(4);
        t.apply(Op::Backward { t: 3 });
        assert!(t.error.is_some());
    }

    #[test]
    fn ceil_log2_values() {
        assert_eq!(
            [1, 2, 3, 4, 5, 16, 17].map(ceil_log2),
            [0, 1, 2, 2, 3, 4, 5]
        );
    }
}
