//! Problem 4: sequence normalization, batch norm along the time axis of one
//! sequence `H` (`[T][K]`).
//!
//! * 4(a) [`full_forward`] / [`full_backward`]: statistics over all `T` steps
//!   (the batch-norm backward along time).
//! * 4(b) [`running_forward`] / [`running_backward_exact`] /
//!   [`running_backward_stop_grad`]: causal running statistics. The recurrence,
//!   for a rate `α_t` (a constant `α`, or `1/t` for the cumulative mean and
//!   variance, i.e. Welford's algorithm):
//!
//!   ```text
//!   δ_t = h_t − μ_{t−1}
//!   μ_t = μ_{t−1} + α_t δ_t                    (= (1−α_t) μ_{t−1} + α_t h_t)
//!   v_t = (1 − α_t)(v_{t−1} + α_t δ_t²)        (exponentially weighted variance)
//!   ŷ_t = (h_t − μ_t) / sqrt(v_t + ε),   y_t = γ ⊙ ŷ_t + β
//!   ```
//!
//!   With `α_t = 1/t`, `μ_t` and `v_t` are exactly the mean and biased variance
//!   of `h_1..h_t`, so at `t = T` they equal the full statistics of 4(a).
//!
//! Every backward is checked against central differences of `L = Σ G ⊙ Y`
//! ([`check_full`], [`check_running`]); the stop-gradient backward is *not*
//! the gradient of the layer, and the check measures by how much.
//!
//! This file is the model; `facts.rs` makes the derivation's figures from it,
//! and `cli.rs` is the `compute seqnorm` command (parameters and report).

mod cli;
mod facts;
pub mod trace;

pub use cli::{COMPUTATION, Mode, Settings, to_json, to_text};
pub use facts::facts;

use std::fmt::Write as _;

use ndarray::{Array1, Array2, ArrayView1, Axis};
use serde::Serialize;
use serde_json::json;

use super::gradcheck::{self, GradCheck};
use super::rng;
use super::{Computation, ComputeError, Facts, ParamError, ParamSpec, Params, ProgressFn, Report};

/// Largest sequence length the CLI accepts (the grad checks are O((T·K)²)).
pub const MAX_T: usize = 64;
/// Largest feature count the CLI accepts.
pub const MAX_K: usize = 16;

/// The panel's and the content's example: a short sequence of 3 features.
pub const DEFAULT_T: usize = 8;
pub const DEFAULT_K: usize = 3;
pub const DEFAULT_SEED: u64 = 1;
pub const DEFAULT_EPS: f64 = 1e-5;
pub const DEFAULT_ALPHA: f64 = 0.25;

/// How the running statistics are updated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rate {
    /// Exponential moving average with a constant rate `α ∈ (0, 1)`.
    Ema { alpha: f64 },
    /// `α_t = 1/t`: cumulative mean and biased variance of `h_1..h_t`.
    Cumulative,
}

impl Rate {
    /// `α_t` for the 1-based step `t`.
    pub fn at(self, t: usize) -> f64 {
        match self {
            Rate::Ema { alpha } => alpha,
            Rate::Cumulative => 1.0 / t.max(1) as f64,
        }
    }

    pub fn label(self) -> String {
        match self {
            Rate::Ema { alpha } => format!("EMA α={}", short(alpha)),
            Rate::Cumulative => "cumulative α_t=1/t".into(),
        }
    }
}

/// Every input of one run: the sequence, the layer's parameters and the
/// upstream gradient `G = ∂L/∂Y`.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    pub seed: u64,
    /// `[T][K]`
    pub h: Array2<f64>,
    pub gamma: Array1<f64>,
    pub beta: Array1<f64>,
    /// `[T][K]`
    pub g: Array2<f64>,
    pub eps: f64,
    pub rate: Rate,
    pub mu0: Array1<f64>,
    pub v0: Array1<f64>,
}

impl Inputs {
    /// Seeded inputs: `H` = tanh(N(0,1) + an offset per feature), in (−1, 1)
    /// like an LSTM's `h = o ⊙ tanh(c)` and with a mean per feature (so the
    /// statistics matter), `γ` near 1, `β` small, `G` ~ N(0,1); `μ_0 = 0`,
    /// `v_0 = 1` (the usual initial running statistics).
    pub fn seeded(seed: u64, t: usize, k: usize, eps: f64, rate: Rate) -> Inputs {
        let mut r = rng::seeded(seed);
        let offset: Array1<f64> = rng::uniform(&mut r, k, 1.0);
        let h = (rng::normal(&mut r, (t, k), 1.0) + &offset).mapv(f64::tanh);
        let gamma = rng::uniform(&mut r, k, 0.5) + 1.0;
        let beta = rng::uniform(&mut r, k, 0.5);
        let g = rng::normal(&mut r, (t, k), 1.0);
        Inputs {
            seed,
            h,
            gamma,
            beta,
            g,
            eps,
            rate,
            mu0: Array1::zeros(k),
            v0: Array1::ones(k),
        }
    }

    /// Feature `j` alone: a `T×1` problem (features never interact).
    pub fn feature(&self, j: usize) -> Inputs {
        let col = |a: &Array2<f64>| a.column(j).to_owned().insert_axis(Axis(1));
        let at = |a: &Array1<f64>| Array1::from_elem(1, a[j]);
        Inputs {
            seed: self.seed,
            h: col(&self.h),
            gamma: at(&self.gamma),
            beta: at(&self.beta),
            g: col(&self.g),
            eps: self.eps,
            rate: self.rate,
            mu0: at(&self.mu0),
            v0: at(&self.v0),
        }
    }

    pub fn t(&self) -> usize {
        self.h.nrows()
    }

    pub fn k(&self) -> usize {
        self.h.ncols()
    }
}

/// Gradients of `L = Σ G ⊙ Y`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grads {
    pub dh: Array2<f64>,
    pub dgamma: Array1<f64>,
    pub dbeta: Array1<f64>,
}

// ---------------------------------------------------------------- 4(a) ----

/// Forward pass of 4(a), with what the backward pass needs.
#[derive(Debug, Clone, PartialEq)]
pub struct FullForward {
    /// `μ_k = (1/T) Σ_t h_tk`
    pub mu: Array1<f64>,
    /// `σ²_k = (1/T) Σ_t (h_tk − μ_k)²` (biased, as batch norm uses in training)
    pub var: Array1<f64>,
    /// `ŷ = (h − μ) / sqrt(σ² + ε)`
    pub yhat: Array2<f64>,
    /// `y = γ ⊙ ŷ + β`
    pub y: Array2<f64>,
}

pub fn full_forward(
    h: &Array2<f64>,
    gamma: &Array1<f64>,
    beta: &Array1<f64>,
    eps: f64,
) -> FullForward {
    // Loops rather than array expressions: the grad checks call this
    // thousands of times on tiny inputs, where allocations dominate.
    let (t, k) = h.dim();
    let n = t.max(1) as f64;
    let mut mu = Array1::zeros(k);
    let mut var = Array1::zeros(k);
    let mut yhat = Array2::zeros((t, k));
    let mut y = Array2::zeros((t, k));
    for j in 0..k {
        let col = h.column(j);
        let m = col.sum() / n;
        let v = col.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
        let inv_std = 1.0 / (v + eps).sqrt();
        for i in 0..t {
            let yh = (h[[i, j]] - m) * inv_std;
            yhat[[i, j]] = yh;
            y[[i, j]] = gamma[j] * yh + beta[j];
        }
        mu[j] = m;
        var[j] = v;
    }
    FullForward { mu, var, yhat, y }
}

/// The batch-norm backward along time, per feature `k` with `s = (σ² + ε)^{-1/2}`
/// and `ĝ_t = γ g_t`:
/// `∂L/∂h_t = (s/T) (T ĝ_t − Σ_u ĝ_u − ŷ_t Σ_u ĝ_u ŷ_u)`,
/// `∂L/∂γ = Σ_t g_t ŷ_t`, `∂L/∂β = Σ_t g_t`.
pub fn full_backward(fwd: &FullForward, gamma: &Array1<f64>, g: &Array2<f64>, eps: f64) -> Grads {
    let t = g.nrows().max(1) as f64;
    let ghat = g * gamma;
    let sum_g = ghat.sum_axis(Axis(0));
    let sum_gy = (&ghat * &fwd.yhat).sum_axis(Axis(0));
    let s = fwd.var.mapv(|v| 1.0 / (v + eps).sqrt());
    let dh = (ghat * t - &sum_g - &fwd.yhat * &sum_gy) * &(s / t);
    Grads {
        dh,
        dgamma: (g * &fwd.yhat).sum_axis(Axis(0)),
        dbeta: g.sum_axis(Axis(0)),
    }
}

// ---------------------------------------------------------------- 4(b) ----

/// The running statistics after `t` steps: all the layer needs to normalize
/// step `t + 1`, so LSTM B can consume `y_t` as soon as LSTM A emits `h_t`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningState {
    pub mu: Array1<f64>,
    pub v: Array1<f64>,
    /// Steps taken so far.
    pub t: usize,
}

/// What one step computed, kept for the backward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub alpha: f64,
    /// `δ_t = h_t − μ_{t−1}`
    pub delta: Array1<f64>,
    pub mu: Array1<f64>,
    pub v: Array1<f64>,
    pub yhat: Array1<f64>,
    pub y: Array1<f64>,
}

impl RunningState {
    pub fn new(mu0: &Array1<f64>, v0: &Array1<f64>) -> Self {
        RunningState {
            mu: mu0.clone(),
            v: v0.clone(),
            t: 0,
        }
    }

    /// Consume `h_t`, update the statistics, return `y_t` (with the
    /// intermediates). Uses nothing but `h_t` and the state.
    pub fn step(
        &mut self,
        h: ArrayView1<'_, f64>,
        gamma: &Array1<f64>,
        beta: &Array1<f64>,
        eps: f64,
        rate: Rate,
    ) -> Step {
        self.t += 1;
        let alpha = rate.at(self.t);
        let k = h.len();
        let mut step = Step {
            alpha,
            delta: Array1::zeros(k),
            mu: Array1::zeros(k),
            v: Array1::zeros(k),
            yhat: Array1::zeros(k),
            y: Array1::zeros(k),
        };
        for j in 0..k {
            let (delta, yhat) = update(h[j], &mut self.mu[j], &mut self.v[j], alpha, eps);
            step.delta[j] = delta;
            step.mu[j] = self.mu[j];
            step.v[j] = self.v[j];
            step.yhat[j] = yhat;
            step.y[j] = gamma[j] * yhat + beta[j];
        }
        step
    }
}

/// One feature of one step of the recurrence: updates `μ`, `v` in place and
/// returns `(δ_t, ŷ_t)`. The single kernel behind [`RunningState::step`] and
/// [`running_forward_with`].
fn update(h: f64, mu: &mut f64, v: &mut f64, alpha: f64, eps: f64) -> (f64, f64) {
    let delta = h - *mu;
    *mu += alpha * delta;
    *v = (1.0 - alpha) * (*v + alpha * delta * delta);
    (delta, (h - *mu) / (*v + eps).sqrt())
}

/// Forward pass of 4(b): every step of [`RunningState::step`], recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningForward {
    /// `α_t` per step
    pub alpha: Vec<f64>,
    /// `μ_t`, `[T][K]`
    pub mu: Array2<f64>,
    /// `v_t`, `[T][K]`
    pub var: Array2<f64>,
    /// `δ_t = h_t − μ_{t−1}`, `[T][K]`
    pub delta: Array2<f64>,
    pub yhat: Array2<f64>,
    pub y: Array2<f64>,
}

pub fn running_forward(inp: &Inputs) -> RunningForward {
    running_forward_with(
        &inp.h, &inp.gamma, &inp.beta, inp.eps, inp.rate, &inp.mu0, &inp.v0,
    )
}

pub fn running_forward_with(
    h: &Array2<f64>,
    gamma: &Array1<f64>,
    beta: &Array1<f64>,
    eps: f64,
    rate: Rate,
    mu0: &Array1<f64>,
    v0: &Array1<f64>,
) -> RunningForward {
    let (t, k) = h.dim();
    let mut mu = mu0.clone();
    let mut v = v0.clone();
    let mut out = RunningForward {
        alpha: Vec::with_capacity(t),
        mu: Array2::zeros((t, k)),
        var: Array2::zeros((t, k)),
        delta: Array2::zeros((t, k)),
        yhat: Array2::zeros((t, k)),
        y: Array2::zeros((t, k)),
    };
    // The loop of `RunningState::step` without its per-step allocations (the
    // grad checks run this thousands of times).
    for i in 0..t {
        let alpha = rate.at(i + 1);
        out.alpha.push(alpha);
        for j in 0..k {
            let (delta, yhat) = update(h[[i, j]], &mut mu[j], &mut v[j], alpha, eps);
            out.mu[[i, j]] = mu[j];
            out.var[[i, j]] = v[j];
            out.delta[[i, j]] = delta;
            out.yhat[[i, j]] = yhat;
            out.y[[i, j]] = gamma[j] * yhat + beta[j];
        }
    }
    out
}

/// Gradients of the running layer; `dmu0`/`dv0` are zero for the stop-gradient
/// variant (it treats the statistics as constants).
#[derive(Debug, Clone, PartialEq)]
pub struct RunningGrads {
    pub grads: Grads,
    pub dmu0: Array1<f64>,
    pub dv0: Array1<f64>,
}

fn param_grads(fwd: &RunningForward, g: &Array2<f64>) -> (Array1<f64>, Array1<f64>) {
    ((g * &fwd.yhat).sum_axis(Axis(0)), g.sum_axis(Axis(0)))
}

/// Stop-gradient backward: `μ_t`, `v_t` treated as constants (as batch norm
/// does at inference), so `∂L/∂h_t = γ ⊙ g_t / sqrt(v_t + ε)`.
pub fn running_backward_stop_grad(
    fwd: &RunningForward,
    gamma: &Array1<f64>,
    g: &Array2<f64>,
    eps: f64,
) -> RunningGrads {
    let s = fwd.var.mapv(|v| 1.0 / (v + eps).sqrt());
    let (dgamma, dbeta) = param_grads(fwd, g);
    let k = gamma.len();
    RunningGrads {
        grads: Grads {
            dh: g * gamma * s,
            dgamma,
            dbeta,
        },
        dmu0: Array1::zeros(k),
        dv0: Array1::zeros(k),
    }
}

/// Exact backward through the recurrences, a reverse sweep over time carrying
/// the adjoints `μ̄`, `v̄` of the statistics (per feature; `s_t = (v_t+ε)^{-1/2}`,
/// `d_t = h_t − μ_t = (1−α_t) δ_t`):
///
/// ```text
/// ŷ̄_t = γ g_t
/// v̄_t = v̄_t(from t+1) − ½ ŷ̄_t d_t s_t³
/// d̄_t = ŷ̄_t s_t
/// μ̄_t = μ̄_t(from t+1) − d̄_t
/// δ̄_t = α_t μ̄_t + 2 α_t (1−α_t) δ_t v̄_t
/// h̄_t = d̄_t + δ̄_t
/// μ̄_{t−1} = μ̄_t − δ̄_t,   v̄_{t−1} = (1−α_t) v̄_t
/// ```
pub fn running_backward_exact(
    fwd: &RunningForward,
    gamma: &Array1<f64>,
    g: &Array2<f64>,
    eps: f64,
) -> RunningGrads {
    let (t, k) = g.dim();
    let mut dh = Array2::zeros((t, k));
    let mut mu_bar = Array1::<f64>::zeros(k);
    let mut v_bar = Array1::<f64>::zeros(k);
    for i in (0..t).rev() {
        let a = fwd.alpha[i];
        for j in 0..k {
            let s = 1.0 / (fwd.var[[i, j]] + eps).sqrt();
            let delta = fwd.delta[[i, j]];
            let d = (1.0 - a) * delta;
            let yhat_bar = gamma[j] * g[[i, j]];
            let vb = v_bar[j] - 0.5 * yhat_bar * d * s * s * s;
            let d_bar = yhat_bar * s;
            let mb = mu_bar[j] - d_bar;
            let delta_bar = a * mb + 2.0 * a * (1.0 - a) * delta * vb;
            dh[[i, j]] = d_bar + delta_bar;
            mu_bar[j] = mb - delta_bar;
            v_bar[j] = (1.0 - a) * vb;
        }
    }
    let (dgamma, dbeta) = param_grads(fwd, g);
    RunningGrads {
        grads: Grads { dh, dgamma, dbeta },
        dmu0: mu_bar,
        dv0: v_bar,
    }
}

// ------------------------------------------------------------ checks ----

/// `L = Σ G ⊙ Y`, the loss whose gradient the backward passes compute.
fn loss(y: &Array2<f64>, g: &Array2<f64>) -> f64 {
    y.iter().zip(g).map(|(a, b)| a * b).sum()
}

/// Max |relative error| of each gradient of one backward against central
/// differences of `L`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Checks {
    pub dh: GradCheck,
    pub dgamma: GradCheck,
    pub dbeta: GradCheck,
    /// `∂L/∂μ_0` and `∂L/∂v_0` (running layer only; `NONE` for 4(a)).
    pub dmu0: GradCheck,
    pub dv0: GradCheck,
}

impl Checks {
    pub fn max(&self) -> f64 {
        [self.dh, self.dgamma, self.dbeta, self.dmu0, self.dv0]
            .iter()
            .map(|c| c.max_rel_error)
            .fold(0.0, f64::max)
    }
}

fn flat(a: &Array2<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

fn with_flat<T>(a: &mut Array2<f64>, x: &[f64], f: impl FnOnce(&Array2<f64>) -> T) -> T {
    for (dst, src) in a.iter_mut().zip(x) {
        *dst = *src;
    }
    f(a)
}

/// Features never interact: feature `j` of every output depends only on
/// feature `j` of the inputs and parameters. So each check runs one column at
/// a time (the same forward functions on a `T×1` input), which costs
/// O(T²K) instead of O((TK)²·…) and gives the same partial derivatives.
fn per_feature(
    inp: &Inputs,
    dh: &Array2<f64>,
    scalars: [&Array1<f64>; 4],
    one: impl Fn(&Inputs, &[f64], [f64; 4]) -> Checks,
) -> Checks {
    let k = inp.k();
    let mut total: Option<Checks> = None;
    for j in 0..k {
        let col = inp.feature(j);
        let analytic = dh.column(j).to_vec();
        let c = one(&col, &analytic, scalars.map(|a| a[j]));
        // Map the column's worst index back into the flattened [T][K] array.
        let c = Checks {
            dh: GradCheck {
                worst_index: c.dh.worst_index * k + j,
                ..c.dh
            },
            dgamma: GradCheck {
                worst_index: j,
                ..c.dgamma
            },
            dbeta: GradCheck {
                worst_index: j,
                ..c.dbeta
            },
            dmu0: GradCheck {
                worst_index: j,
                ..c.dmu0
            },
            dv0: GradCheck {
                worst_index: j,
                ..c.dv0
            },
        };
        total = Some(match total {
            None => c,
            Some(t) => Checks {
                dh: t.dh.merge(c.dh),
                dgamma: t.dgamma.merge(c.dgamma),
                dbeta: t.dbeta.merge(c.dbeta),
                dmu0: t.dmu0.merge(c.dmu0),
                dv0: t.dv0.merge(c.dv0),
            },
        });
    }
    total.unwrap_or(Checks {
        dh: GradCheck::NONE,
        dgamma: GradCheck::NONE,
        dbeta: GradCheck::NONE,
        dmu0: GradCheck::NONE,
        dv0: GradCheck::NONE,
    })
}

fn one(x: f64) -> Array1<f64> {
    Array1::from_elem(1, x)
}

/// Check the 4(a) backward against central differences of [`full_forward`].
pub fn check_full(inp: &Inputs, grads: &Grads) -> Checks {
    let scalars = [&grads.dgamma, &grads.dbeta, &grads.dgamma, &grads.dbeta];
    per_feature(inp, &grads.dh, scalars, |c, dh, [dgamma, dbeta, _, _]| {
        let loss_of = |h: &Array2<f64>, gm: f64, b: f64| {
            loss(&full_forward(h, &one(gm), &one(b), c.eps).y, &c.g)
        };
        let (gm, b) = (c.gamma[0], c.beta[0]);
        let mut scratch = c.h.clone();
        Checks {
            dh: gradcheck::check(&mut flat(&c.h), dh, |x| {
                with_flat(&mut scratch, x, |h| loss_of(h, gm, b))
            }),
            dgamma: gradcheck::check(&mut [gm], &[dgamma], |x| loss_of(&c.h, x[0], b)),
            dbeta: gradcheck::check(&mut [b], &[dbeta], |x| loss_of(&c.h, gm, x[0])),
            dmu0: GradCheck::NONE,
            dv0: GradCheck::NONE,
        }
    })
}

/// Check a 4(b) backward (exact or stop-gradient) against central differences
/// of [`running_forward_with`].
pub fn check_running(inp: &Inputs, grads: &RunningGrads) -> Checks {
    let g = &grads.grads;
    let scalars = [&g.dgamma, &g.dbeta, &grads.dmu0, &grads.dv0];
    per_feature(inp, &g.dh, scalars, |c, dh, [dgamma, dbeta, dmu0, dv0]| {
        let loss_of = |h: &Array2<f64>, [gm, b, m0, v0]: [f64; 4]| {
            let y = running_forward_with(h, &one(gm), &one(b), c.eps, c.rate, &one(m0), &one(v0)).y;
            loss(&y, &c.g)
        };
        let p = [c.gamma[0], c.beta[0], c.mu0[0], c.v0[0]];
        let with = |i: usize, v: f64| {
            let mut q = p;
            q[i] = v;
            q
        };
        let mut scratch = c.h.clone();
        Checks {
            dh: gradcheck::check(&mut flat(&c.h), dh, |x| {
                with_flat(&mut scratch, x, |h| loss_of(h, p))
            }),
            dgamma: gradcheck::check(&mut [p[0]], &[dgamma], |x| loss_of(&c.h, with(0, x[0]))),
            dbeta: gradcheck::check(&mut [p[1]], &[dbeta], |x| loss_of(&c.h, with(1, x[0]))),
            dmu0: gradcheck::check(&mut [p[2]], &[dmu0], |x| loss_of(&c.h, with(2, x[0]))),
            // v_0 is only checked where a central step stays non-negative.
            dv0: if p[3] > 2.0 * gradcheck::STEP {
                gradcheck::check(&mut [p[3]], &[dv0], |x| loss_of(&c.h, with(3, x[0])))
            } else {
                GradCheck::NONE
            },
        }
    })
}

/// Causality: perturb `h_p` (0-based step `p`) by `size` in every feature
/// and report, per step, the largest change of `y_t`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Causality {
    /// 0-based perturbed step.
    pub step: usize,
    pub size: f64,
    /// `max_k |Δy_tk|` per step for the full layer.
    pub full: Vec<f64>,
    /// The same for the running layer.
    pub running: Vec<f64>,
    /// Every running output before the perturbed step is bit-for-bit unchanged.
    pub running_causal: bool,
    /// The full layer's earlier outputs changed (it is not causal).
    pub full_leaks: bool,
}

pub fn causality(inp: &Inputs, step: usize, size: f64) -> Causality {
    let t = inp.t();
    let step = step.min(t.saturating_sub(1));
    let mut h2 = inp.h.clone();
    if t > 0 {
        h2.row_mut(step).mapv_inplace(|v| v + size);
    }
    let change = |a: &Array2<f64>, b: &Array2<f64>| -> Vec<f64> {
        a.rows()
            .into_iter()
            .zip(b.rows())
            .map(|(r1, r2)| {
                r1.iter()
                    .zip(r2.iter())
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f64::max)
            })
            .collect()
    };
    let full = change(
        &full_forward(&inp.h, &inp.gamma, &inp.beta, inp.eps).y,
        &full_forward(&h2, &inp.gamma, &inp.beta, inp.eps).y,
    );
    let running = change(
        &running_forward(inp).y,
        &running_forward_with(
            &h2, &inp.gamma, &inp.beta, inp.eps, inp.rate, &inp.mu0, &inp.v0,
        )
        .y,
    );
    Causality {
        step,
        size,
        running_causal: running[..step].iter().all(|d| *d == 0.0),
        full_leaks: full[..step].iter().any(|d| *d > 0.0),
        full,
        running,
    }
}

/// Everything one run computes: the panel, the CLI and the facts read this.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub inputs: Inputs,
    pub full: FullForward,
    pub full_grads: Grads,
    pub full_check: Checks,
    pub running: RunningForward,
    pub exact: RunningGrads,
    pub exact_check: Checks,
    pub stop: RunningGrads,
    /// Expected to fail: the stop-gradient backward is not the layer's gradient.
    pub stop_check: Checks,
    pub causality: Causality,
}

impl Solution {
    pub fn new(inputs: Inputs, perturbed_step: usize) -> Solution {
        let full = full_forward(&inputs.h, &inputs.gamma, &inputs.beta, inputs.eps);
        let full_grads = full_backward(&full, &inputs.gamma, &inputs.g, inputs.eps);
        let full_check = check_full(&inputs, &full_grads);
        let running = running_forward(&inputs);
        let exact = running_backward_exact(&running, &inputs.gamma, &inputs.g, inputs.eps);
        let exact_check = check_running(&inputs, &exact);
        let stop = running_backward_stop_grad(&running, &inputs.gamma, &inputs.g, inputs.eps);
        let stop_check = check_running(&inputs, &stop);
        let causality = causality(&inputs, perturbed_step, 1.0);
        Solution {
            inputs,
            full,
            full_grads,
            full_check,
            running,
            exact,
            exact_check,
            stop,
            stop_check,
            causality,
        }
    }

    /// The default example (seed 1, T=8, K=3, EMA α=0.25, ε=1e-5).
    pub fn default_example() -> Solution {
        Solution::new(
            Inputs::seeded(
                DEFAULT_SEED,
                DEFAULT_T,
                DEFAULT_K,
                DEFAULT_EPS,
                Rate::Ema {
                    alpha: DEFAULT_ALPHA,
                },
            ),
            DEFAULT_T / 2,
        )
    }

    /// Largest |exact − stop-gradient| entry of `∂L/∂H`, relative to the
    /// largest exact entry.
    pub fn stop_grad_gap(&self) -> f64 {
        stop_grad_gap(&self.exact, &self.stop)
    }

    /// How far the stop-gradient `∂L/∂H` is from the exact one, in words: a
    /// percentage, or, when the exact gradient is exactly 0 (T = 1 with v_0 = 0:
    /// Y = β whatever H is) and no relative difference exists, both sizes.
    pub fn stop_grad_gap_text(&self) -> String {
        let gap = self.stop_grad_gap();
        if gap.is_finite() {
            return format!("{:.0}%", 100.0 * gap);
        }
        let largest = self
            .stop
            .grads
            .dh
            .iter()
            .fold(0.0, |m: f64, v| m.max(v.abs()));
        format!(
            "all of it: the exact one is 0, the stop-gradient one reaches {}",
            sci(largest)
        )
    }
}

/// Largest |exact − stop-gradient| entry of `∂L/∂H`, relative to the largest
/// exact entry.
pub fn stop_grad_gap(exact: &RunningGrads, stop: &RunningGrads) -> f64 {
    let max_abs = |it: &mut dyn Iterator<Item = f64>| it.fold(0.0, |m: f64, v| m.max(v.abs()));
    let diff = max_abs(
        &mut exact
            .grads
            .dh
            .iter()
            .zip(&stop.grads.dh)
            .map(|(a, b)| a - b),
    );
    let scale = max_abs(&mut exact.grads.dh.iter().copied());
    diff / scale.max(f64::MIN_POSITIVE)
}

/// The slow rate the content contrasts with the default.
pub const SLOW_ALPHA: f64 = 0.001;

/// Relative errors this small count as a pass, live and in tests.
pub const CHECK_TOLERANCE: f64 = 1e-6;

// ------------------------------------------------------------- numbers ----

/// A float in the short form the panel and the content use.
pub fn short(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e-3 && v.abs() < 1e4 {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        sci(v)
    }
}

/// `3.1e-10`-style scientific notation with two significant figures.
pub fn sci(v: f64) -> String {
    format!("{v:.1e}")
}

/// Scientific notation as LaTeX (`3.1 \times 10^{-10}`), for use inside math.
pub fn sci_tex(v: f64) -> String {
    let s = sci(v);
    match s.split_once('e') {
        Some((m, e)) => format!("{m} \\times 10^{{{e}}}"),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(seed: u64, t: usize, k: usize, rate: Rate) -> Inputs {
        Inputs::seeded(seed, t, k, DEFAULT_EPS, rate)
    }

    #[test]
    fn full_statistics_are_per_feature_over_time() {
        let inp = example(3, 6, 4, Rate::Cumulative);
        let f = full_forward(&inp.h, &inp.gamma, &inp.beta, inp.eps);
        for k in 0..4 {
            let col = inp.h.column(k);
            let mean = col.sum() / 6.0;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 6.0;
            assert!((f.mu[k] - mean).abs() < 1e-12);
            assert!((f.var[k] - var).abs() < 1e-12);
            // ŷ has zero mean and (almost) unit biased variance over time.
            let yh = f.yhat.column(k);
            assert!(yh.sum().abs() < 1e-10);
            let v = yh.iter().map(|v| v * v).sum::<f64>() / 6.0;
            assert!((v - var / (var + inp.eps)).abs() < 1e-10);
        }
    }

    #[test]
    fn full_backward_matches_finite_differences() {
        for seed in 0..5 {
            let inp = example(seed, 7, 3, Rate::Cumulative);
            let f = full_forward(&inp.h, &inp.gamma, &inp.beta, inp.eps);
            let g = full_backward(&f, &inp.gamma, &inp.g, inp.eps);
            let c = check_full(&inp, &g);
            assert!(c.max() < 1e-7, "seed {seed}: {c:?}");
            // Σ_t ∂L/∂h_t = 0: shifting every step by the same amount changes nothing.
            assert!(g.dh.sum_axis(Axis(0)).iter().all(|v| v.abs() < 1e-10));
        }
    }

    #[test]
    fn running_exact_backward_matches_finite_differences() {
        for (seed, rate) in [
            (0, Rate::Ema { alpha: 0.25 }),
            (1, Rate::Ema { alpha: 0.05 }),
            (2, Rate::Ema { alpha: 0.9 }),
            (3, Rate::Cumulative),
        ] {
            let inp = example(seed, 9, 3, rate);
            let f = running_forward(&inp);
            let g = running_backward_exact(&f, &inp.gamma, &inp.g, inp.eps);
            let c = check_running(&inp, &g);
            assert!(c.max() < 1e-7, "{rate:?}: {c:?}");
        }
    }

    #[test]
    fn stop_gradient_differs_measurably() {
        let inp = example(1, 8, 3, Rate::Ema { alpha: 0.25 });
        let f = running_forward(&inp);
        let stop = running_backward_stop_grad(&f, &inp.gamma, &inp.g, inp.eps);
        let c = check_running(&inp, &stop);
        assert!(c.dh.max_rel_error > 1e-2, "{c:?}");
        // Its γ and β gradients are exact: they do not pass through statistics.
        assert!(c.dgamma.max_rel_error < 1e-7 && c.dbeta.max_rel_error < 1e-7);
    }

    /// As α → 0 the statistics stop moving, so the exact gradient tends to the
    /// stop-gradient one.
    #[test]
    fn small_alpha_makes_stop_gradient_nearly_exact() {
        let gap = |alpha| {
            let inp = example(4, 8, 3, Rate::Ema { alpha });
            Solution::new(inp, 0).stop_grad_gap()
        };
        assert!(gap(1e-3) < 0.05 * gap(0.25), "{} {}", gap(1e-3), gap(0.25));
    }

    #[test]
    fn step_by_step_equals_the_loop_and_is_causal() {
        let inp = example(5, 10, 4, Rate::Ema { alpha: 0.3 });
        let f = running_forward(&inp);
        let mut state = RunningState::new(&inp.mu0, &inp.v0);
        for t in 0..10 {
            let s = state.step(inp.h.row(t), &inp.gamma, &inp.beta, inp.eps, inp.rate);
            assert_eq!(s.y, f.y.row(t));
        }
        for p in 0..10 {
            let c = causality(&inp, p, 1.0);
            assert!(c.running_causal, "{p}");
            assert!(c.running[p] > 0.0);
            if p > 0 {
                assert!(c.full_leaks, "{p}");
            }
        }
    }

    /// With α_t = 1/t the running statistics are the statistics of h_1..h_t
    /// (Welford), so step T reproduces the full layer.
    #[test]
    fn cumulative_rate_ends_at_the_full_statistics() {
        let inp = example(6, 11, 3, Rate::Cumulative);
        let r = running_forward(&inp);
        let f = full_forward(&inp.h, &inp.gamma, &inp.beta, inp.eps);
        for t in 0..11 {
            let prefix = inp.h.select(Axis(0), &(0..=t).collect::<Vec<_>>());
            let p = full_forward(&prefix, &inp.gamma, &inp.beta, inp.eps);
            for k in 0..3 {
                assert!((r.mu[[t, k]] - p.mu[k]).abs() < 1e-12);
                assert!((r.var[[t, k]] - p.var[k]).abs() < 1e-12);
            }
        }
        let diff = (&r.y.row(10) - &f.y.row(10)).mapv(f64::abs).sum();
        assert!(diff < 1e-12, "{diff}");
    }

    #[test]
    fn facts_are_complete_and_pass() {
        let mut f = Facts::new();
        facts(&mut f);
        assert_eq!(f["p4.params"], "6");
        assert_eq!(f["p4.causal"], "unchanged");
        let exact: f64 = f["p4.exact_check"].parse().unwrap();
        assert!(exact < CHECK_TOLERANCE);
        let stop: f64 = f["p4.stop_check"].parse().unwrap();
        assert!(stop > 0.01);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 24,
            // Deterministic like every other test: the same 24 cases each run.
            rng_seed: proptest::test_runner::RngSeed::Fixed(4),
            ..Default::default()
        })]

        /// For any seed, size, rate and initial state: the exact backward
        /// passes the check, the running layer is causal, and the cumulative
        /// rate ends at the full statistics.
        #[test]
        fn invariants(
            seed in 0u64..1000,
            t in 2usize..12,
            k in 1usize..4,
            alpha in 0.01f64..0.95,
            cumulative: bool,
            mu0 in -2.0f64..2.0,
            v0 in 0.1f64..3.0,
            step in 0usize..12,
        ) {
            let rate = if cumulative { Rate::Cumulative } else { Rate::Ema { alpha } };
            let mut inp = example(seed, t, k, rate);
            inp.mu0.fill(mu0);
            inp.v0.fill(v0);
            let s = Solution::new(inp, step);
            proptest::prop_assert!(s.full_check.max() < CHECK_TOLERANCE, "{:?}", s.full_check);
            proptest::prop_assert!(s.exact_check.max() < CHECK_TOLERANCE, "{:?}", s.exact_check);
            proptest::prop_assert!(s.causality.running_causal);
            if cumulative {
                let last = t - 1;
                for j in 0..k {
                    proptest::prop_assert!((s.running.mu[[last, j]] - s.full.mu[j]).abs() < 1e-9);
                    proptest::prop_assert!((s.running.var[[last, j]] - s.full.var[j]).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn bad_params_name_themselves() {
        for (arg, name) in [
            ("t=0", "`t`"),
            ("t=65", "`t`"),
            ("k=17", "`k`"),
            ("eps=0", "`eps`"),
            ("alpha=1", "`alpha`"),
            ("alpha=x", "`alpha`"),
            ("v0=-1", "`v0`"),
            ("step=9", "`step`"),
            ("mode=half", "`mode`"),
        ] {
            let mut p = Params::parse(&[arg]).unwrap();
            let e = Settings::from_params(&mut p).err().expect(arg);
            assert!(e.to_string().contains(name), "{arg}: {e}");
        }
    }
}
