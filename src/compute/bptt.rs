//! Problem 5: backpropagation through time under a memory budget.
//!
//! The RNN `h_t = tanh(W_hh h_{t−1} + W_xh x_t)`, `h_0 = 0`, with a seeded
//! upstream gradient `g_t = ∂L_t/∂h_t` per step (the midterm's "given"
//! gradient). For the gradient check that is the loss `L = Σ_t g_t · h_t`,
//! whose gradient with respect to `h_t` is exactly `g_t`.
//!
//! [`baseline`] is plain BPTT that stores every state. [`run_schedule`]
//! executes any [`schedule::Schedule`] op by op (recomputing states from
//! checkpoints) and must reproduce the baseline's gradients bit for bit.

pub mod optimal;
pub mod schedule;

use std::ops::ControlFlow;

use ndarray::{Array1, Array2, ArrayView1};
use serde::Serialize;
use serde_json::json;

use super::gradcheck::{self, GradCheck};
use super::layer_table::thousands;
use super::{
    Computation, ComputeError, Facts, ParamError, ParamSpec, Params, Progress, ProgressFn, Report,
    rng,
};
use schedule::{Counts, MAX_T_COUNTS, Op, Schedule, Tracker};

/// Largest `T` for the numeric run (counts go up to [`MAX_T_COUNTS`]).
pub const MAX_T_NUMERIC: u64 = 4096;
/// Largest hidden size `K` and input size `C`.
pub const MAX_K: usize = 64;
pub const MAX_C: usize = 64;
/// Numeric runs are skipped above this many multiply-adds (forward steps
/// times `K(K + C)`), so the worst case stays well under a second.
pub const MAX_NUMERIC_WORK: u64 = 200_000_000;
/// Budget of multiply-adds for the finite-difference check; above it, a
/// strided subset of the entries is checked.
pub const GRADCHECK_WORK: u64 = 50_000_000;

pub const DEFAULT_SEED: u64 = 5;
pub const DEFAULT_T: u64 = 16;
pub const DEFAULT_K: usize = 4;
pub const DEFAULT_C: usize = 3;
/// The fixed schedule's default budget.
pub const DEFAULT_M: u64 = 8;

/// Weights, inputs and upstream gradients of one problem instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub seed: u64,
    /// `[K][K]`, `[out][in]`.
    pub w_hh: Array2<f64>,
    /// `[K][C]`, `[out][in]`.
    pub w_xh: Array2<f64>,
    /// `[T][C]`: row `t − 1` is `x_t`.
    pub x: Array2<f64>,
    /// `[T][K]`: row `t − 1` is `g_t = ∂L_t/∂h_t`.
    pub g: Array2<f64>,
}

impl Problem {
    /// Seeded instance: `W_hh ~ N(0, 1/K)`, `W_xh ~ N(0, 1/C)`, `x, g ~ N(0, 1)`.
    pub fn seeded(seed: u64, t: usize, k: usize, c: usize) -> Problem {
        let mut r = rng::seeded(seed);
        let w_hh = rng::normal(&mut r, (k, k), 1.0 / (k as f64).sqrt());
        let w_xh = rng::normal(&mut r, (k, c), 1.0 / (c as f64).sqrt());
        let x = rng::normal(&mut r, (t, c), 1.0);
        let g = rng::normal(&mut r, (t, k), 1.0);
        Problem {
            seed,
            w_hh,
            w_xh,
            x,
            g,
        }
    }

    pub fn steps(&self) -> usize {
        self.x.nrows()
    }

    pub fn hidden(&self) -> usize {
        self.w_hh.nrows()
    }

    /// `h_t = tanh(W_hh h_{t−1} + W_xh x_t)`.
    pub fn step(&self, h_prev: ArrayView1<'_, f64>, t: usize) -> Array1<f64> {
        // Plain loops: at the sizes the panel and the facts use (K = 4) this
        // is several times faster than two general matrix-vector products.
        let x = self.x.row(t - 1);
        Array1::from_shape_fn(self.hidden(), |i| {
            let recurrent: f64 = self
                .w_hh
                .row(i)
                .iter()
                .zip(&h_prev)
                .map(|(w, h)| w * h)
                .sum();
            let input: f64 = self.w_xh.row(i).iter().zip(&x).map(|(w, v)| w * v).sum();
            (recurrent + input).tanh()
        })
    }

    /// Multiply-adds of one forward step.
    pub fn step_work(&self) -> u64 {
        (self.hidden() * (self.hidden() + self.x.ncols())) as u64
    }
}

/// Gradients of `L = Σ_t g_t · h_t`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grads {
    pub w_hh: Array2<f64>,
    pub w_xh: Array2<f64>,
    /// `[T][C]`.
    pub x: Array2<f64>,
    /// `∂L/∂h_0`.
    pub h0: Array1<f64>,
}

impl Grads {
    fn zeros(p: &Problem) -> Grads {
        Grads {
            w_hh: Array2::zeros(p.w_hh.raw_dim()),
            w_xh: Array2::zeros(p.w_xh.raw_dim()),
            x: Array2::zeros(p.x.raw_dim()),
            h0: Array1::zeros(p.hidden()),
        }
    }

    /// Largest absolute difference over every gradient entry.
    pub fn max_abs_diff(&self, other: &Grads) -> f64 {
        let diff = |a: f64, b: f64| (a - b).abs();
        let w_hh = self.w_hh.iter().zip(&other.w_hh);
        let w_xh = self.w_xh.iter().zip(&other.w_xh);
        let x = self.x.iter().zip(&other.x);
        let h0 = self.h0.iter().zip(&other.h0);
        w_hh.chain(w_xh)
            .chain(x)
            .chain(h0)
            .map(|(a, b)| diff(*a, *b))
            .fold(0.0, f64::max)
    }
}

/// `g += a vᵀ`, as loops: at K = 4 this is much cheaper than ndarray's
/// general matrix products.
fn add_outer(g: &mut Array2<f64>, a: &Array1<f64>, v: ArrayView1<'_, f64>) {
    for (i, d) in a.iter().enumerate() {
        for (g, v) in g.row_mut(i).iter_mut().zip(&v) {
            *g += d * v;
        }
    }
}

/// The part of backward step `t` that needs `h_t` alone: given
/// `dh = ∂L/∂h_t` (upstream `g_t` included), `a_t = dh ⊙ (1 − h_t²)`;
/// `dW_xh += a_t x_tᵀ`, `dx_t = W_xhᵀ a_t`. Returns `a_t` and
/// `∂L/∂h_{t−1} = W_hhᵀ a_t` (without `g_{t−1}`). The remaining term,
/// `dW_hh += a_t h_{t−1}ᵀ`, is the caller's.
fn reverse_step(
    p: &Problem,
    t: usize,
    h: ArrayView1<'_, f64>,
    dh: &Array1<f64>,
    grads: &mut Grads,
) -> (Array1<f64>, Array1<f64>) {
    let a = Array1::from_shape_fn(h.len(), |i| dh[i] * (1.0 - h[i] * h[i]));
    add_outer(&mut grads.w_xh, &a, p.x.row(t - 1));
    let transpose_times = |w: &Array2<f64>| {
        Array1::from_shape_fn(w.ncols(), |j| {
            w.column(j).iter().zip(&a).map(|(w, d)| w * d).sum()
        })
    };
    grads.x.row_mut(t - 1).assign(&transpose_times(&p.w_xh));
    let dh_prev = transpose_times(&p.w_hh);
    (a, dh_prev)
}

/// One whole backward step `t`, as textbook BPTT does it with `h_{t−1}` and
/// `h_t` both at hand: [`reverse_step`], then `dW_hh += a_t h_{t−1}ᵀ`.
fn backward_step(
    p: &Problem,
    t: usize,
    h_prev: ArrayView1<'_, f64>,
    h: ArrayView1<'_, f64>,
    dh: &Array1<f64>,
    grads: &mut Grads,
) -> Array1<f64> {
    let (a, dh_prev) = reverse_step(p, t, h, dh, grads);
    add_outer(&mut grads.w_hh, &a, h_prev);
    dh_prev
}

/// All states `h_0 … h_T` as rows of a `[T+1][K]` array.
pub fn forward(p: &Problem) -> Array2<f64> {
    let (t, k) = (p.steps(), p.hidden());
    let mut h = Array2::zeros((t + 1, k));
    for s in 1..=t {
        let next = p.step(h.row(s - 1), s);
        h.row_mut(s).assign(&next);
    }
    h
}

/// `L = Σ_t g_t · h_t`.
pub fn loss(p: &Problem) -> f64 {
    let h = forward(p);
    (1..=p.steps()).map(|t| h.row(t).dot(&p.g.row(t - 1))).sum()
}

/// Baseline BPTT (`M = T`): store every state, then one backward sweep.
pub fn baseline(p: &Problem) -> Grads {
    let h = forward(p);
    let mut grads = Grads::zeros(p);
    let mut carry = Array1::zeros(p.hidden());
    for t in (1..=p.steps()).rev() {
        let dh = &carry + &p.g.row(t - 1);
        carry = backward_step(p, t, h.row(t - 1), h.row(t), &dh, &mut grads);
    }
    grads.h0 = carry;
    grads
}

/// Execute `schedule` op by op with real vectors: checkpoints live in a
/// map, the cursor in one vector, and every op is checked by a [`Tracker`].
/// Each backward op sees `h_t` only; per gradient entry the additions happen
/// in the baseline's order, so the gradients are the baseline's bit for bit.
pub fn run_schedule(
    p: &Problem,
    schedule: Schedule,
    slots: u64,
    progress: &mut ProgressFn<'_>,
) -> Result<(Grads, Counts), ComputeError> {
    let t_max = p.steps();
    let mut tracker = Tracker::new(t_max as u64);
    let mut stored: std::collections::BTreeMap<u64, Array1<f64>> = Default::default();
    let zero = Array1::<f64>::zeros(p.hidden());
    let mut cursor: (u64, Array1<f64>) = (0, zero.clone());
    let mut grads = Grads::zeros(p);
    let mut carry = Array1::<f64>::zeros(p.hidden());
    // a_{t+1}, carried until h_t is visited (the only use of h_t in step t+1).
    let mut pending: Option<Array1<f64>> = None;
    let mut cancelled = false;
    let total = schedule::forward_closed_form(schedule, t_max as u64, slots);
    let mut ops = 0u64;
    let get = |stored: &std::collections::BTreeMap<u64, Array1<f64>>,
               cursor: &(u64, Array1<f64>),
               t: u64|
     -> Array1<f64> {
        if cursor.0 == t {
            cursor.1.clone()
        } else if t == 0 {
            zero.clone()
        } else {
            stored.get(&t).cloned().unwrap_or_else(|| zero.clone())
        }
    };
    schedule::emit(schedule, t_max as u64, slots, &mut |op| {
        if cancelled || tracker.error.is_some() {
            return;
        }
        tracker.apply(op);
        if tracker.error.is_some() {
            return;
        }
        match op {
            Op::Forward { from, to } => {
                let mut h = get(&stored, &cursor, from);
                for s in from + 1..=to {
                    h = p.step(h.view(), s as usize);
                }
                cursor = (to, h);
            }
            Op::Store { t } => {
                stored.insert(t, cursor.1.clone());
            }
            Op::Free { t } => {
                stored.remove(&t);
            }
            Op::Backward { t } => {
                // h_t finishes step t+1 (its dW_hh term) and does step t's
                // own part; a_t waits for h_{t−1}.
                let h = get(&stored, &cursor, t);
                if let Some(a_next) = &pending {
                    add_outer(&mut grads.w_hh, a_next, h.view());
                }
                let dh = &carry + &p.g.row(t as usize - 1);
                let (a, dh_prev) = reverse_step(p, t as usize, h.view(), &dh, &mut grads);
                pending = Some(a);
                carry = dh_prev;
            }
        }
        ops += 1;
        if ops.is_multiple_of(256) {
            let done = tracker.counts.forward_steps.min(total);
            let flow = progress(Progress {
                done,
                total,
                label: format!("{} schedule", schedule.name()),
            });
            cancelled = flow == ControlFlow::Break(());
        }
    });
    if cancelled {
        return Err(ComputeError::Cancelled);
    }
    if let Some(e) = tracker.error {
        return Err(ComputeError::Shape(format!("schedule: {e}")));
    }
    // Step 1's dW_hh term uses h_0 = 0: added all the same, so the floating
    // point operations are exactly the baseline's.
    if let Some(a) = &pending {
        add_outer(&mut grads.w_hh, a, zero.view());
    }
    grads.h0 = carry;
    Ok((grads, tracker.counts))
}

/// `Σ_{s > t0} g_s · h_s` from `h_{t0} = start`, without allocating per step
/// (the grad check calls this a few hundred times, also inside [`facts`]).
fn loss_tail(p: &Problem, start: &[f64], t0: usize, h: &mut Vec<f64>, next: &mut Vec<f64>) -> f64 {
    let (w_hh, w_xh) = (p.w_hh.as_standard_layout(), p.w_xh.as_standard_layout());
    let (x, g) = (p.x.as_standard_layout(), p.g.as_standard_layout());
    let (Some(w_hh), Some(w_xh), Some(x), Some(g)) =
        (w_hh.as_slice(), w_xh.as_slice(), x.as_slice(), g.as_slice())
    else {
        return f64::NAN; // unreachable: standard layout is contiguous
    };
    let (k, c) = (p.hidden(), p.x.ncols());
    h.clear();
    h.extend_from_slice(start);
    let mut l = 0.0;
    for t in t0 + 1..=p.steps() {
        let x_t = &x[(t - 1) * c..t * c];
        next.clear();
        for (wh, wx) in w_hh.chunks_exact(k).zip(w_xh.chunks_exact(c)) {
            let recurrent: f64 = wh.iter().zip(h.iter()).map(|(w, v)| w * v).sum();
            let input: f64 = wx.iter().zip(x_t).map(|(w, v)| w * v).sum();
            next.push((recurrent + input).tanh());
        }
        std::mem::swap(h, next);
        let g_t = &g[(t - 1) * k..t * k];
        l += h.iter().zip(g_t).map(|(a, b)| a * b).sum::<f64>();
    }
    l
}

/// Central differences of `L` for `W_hh`, `W_xh`, `X` and `h_0`, on every
/// entry or, when that would exceed [`GRADCHECK_WORK`], a strided subset.
/// Perturbing `x_t` changes only the steps from `t` on, so those entries
/// difference the tail of the loss from the stored `h_{t−1}`.
pub fn grad_check(p: &Problem, grads: &Grads) -> GradCheck {
    let per_loss = 2 * p.step_work() * p.steps() as u64;
    let entries = p.w_hh.len() + p.w_xh.len() + p.x.len() + p.hidden();
    let budget = (GRADCHECK_WORK / per_loss.max(1)).max(8) as usize;
    let stride = entries.div_ceil(budget).max(1);
    let states = forward(p);
    let zero = vec![0.0; p.hidden()];
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut q = p.clone();
    let mut result = GradCheck::NONE;
    let mut index = 0usize;
    fn entry(q: &mut Problem, which: usize, r: usize, c: usize) -> &mut f64 {
        match which {
            0 => &mut q.w_hh[(r, c)],
            1 => &mut q.w_xh[(r, c)],
            _ => &mut q.x[(r, c)],
        }
    }
    for which in 0..3 {
        let analytic = match which {
            0 => &grads.w_hh,
            1 => &grads.w_xh,
            _ => &grads.x,
        };
        let n = analytic.len();
        for i in 0..n {
            if !(index + i).is_multiple_of(stride) {
                continue;
            }
            let (r, c) = (i / analytic.ncols(), i % analytic.ncols());
            // Weights affect every step; x_{r+1} only steps r+1 onwards.
            let t0 = if which == 2 { r } else { 0 };
            let start = states.row(t0).to_vec();
            let original = *entry(&mut q, which, r, c);
            *entry(&mut q, which, r, c) = original + gradcheck::STEP;
            let plus = loss_tail(&q, &start, t0, &mut a, &mut b);
            *entry(&mut q, which, r, c) = original - gradcheck::STEP;
            let minus = loss_tail(&q, &start, t0, &mut a, &mut b);
            *entry(&mut q, which, r, c) = original;
            let numeric = (plus - minus) / (2.0 * gradcheck::STEP);
            result = result.merge(GradCheck {
                max_rel_error: gradcheck::relative_error(analytic[(r, c)], numeric),
                worst_index: index + i,
                checked: 1,
            });
        }
        index += n;
    }
    // h_0 is not a field of the problem: perturb the starting state instead.
    for i in 0..p.hidden() {
        if !(index + i).is_multiple_of(stride) {
            continue;
        }
        let mut start = zero.clone();
        start[i] = gradcheck::STEP;
        let plus = loss_tail(p, &start, 0, &mut a, &mut b);
        start[i] = -gradcheck::STEP;
        let minus = loss_tail(p, &start, 0, &mut a, &mut b);
        let numeric = (plus - minus) / (2.0 * gradcheck::STEP);
        result = result.merge(GradCheck {
            max_rel_error: gradcheck::relative_error(grads.h0[i], numeric),
            worst_index: index + i,
            checked: 1,
        });
    }
    result
}

/// Everything about one numeric run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Numeric {
    pub grads: Grads,
    pub counts: Counts,
    /// Largest `|schedule gradient − baseline gradient|` over every entry.
    pub max_abs_diff_to_baseline: f64,
    pub grad_check: GradCheck,
}

pub fn numeric(
    p: &Problem,
    schedule: Schedule,
    slots: u64,
    progress: &mut ProgressFn<'_>,
) -> Result<Numeric, ComputeError> {
    let base = baseline(p);
    let (grads, counts) = run_schedule(p, schedule, slots, progress)?;
    let grad_check = grad_check(p, &base);
    Ok(Numeric {
        max_abs_diff_to_baseline: grads.max_abs_diff(&base),
        grads,
        counts,
        grad_check,
    })
}

/// The memory budget as given: `log` (the recursive schedule's) or slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    Log,
    Slots(u64),
}

/// Parameters of one run, as read from the command line or set in the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub seed: u64,
    pub t: u64,
    pub k: usize,
    pub c: usize,
    pub schedule: Schedule,
    /// Slots the schedule runs with (validated).
    pub slots: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: DEFAULT_SEED,
            t: DEFAULT_T,
            k: DEFAULT_K,
            c: DEFAULT_C,
            schedule: Schedule::Recursive,
            slots: schedule::recursive_peak(DEFAULT_T),
        }
    }
}

impl Settings {
    /// Resolve a memory budget for `schedule` at `t` steps; an error names
    /// `memory` when the budget is too small for the schedule.
    pub fn resolve_slots(schedule: Schedule, t: u64, memory: Memory) -> Result<u64, ParamError> {
        let needed = schedule.min_slots(t);
        let slots = match memory {
            Memory::Log if schedule == Schedule::StoreAll => t,
            Memory::Log => schedule::recursive_peak(t),
            Memory::Slots(m) => m,
        };
        if slots < needed {
            return Err(ParamError::OutOfRange {
                name: "memory".into(),
                value: slots.to_string(),
                range: format!(
                    "{needed}..={MAX_T_COUNTS} ({} needs {needed} slot{} at t={t})",
                    schedule.name(),
                    if needed == 1 { "" } else { "s" }
                ),
            });
        }
        Ok(slots)
    }

    pub fn from_params(params: &mut Params) -> Result<Settings, ParamError> {
        let seed = params.u64("seed", DEFAULT_SEED, 0..=u64::MAX)?;
        let t = params.u64("t", DEFAULT_T, 1..=MAX_T_COUNTS)?;
        let k = params.usize("k", DEFAULT_K, 1..=MAX_K)?;
        let c = params.usize("c", DEFAULT_C, 1..=MAX_C)?;
        let name = params.choice("schedule", "recursive", Schedule::NAMES)?;
        // `name` comes from the fixed option list.
        let schedule = Schedule::parse(name).unwrap_or(Schedule::Recursive);
        let memory = match params.raw("memory") {
            None => Memory::Log,
            Some(raw) if raw == "log" => Memory::Log,
            Some(raw) => Memory::Slots(raw.parse().map_err(|_| ParamError::Invalid {
                name: "memory".into(),
                value: raw.clone(),
                expected: "`log` or a whole number of slots".into(),
            })?),
        };
        if let Memory::Slots(m) = memory
            && m > MAX_T_COUNTS
        {
            return Err(ParamError::OutOfRange {
                name: "memory".into(),
                value: m.to_string(),
                range: format!("1..={MAX_T_COUNTS}"),
            });
        }
        let slots = Settings::resolve_slots(schedule, t, memory)?;
        Ok(Settings {
            seed,
            t,
            k,
            c,
            schedule,
            slots,
        })
    }

    pub fn problem(&self) -> Problem {
        Problem::seeded(self.seed, self.t as usize, self.k, self.c)
    }

    /// Whether the numeric run fits the bounds (else counts only).
    pub fn numeric_fits(&self) -> Result<(), String> {
        if self.t > MAX_T_NUMERIC {
            return Err(format!(
                "counts only: the numeric run is limited to t <= {MAX_T_NUMERIC}"
            ));
        }
        let steps = schedule::forward_closed_form(self.schedule, self.t, self.slots);
        let work = steps.saturating_mul((self.k * (self.k + self.c)) as u64);
        if work > MAX_NUMERIC_WORK {
            return Err(format!(
                "counts only: {} forward steps of K(K+C) = {} multiply-adds exceed the numeric limit of {}",
                thousands(steps),
                self.k * (self.k + self.c),
                thousands(MAX_NUMERIC_WORK)
            ));
        }
        Ok(())
    }
}

/// Counts of every schedule at `t` steps, each beside the optimum at the
/// memory it actually uses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    pub t: u64,
    /// The constant budget `M` of the fixed and optimal columns.
    pub slots: u64,
    pub store_all: u64,
    pub recursive: u64,
    /// `1 + ⌈log₂ T⌉`.
    pub recursive_peak: u64,
    /// The optimum at the recursive schedule's memory.
    pub optimal_at_log: Option<u64>,
    /// Evenly spaced checkpoints with `slots` slots.
    pub fixed: u64,
    pub fixed_peak: u64,
    /// The optimum at `slots`.
    pub optimal: Option<u64>,
    /// Griewank's classic count at `slots` (reverse steps re-evaluate their
    /// forward step): the number the literature prints, another model.
    pub classic_revolve: Option<u64>,
}

pub fn compare(t: u64, slots: u64) -> Comparison {
    let rp = schedule::recursive_peak(t);
    Comparison {
        t,
        slots,
        store_all: t,
        recursive: schedule::recursive_forward(t),
        recursive_peak: rp,
        optimal_at_log: schedule::optimal_forward(t, rp),
        fixed: schedule::fixed_forward(t, slots),
        fixed_peak: schedule::fixed_peak(t, slots),
        optimal: schedule::optimal_forward(t, slots),
        classic_revolve: schedule::classic_revolve_forward(t, slots),
    }
}

/// One point of the cost-versus-memory chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostPoint {
    pub memory: u64,
    pub optimal: u64,
    pub fixed: u64,
}

/// Budgets the chart shows for `t` steps: 1 … 8, then doubling, and `t`.
pub fn chart_budgets(t: u64) -> Vec<u64> {
    let mut m: Vec<u64> = (1..=8).collect();
    let mut next = 12;
    while next < t {
        m.push(next);
        next = if next < 16 { 16 } else { next * 2 };
    }
    m.push(t);
    m.retain(|&x| x <= t);
    m.dedup();
    m
}

/// Forward steps of the optimal and the evenly spaced schedules against `M`.
pub fn cost_versus_memory(t: u64) -> Vec<CostPoint> {
    chart_budgets(t)
        .into_iter()
        .map(|m| CostPoint {
            memory: m,
            optimal: schedule::optimal_forward(t, m).unwrap_or(u64::MAX),
            fixed: schedule::fixed_forward(t, m),
        })
        .collect()
}

/// Ratio to the baseline's `T` forward steps.
pub fn ratio(steps: u64, t: u64) -> f64 {
    steps as f64 / t.max(1) as f64
}

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "seed",
        default: "5",
        help: "seed of W_hh, W_xh, X and the upstream gradients",
    },
    ParamSpec {
        name: "t",
        default: "16",
        help: "sequence length T (1..=1000000; numeric run up to 4096, counts beyond)",
    },
    ParamSpec {
        name: "k",
        default: "4",
        help: "hidden size K (1..=64)",
    },
    ParamSpec {
        name: "c",
        default: "3",
        help: "input size C (1..=64)",
    },
    ParamSpec {
        name: "schedule",
        default: "recursive",
        help: "store-all (baseline, M = T) | recursive (5a, log memory) | fixed (5b, evenly spaced, M slots) | optimal (5b, M slots)",
    },
    ParamSpec {
        name: "memory",
        default: "log",
        help: "slots M for hidden states, the state being computed included: log (1 + ceil(log2 T)) or a number >= 1",
    },
];

pub const COMPUTATION: Computation = Computation {
    name: "bptt",
    summary: "Problem 5: checkpointed BPTT schedules, exact recomputation counts and gradients",
    params: PARAMS,
    run,
};

fn run(params: &mut Params, progress: &mut ProgressFn<'_>) -> Result<Report, ComputeError> {
    let s = Settings::from_params(params)?;
    let counts = schedule::count(s.schedule, s.t, s.slots).map_err(ComputeError::Shape)?;
    let cmp = compare(s.t, s.slots);
    let numeric = match s.numeric_fits() {
        Ok(()) => {
            let p = s.problem();
            Ok((numeric(&p, s.schedule, s.slots, progress)?, p))
        }
        Err(why) => Err(why),
    };
    let mut text = format!(
        "BPTT, {} schedule: T = {}, memory M = {} slots (K = {}, C = {}, seed {})\n\n",
        s.schedule.name(),
        thousands(s.t),
        thousands(s.slots),
        s.k,
        s.c,
        s.seed
    );
    text += &format!(
        "forward steps   {} ({:.3} x the baseline's {})\nbackward steps  {}\npeak memory     {} hidden states (baseline {})\n\n",
        thousands(counts.forward_steps),
        ratio(counts.forward_steps, s.t),
        thousands(s.t),
        thousands(counts.backward_steps),
        thousands(counts.peak_memory),
        thousands(s.t),
    );
    let row = |name: &str, steps: Option<u64>| match steps {
        Some(n) => format!(
            "  {name:<34} {:>16} forward steps  x{:.3}\n",
            thousands(n),
            ratio(n, s.t)
        ),
        // Only the classic model has no count: it needs M >= 2 (h_{t-1} and h_t).
        None => format!("  {name:<34} (needs M >= 2)\n"),
    };
    text += &format!(
        "At the same memory, T = {} (baseline store-all: {} forward steps, {} slots):\n",
        thousands(s.t),
        thousands(s.t),
        thousands(s.t)
    );
    text += &format!(" M = 1 + ceil(log2 T) = {} slots\n", cmp.recursive_peak);
    text += &row("recursive halving (5a)", Some(cmp.recursive));
    text += &row("optimal", cmp.optimal_at_log);
    text += &format!(
        " M = {} slot{}\n",
        thousands(s.slots),
        if s.slots == 1 { "" } else { "s" }
    );
    text += &row("fixed, evenly spaced checkpoints", Some(cmp.fixed));
    text += &row("optimal", cmp.optimal);
    text += &row("revolve, classic model (*)", cmp.classic_revolve);
    text += " (*) Griewank's count where every reverse step re-evaluates its forward step\n";
    text.push('\n');
    let numeric_json = match &numeric {
        Ok((n, p)) => {
            let gc = &n.grad_check;
            text += &format!(
                "gradients vs baseline: max |diff| = {:e}\ngrad check (central differences, {} entries): max rel err {:.1e} {}\n",
                n.max_abs_diff_to_baseline,
                gc.checked,
                gc.max_rel_error,
                if gc.max_rel_error < 1e-6 {
                    "ok"
                } else {
                    "FAILED"
                }
            );
            text += &format!("dL/dh_0 = {:.6}\n", n.grads.h0);
            json!({
                "inputs": {
                    "w_hh": nested(&p.w_hh),
                    "w_xh": nested(&p.w_xh),
                    "x": nested(&p.x),
                    "upstream_grad": nested(&p.g),
                },
                "grads": {
                    "w_hh": nested(&n.grads.w_hh),
                    "w_xh": nested(&n.grads.w_xh),
                    "x": nested(&n.grads.x),
                    "h0": n.grads.h0.to_vec(),
                },
                "max_abs_diff_to_baseline": n.max_abs_diff_to_baseline,
                "grad_check": gc,
                "loss": loss(p),
            })
        }
        Err(why) => {
            text += why;
            text.push('\n');
            json!({ "skipped": why })
        }
    };
    let json = json!({
        "computation": "bptt",
        "seed": s.seed,
        "t": s.t,
        "k": s.k,
        "c": s.c,
        "schedule": s.schedule.name(),
        "memory_slots": s.slots,
        "counts": counts,
        "forward_ratio_to_baseline": ratio(counts.forward_steps, s.t),
        "comparison": cmp,
        "cost_versus_memory": cost_versus_memory(s.t),
        "numeric": numeric_json,
        "notes": {
            "model": "h_t = tanh(W_hh h_{t-1} + W_xh x_t), h_0 = 0; weights [out][in]; x row t-1 is x_t; upstream_grad row t-1 is dL/dh_t; loss = sum_t upstream_grad[t-1] . h_t",
            "memory": "hidden-state K-vectors held at once: checkpoints plus the freshly computed state (the cursor) when not stored; h_0 = 0 is free; a forward step overwrites the cursor in place; gradient vectors and scratch not counted",
            "forward_steps": "every evaluation of one RNN step; reverse step t needs h_t only (the dW_hh term a_t h_{t-1}^T is added when h_{t-1} is visited), so a schedule makes h_T, ..., h_1 available in turn; store-all runs T",
            "optimal": "the optimal schedule for M slots in this model, executed: r(T+1) - C(M+r, M+1) forward steps, r = min{r : C(M+r, M) >= T+1}",
            "classic_revolve": "Griewank's count in the classic model (reverse step t needs h_{t-1} and re-evaluates step t): T + rT - C(s+r, s+1), s = M-1, r = min{r : C(s+r, s) >= T}; another model, not run here",
        },
    });
    Ok(Report { text, json })
}

/// `0` when exactly zero (the schedules' usual result), else `1.2e-15`.
pub fn fmt_diff(d: f64) -> String {
    if d == 0.0 {
        "0".into()
    } else {
        format!("{d:.1e}")
    }
}

/// Row-major nested rows, the JSON convention (ndarray's own serde form is flat).
pub fn nested(a: &Array2<f64>) -> Vec<Vec<f64>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}

/// A ratio to the baseline as the text prints it: two decimals below 10,
/// one below 1000, then whole numbers with thousands separators.
pub fn fmt_ratio(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.2}")
    } else if r < 1000.0 {
        format!("{r:.1}")
    } else {
        thousands(r.round() as u64)
    }
}

/// The rough estimates of 5(b) at `t` steps and `m` slots: the repetition
/// number's asymptote `(M!·T)^{1/M}`, and the cost ratio it gives,
/// `(M!·T)^{1/M}·M/(M+1)`.
pub fn optimal_estimates(t: u64, m: u64) -> (f64, f64) {
    let ln_fact: f64 = (1..=m).map(|k| (k as f64).ln()).sum();
    let r = ((ln_fact + (t as f64).ln()) / m as f64).exp();
    (r, r * m as f64 / (m + 1) as f64)
}

/// Budgets of the 5(b) table at `T = 10⁶`.
pub const TABLE_BUDGETS: [u64; 6] = [1, 2, 3, 4, 8, 16];
/// The 5(b) panel opens on the optimal schedule with this budget.
pub const PANEL_5B_M: u64 = 4;

/// Figures the Problem 5 solution quotes.
pub fn facts(out: &mut Facts) {
    let mut put = |k: &str, v: String| {
        out.insert(format!("p5.{k}"), v);
    };
    put("default.t", DEFAULT_T.to_string());
    put("default.k", DEFAULT_K.to_string());
    put("default.c", DEFAULT_C.to_string());
    put("default.seed", DEFAULT_SEED.to_string());
    put("default.m", DEFAULT_M.to_string());
    put("panel5b.m", PANEL_5B_M.to_string());
    put("max_t_numeric", thousands(MAX_T_NUMERIC));
    put("max_t_counts", thousands(MAX_T_COUNTS));
    for (key, t) in [
        ("t16", 16u64),
        ("t100", 100),
        ("t1024", 1024),
        ("t1e6", 1_000_000),
    ] {
        let c = compare(t, DEFAULT_M);
        let r = |n: u64| fmt_ratio(ratio(n, t));
        put(&format!("{key}.t"), thousands(t));
        put(&format!("{key}.rec.fwd"), thousands(c.recursive));
        put(&format!("{key}.rec.ratio"), r(c.recursive));
        put(&format!("{key}.rec.peak"), c.recursive_peak.to_string());
        // The level-by-level bound (T/2)⌈log₂T⌉ + T.
        let bound = t / 2 * schedule::ceil_log2(t) + t;
        put(&format!("{key}.rec.bound"), thousands(bound));
        let reeval = schedule::reevaluating_halving_forward(t);
        put(&format!("{key}.reeval.fwd"), thousands(reeval));
        if let Some(o) = c.optimal_at_log {
            put(&format!("{key}.opt_log.fwd"), thousands(o));
            put(&format!("{key}.opt_log.ratio"), r(o));
        }
        put(&format!("{key}.fix8.fwd"), thousands(c.fixed));
        put(&format!("{key}.fix8.ratio"), r(c.fixed));
        put(&format!("{key}.fix8.peak"), c.fixed_peak.to_string());
        if let Some(o) = c.optimal {
            put(&format!("{key}.opt8.fwd"), thousands(o));
            put(&format!("{key}.opt8.ratio"), r(o));
        }
        if let Some(o) = c.classic_revolve {
            put(&format!("{key}.classic8.fwd"), thousands(o));
            put(&format!("{key}.classic8.ratio"), r(o));
        }
        let one = schedule::fixed_forward(t, 1);
        put(&format!("{key}.fix1.fwd"), thousands(one));
        put(&format!("{key}.fix1.ratio"), r(one));
    }
    // T = 10⁶: the repetition number and the estimates 5(b) quotes.
    let big = 1_000_000u64;
    for m in TABLE_BUDGETS {
        let key = format!("t1e6.m{m}");
        if let (Some(o), Some(rep)) = (
            schedule::optimal_forward(big, m),
            optimal::repetition(big, m),
        ) {
            put(&format!("{key}.opt.ratio"), fmt_ratio(ratio(o, big)));
            put(&format!("{key}.r"), thousands(rep));
        }
        put(
            &format!("{key}.fix.ratio"),
            fmt_ratio(ratio(schedule::fixed_forward(big, m), big)),
        );
        put(&format!("{key}.m"), m.to_string());
    }
    let (r_est, cost_est) = optimal_estimates(big, DEFAULT_M);
    put("t1e6.opt8.r_estimate", format!("{r_est:.1}"));
    put("t1e6.opt8.estimate", format!("{cost_est:.1}"));
    put("t1e6.fix8.estimate", thousands(big / (2 * DEFAULT_M)));
    // The checkpoints held at the first backward step of the recursion (the
    // 5(a) panel's opening frame), without building the trace.
    let mut tracker = Tracker::new(16);
    let mut deepest = None;
    schedule::emit(Schedule::Recursive, 16, 0, &mut |op| {
        if deepest.is_none() {
            if matches!(op, Op::Backward { .. }) {
                deepest = Some(tracker.stored());
            }
            tracker.apply(op);
        }
    });
    if let Some(held) = deepest {
        let held: Vec<String> = held
            .iter()
            .map(|t| format!("\\mathbf{{h}}_{{{t}}}"))
            .collect();
        put("t16.deepest_tex", held.join(", "));
    }
    let s = Settings::default();
    let p = s.problem();
    let base = baseline(&p);
    let run = |schedule, slots| run_schedule(&p, schedule, slots, &mut super::no_progress);
    if let Ok((g, counts)) = run(Schedule::Recursive, s.slots) {
        put("default.rec.diff", fmt_diff(g.max_abs_diff(&base)));
        put("default.rec.fwd", counts.forward_steps.to_string());
        put("default.rec.peak", counts.peak_memory.to_string());
    }
    if let Ok((g, counts)) = run(Schedule::Optimal, PANEL_5B_M) {
        put("default.opt.diff", fmt_diff(g.max_abs_diff(&base)));
        put("default.opt.fwd", counts.forward_steps.to_string());
        put("default.opt.peak", counts.peak_memory.to_string());
    }
    let gc = grad_check(&p, &base);
    put("default.gradcheck", format!("{:.1e}", gc.max_rel_error));
    put("default.gradcheck_entries", gc.checked.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::no_progress;

    #[test]
    fn baseline_passes_the_gradient_check() {
        for (seed, t, k, c) in [(5, 16, 4, 3), (1, 7, 3, 5), (9, 40, 6, 2), (2, 1, 1, 1)] {
            let p = Problem::seeded(seed, t, k, c);
            let gc = grad_check(&p, &baseline(&p));
            assert!(gc.max_rel_error < 1e-7, "{seed} {t}: {gc:?}");
            assert_eq!(gc.checked, k * k + k * c + t * c + k);
        }
    }

    /// Above the work budget a strided subset is checked, still to 1e-7.
    #[test]
    fn large_grad_checks_use_a_subset() {
        let p = Problem::seeded(2, 300, 8, 8);
        let gc = grad_check(&p, &baseline(&p));
        let entries = 64 + 64 + 300 * 8 + 8;
        assert!(gc.checked < entries && gc.checked > 100, "{gc:?}");
        assert!(gc.max_rel_error < 1e-7, "{gc:?}");
    }

    #[test]
    fn grad_check_catches_a_wrong_gradient() {
        let p = Problem::seeded(5, 8, 3, 2);
        let mut g = baseline(&p);
        g.w_hh[(1, 2)] *= 1.01;
        assert!(grad_check(&p, &g).max_rel_error > 1e-3);
    }

    #[test]
    fn every_schedule_reproduces_the_baseline_exactly() {
        for (seed, t) in [(5u64, 16usize), (3, 1), (4, 2), (7, 13), (8, 33), (11, 64)] {
            let p = Problem::seeded(seed, t, 4, 3);
            let base = baseline(&p);
            for schedule in Schedule::ALL {
                for slots in [1, 2, 3, 5, 8] {
                    let slots = slots.max(schedule.min_slots(t as u64));
                    let (g, counts) = run_schedule(&p, schedule, slots, &mut no_progress).unwrap();
                    // Same float operations in the same order: identical bits.
                    assert_eq!(g.max_abs_diff(&base), 0.0, "{schedule:?} t={t} m={slots}");
                    assert_eq!(g, base);
                    assert_eq!(counts, schedule::count(schedule, t as u64, slots).unwrap());
                }
            }
        }
    }

    /// The executed optimal schedule at every budget: the store-all run's
    /// gradients, bit for bit, which pass the finite-difference check.
    #[test]
    fn optimal_schedule_gradients_are_store_alls() {
        let p = Problem::seeded(5, 24, 4, 3);
        let (store_all, _) = run_schedule(&p, Schedule::StoreAll, 24, &mut no_progress).unwrap();
        assert!(grad_check(&p, &store_all).max_rel_error < 1e-7);
        for m in 1..=25 {
            let (g, counts) = run_schedule(&p, Schedule::Optimal, m, &mut no_progress).unwrap();
            assert_eq!(g, store_all, "m={m}");
            assert_eq!(Some(counts.forward_steps), schedule::optimal_forward(24, m));
            assert!(counts.peak_memory <= m);
        }
    }

    #[test]
    fn cancel_stops_the_run() {
        let p = Problem::seeded(1, 200, 2, 2);
        let r = run_schedule(&p, Schedule::Fixed, 2, &mut |_| ControlFlow::Break(()));
        assert_eq!(r.unwrap_err(), ComputeError::Cancelled);
    }

    #[test]
    fn settings_validate_and_name_the_parameter() {
        let parse = |args: &[&str]| Settings::from_params(&mut Params::parse(args).unwrap());
        let s = parse(&[]).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.slots, 5);
        let s = parse(&["schedule=fixed", "memory=3", "t=100"]).unwrap();
        assert_eq!((s.schedule, s.slots), (Schedule::Fixed, 3));
        for (args, name) in [
            (&["t=0"][..], "`t`"),
            (&["t=1000001"][..], "`t`"),
            (&["k=65"][..], "`k`"),
            (&["c=x"][..], "`c`"),
            (&["memory=lots"][..], "`memory`"),
            (&["schedule=fixed", "memory=0"][..], "`memory`"),
            (&["schedule=optimal", "memory=0"][..], "`memory`"),
            (&["schedule=optimal", "memory=1000001"][..], "`memory`"),
            (&["schedule=recursive", "memory=4"][..], "`memory`"),
            (&["schedule=store-all", "memory=3"][..], "`memory`"),
            (&["schedule=revolve"][..], "`schedule`"),
        ] {
            let e = parse(args).unwrap_err().to_string();
            assert!(e.contains(name), "{args:?}: {e}");
        }
    }

    #[test]
    fn large_runs_are_counts_only() {
        let mut s = Settings {
            t: 100_000,
            ..Settings::default()
        };
        assert!(s.numeric_fits().is_err());
        s.t = 4096;
        s.schedule = Schedule::Fixed;
        s.slots = 1;
        s.k = 64;
        s.c = 64;
        assert!(s.numeric_fits().is_err());
        assert!(Settings::default().numeric_fits().is_ok());
    }

    #[test]
    fn facts_are_built() {
        let mut f = Facts::new();
        facts(&mut f);
        assert_eq!(f["p5.t16.rec.fwd"], "30");
        assert_eq!(f["p5.t16.reeval.fwd"], "48");
        assert_eq!(f["p5.t100.rec.fwd"], "300");
        assert_eq!(f["p5.t100.reeval.fwd"], "416");
        assert_eq!(f["p5.t16.rec.peak"], "5");
        assert_eq!(f["p5.default.rec.diff"], "0");
        assert_eq!(f["p5.default.opt.diff"], "0");
        assert_eq!(f["p5.t1e6.m8.r"], "17");
    }
}
