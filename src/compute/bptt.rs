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
//! The schedules are in [`schedule`] and [`optimal`]; the parameters, the
//! report and the facts the text quotes in `report`.

pub mod optimal;
mod report;
pub mod schedule;
pub mod trace;

pub use report::{
    COMPUTATION, Comparison, CostPoint, Memory, PANEL_5B_M, Settings, TABLE_BUDGETS, chart_budgets,
    compare, cost_versus_memory, facts, fmt_diff, fmt_ratio, nested, optimal_estimates, ratio,
};

use std::ops::ControlFlow;

use ndarray::{Array1, Array2, ArrayView1};
use serde::Serialize;

use super::gradcheck::{self, GradCheck};
use super::{ComputeError, Progress, ProgressFn, rng};
use schedule::{Counts, Op, Schedule, Tracker};

/// Largest `T` for the numeric run (counts go up to [`schedule::MAX_T_COUNTS`]).
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
}
