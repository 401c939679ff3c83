//! What batch norm feeds each activation, and what each sends back: the cheap,
//! synchronous half of Problem 2.
//!
//! Random data x [N][d] goes through a linear layer z = x Wᵀ (no bias: BN's β
//! replaces it, and a bias before BN would be subtracted out with the mean) and
//! batch norm u = γ x̂ + β. For every activation we measure act(u) and act'(u)
//! over all N·F entries and derive a verdict from stated thresholds.

use ndarray::{Array1, Array2, Axis, Slice};
use serde::Serialize;

use super::batchnorm::{self, EPS};
use super::functions::{ALL, Act};
use crate::compute::gradcheck::GradCheck;
use crate::compute::rng;

/// Width of the random data fed to the linear layer.
pub const INPUT_DIM: usize = 8;

/// Rows and features of z used for the live BN gradient check (kept small so it
/// costs microseconds: 2·(8·4 + 2·4) BN forwards of an 8×4 batch).
pub const CHECK_ROWS: usize = 8;
pub const CHECK_FEATURES: usize = 4;

/// Verdict thresholds. They are the whole of the rule; nothing is per activation.
pub mod thresholds {
    /// zero_grad_fraction above this: (almost) no unit passes gradient back.
    pub const NO_GRADIENT: f64 = 0.99;
    /// out_std below this (with no gradient): the unit is dead, its output constant.
    pub const CONSTANT_STD: f64 = 1e-3;
    /// mean |act'| below this (though not exactly zero): saturated, the
    /// gradient is multiplied by almost nothing at every layer.
    pub const SATURATED: f64 = 0.01;
    /// linearity_r2 above this: the map is affine, the stack collapses to one.
    pub const LINEAR_R2: f64 = 0.999;
    /// linearity_r2 above this (but not linear): usable, yet nearly linear here.
    pub const NEARLY_LINEAR_R2: f64 = 0.95;
    /// mean |act'| below this: each layer shrinks the backward signal.
    pub const SMALL_SLOPE: f64 = 0.3;
    /// |act'| at or below this counts as a zero local gradient.
    pub const ZERO_GRAD: f64 = 1e-12;
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StatsConfig {
    pub seed: u64,
    /// N, the batch BN normalises over (≥ 2).
    pub batch: usize,
    /// F, the number of units.
    pub width: usize,
    pub gamma: f64,
    pub beta: f64,
    /// c in ReLU(x − c).
    pub shift: f64,
}

impl Default for StatsConfig {
    fn default() -> Self {
        // the same N and width as the experiment's defaults, so the panel, the
        // CLI and the facts all open on the same batch
        StatsConfig {
            seed: 1,
            batch: 64,
            width: 64,
            gamma: 1.0,
            beta: 0.0,
            shift: super::functions::MIDTERM_SHIFT,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub poor: bool,
    pub reason: String,
}

impl Verdict {
    /// The one word the text, the panel and the CLI all use: poor, debated or fine.
    pub fn word(&self) -> &'static str {
        if self.poor {
            "poor"
        } else if self.reason.starts_with("debated") {
            "debated"
        } else {
            "fine"
        }
    }
}

/// An R² for display: "—" when it is undefined (a constant output).
pub fn r2_text(r2: Option<f64>, digits: usize) -> String {
    r2.map_or_else(|| "—".into(), |r| format!("{r:.digits$}"))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActStats {
    #[serde(skip)]
    pub act: Act,
    pub name: String,
    pub out_mean: f64,
    pub out_std: f64,
    pub zero_grad_fraction: f64,
    pub mean_abs_grad: f64,
    /// R² of the best affine fit act(u) ≈ a + b·u over all entries; `None` when
    /// the output is constant (R² = 1 − SS_res/SS_tot divides 0 by 0).
    pub linearity_r2: Option<f64>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone)]
pub struct Statistics {
    pub config: StatsConfig,
    /// x [N][INPUT_DIM], standard normal.
    pub x: Array2<f64>,
    /// W [F][INPUT_DIM], N(0, 1/INPUT_DIM).
    pub w: Array2<f64>,
    /// BN input z = x Wᵀ, [N][F].
    pub z: Array2<f64>,
    /// BN output u = γ x̂ + β, [N][F]: what every activation is fed.
    pub u: Array2<f64>,
    pub acts: Vec<ActStats>,
    /// Central-difference check of BN backward on z[..8, ..4] at this γ, β.
    pub bn_check: GradCheck,
}

pub fn compute(config: StatsConfig) -> Statistics {
    let StatsConfig {
        seed,
        batch,
        width,
        gamma,
        beta,
        shift,
    } = config;
    let mut rng = rng::seeded(seed);
    let x: Array2<f64> = rng::normal(&mut rng, (batch, INPUT_DIM), 1.0);
    let w: Array2<f64> = rng::normal(&mut rng, (width, INPUT_DIM), (INPUT_DIM as f64).powf(-0.5));
    let z = x.dot(&w.t());
    let g = Array1::from_elem(width, gamma);
    let b = Array1::from_elem(width, beta);
    let (u, _) = batchnorm::forward(z.view(), g.view(), b.view(), EPS);
    let acts = ALL.iter().map(|&act| act_stats(act, &u, shift)).collect();
    let (rows, cols) = (batch.min(CHECK_ROWS), width.min(CHECK_FEATURES));
    let bn_check = batchnorm::grad_check(
        z.slice_axis(Axis(0), Slice::from(..rows))
            .slice_axis(Axis(1), Slice::from(..cols)),
        g.slice_axis(Axis(0), Slice::from(..cols)),
        b.slice_axis(Axis(0), Slice::from(..cols)),
        seed,
    );
    Statistics {
        config,
        x,
        w,
        z,
        u,
        acts,
        bn_check,
    }
}

pub fn act_stats(act: Act, u: &Array2<f64>, shift: f64) -> ActStats {
    // This runs five times per key press and in facts, so: two plain passes,
    // one buffer, no divisions in the loops.
    let n = u.len().max(1) as f64;
    let mut out = Vec::with_capacity(u.len());
    let (mut zero, mut abs_grad, mut sum_u, mut sum_a) = (0usize, 0.0, 0.0, 0.0);
    act.for_each_with_derivative(u, shift, |v, a, g| {
        zero += usize::from(g.abs() <= thresholds::ZERO_GRAD);
        abs_grad += g.abs();
        sum_u += v;
        sum_a += a;
        out.push(a);
    });
    let m = CoMoments::centred(sum_u / n, sum_a / n, u.iter().copied().zip(out));
    let out_std = (m.syy / n).sqrt();
    let zero_grad_fraction = zero as f64 / n;
    let mean_abs_grad = abs_grad / n;
    let linearity_r2 = m.r2();
    let verdict = verdict(out_std, zero_grad_fraction, mean_abs_grad, linearity_r2);
    ActStats {
        act,
        name: act.name(shift),
        out_mean: m.my,
        out_std,
        zero_grad_fraction,
        mean_abs_grad,
        linearity_r2,
        verdict,
    }
}

/// Means and centred (co)moments of pairs (x, y).
#[derive(Debug, Clone, Copy, Default)]
struct CoMoments {
    n: f64,
    mx: f64,
    my: f64,
    sxx: f64,
    syy: f64,
    sxy: f64,
}

impl CoMoments {
    /// Second pass over the pairs, given their means (centring first keeps the
    /// sums accurate when the means are large compared with the spread).
    fn centred(mx: f64, my: f64, pairs: impl Iterator<Item = (f64, f64)>) -> Self {
        let mut m = CoMoments {
            mx,
            my,
            ..CoMoments::default()
        };
        for (x, y) in pairs {
            let (dx, dy) = (x - mx, y - my);
            m.n += 1.0;
            m.sxx += dx * dx;
            m.syy += dy * dy;
            m.sxy += dx * dy;
        }
        m
    }

    /// corr(x, y)², or `None` when either side is constant (see [`affine_r2`]).
    fn r2(&self) -> Option<f64> {
        let n = self.n.max(1.0);
        // relative tolerances: below these the sums are rounding noise
        let flat_y = self.syy <= 1e-24 * n * (1.0 + self.my * self.my);
        let flat_x = self.sxx <= 1e-24 * n * (1.0 + self.mx * self.mx);
        if flat_x || flat_y {
            return None;
        }
        Some((self.sxy * self.sxy / (self.sxx * self.syy)).clamp(0.0, 1.0))
    }
}

/// R² of the least-squares fit y ≈ a + b·x: corr(x, y)². Undefined (`None`) when
/// y or x is constant: the fit leaves no variance to explain.
pub fn affine_r2(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len()).max(1) as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    CoMoments::centred(mx, my, x.iter().copied().zip(y.iter().copied())).r2()
}

/// The one-line verdict: rules on the measured numbers, checked in this order.
pub fn verdict(
    out_std: f64,
    zero_grad_fraction: f64,
    mean_abs_grad: f64,
    linearity_r2: Option<f64>,
) -> Verdict {
    use thresholds::*;
    let pct = |f: f64| format!("{:.1}%", 100.0 * f);
    if zero_grad_fraction > NO_GRADIENT {
        let reason = if out_std < CONSTANT_STD {
            format!(
                "dead: {} of units pass no gradient and the output is constant, \
                 so not even beta can learn",
                pct(zero_grad_fraction)
            )
        } else {
            format!(
                "no gradient: act' = 0 for {} of units though outputs vary; \
                 nothing below learns",
                pct(zero_grad_fraction)
            )
        };
        return Verdict { poor: true, reason };
    }
    if mean_abs_grad < SATURATED {
        return Verdict {
            poor: true,
            reason: format!(
                "saturated: mean |act'| {mean_abs_grad:.1e}, almost no gradient gets through"
            ),
        };
    }
    // A constant output (R² undefined) is affine too.
    let Some(linearity_r2) = linearity_r2.filter(|r| *r <= LINEAR_R2) else {
        return Verdict {
            poor: true,
            reason: format!(
                "linear (R² {}): the whole stack collapses to one affine map",
                r2_text(linearity_r2, 4)
            ),
        };
    };
    let mut cautions = Vec::new();
    let nearly_linear = linearity_r2 > NEARLY_LINEAR_R2;
    if nearly_linear {
        cautions.push(format!(
            "nearly linear on BN's range (R² {linearity_r2:.3})"
        ));
    }
    if mean_abs_grad < SMALL_SLOPE {
        cautions.push(format!(
            "small slope (mean |act'| {mean_abs_grad:.2}), which the next batch norm rescales"
        ));
    }
    let flows = format!(
        "gradient flows through {} of units",
        pct(1.0 - zero_grad_fraction)
    );
    let base = if nearly_linear {
        flows
    } else {
        format!("nonlinear (R² {linearity_r2:.2}), {flows}")
    };
    let reason = if cautions.is_empty() {
        format!("fine: {base}")
    } else {
        format!("debated: {base}; {}", cautions.join(", "))
    };
    Verdict {
        poor: false,
        reason,
    }
}

/// Counts of `values` in `bins` equal bins over [lo, hi]; values outside are
/// clamped into the end bins, non-finite ones skipped.
pub fn histogram(values: impl Iterator<Item = f64>, lo: f64, hi: f64, bins: usize) -> Vec<u64> {
    let mut counts = vec![0u64; bins];
    if bins == 0 {
        return counts;
    }
    let width = (hi - lo).max(f64::MIN_POSITIVE);
    for v in values.filter(|v| v.is_finite()) {
        let i = (((v - lo) / width) * bins as f64).floor();
        let i = i.clamp(0.0, (bins - 1) as f64) as usize;
        counts[i] += 1;
    }
    counts
}

/// Largest |u| in the batch. With biased variance, |x̂| ≤ √(N − 1) always
/// (one outlier against N − 1 equal values is the extreme), so BN outputs at
/// γ = 1, β = 0 can never reach 10 unless N ≥ 102.
pub fn max_abs(u: &Array2<f64>) -> f64 {
    u.iter().fold(0.0, |m, v| m.max(v.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_stats() -> Statistics {
        compute(StatsConfig::default())
    }

    #[test]
    fn shifted_relu_is_dead_at_gamma_one_beta_zero() {
        let s = default_stats();
        let relu = &s.acts[2];
        assert!(relu.zero_grad_fraction > 0.999, "{relu:?}");
        assert!(relu.out_std < 1e-12);
        assert!(relu.verdict.poor && relu.verdict.reason.starts_with("dead"));
    }

    #[test]
    fn beta_ten_revives_the_shifted_relu() {
        // β = 10 moves the BN output to centre 10: half the units are active again
        let s = compute(StatsConfig {
            beta: 10.0,
            ..StatsConfig::default()
        });
        let relu = &s.acts[2];
        assert!((relu.zero_grad_fraction - 0.5).abs() < 0.05, "{relu:?}");
        assert!(!relu.verdict.poor);
    }

    #[test]
    fn statistics_match_the_standard_normal_closed_forms() {
        // u ≈ N(0, 1) per feature (BN), pooled over 128·64 entries:
        //   min(0,u): mean −1/√(2π) ≈ −0.399, half the slopes are zero,
        //             R² = (1/2)² / (1/2 − 1/(2π)) ≈ 0.733;
        //   u/√2: slope 1/√2 everywhere, R² = 1;
        //   sigmoid: mean 1/2, E σ'(u) ≈ 0.207;  sign: mean 0, std 1, slope 0.
        let s = default_stats();
        let [m0, lin, _, sig, sign] = [&s.acts[0], &s.acts[1], &s.acts[2], &s.acts[3], &s.acts[4]];
        assert!((m0.out_mean + 0.399).abs() < 0.02, "{m0:?}");
        assert!((m0.zero_grad_fraction - 0.5).abs() < 0.03);
        assert!((m0.linearity_r2.unwrap() - 0.733).abs() < 0.03);
        assert!(!m0.verdict.poor);
        assert!((lin.mean_abs_grad - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        assert!(lin.linearity_r2.unwrap() > 0.999_999 && lin.verdict.poor);
        assert!((sig.out_mean - 0.5).abs() < 0.02 && (sig.mean_abs_grad - 0.207).abs() < 0.01);
        assert!(
            sig.verdict.word() == "debated" && !sig.verdict.reason.contains("shrinks"),
            "{sig:?}"
        );
        assert!((sign.out_std - 1.0).abs() < 0.02 && sign.zero_grad_fraction == 1.0);
        assert!(sign.verdict.poor && sign.verdict.reason.starts_with("no gradient"));
        assert!(s.bn_check.max_rel_error < 1e-7, "{:?}", s.bn_check);
    }

    #[test]
    fn a_sigmoid_pushed_into_its_tail_is_saturated() {
        // γ = −1, β = 10: u ≈ N(10, 1), σ'(u) ≈ e^(−10), never exactly 0
        let s = compute(StatsConfig {
            gamma: -1.0,
            beta: 10.0,
            ..StatsConfig::default()
        });
        let sig = &s.acts[3];
        assert_eq!(sig.zero_grad_fraction, 0.0);
        assert!(
            sig.verdict.poor && sig.verdict.reason.starts_with("saturated"),
            "{sig:?}"
        );
    }

    #[test]
    fn bn_outputs_stay_below_sqrt_n_minus_one() {
        for batch in [2, 5, 40] {
            let s = compute(StatsConfig {
                batch,
                ..StatsConfig::default()
            });
            assert!(max_abs(&s.u) <= ((batch - 1) as f64).sqrt() + 1e-9);
        }
    }

    #[test]
    fn verdict_rules_follow_thresholds_not_names() {
        assert!(verdict(0.0, 1.0, 0.0, None).reason.starts_with("dead"));
        assert!(
            verdict(1.0, 1.0, 0.0, Some(0.5))
                .reason
                .starts_with("no gradient")
        );
        assert!(verdict(1.0, 0.0, 1.0, Some(0.9995)).poor);
        // A constant output that passed gradient would still be affine.
        assert!(
            verdict(0.0, 0.0, 1.0, None)
                .reason
                .starts_with("linear (R² —)")
        );
        assert!(
            verdict(0.01, 0.0, 1e-4, Some(0.6))
                .reason
                .starts_with("saturated")
        );
        let ok = verdict(1.0, 0.5, 0.5, Some(0.7));
        assert!(!ok.poor && ok.reason.starts_with("fine:") && ok.word() == "fine");
    }

    #[test]
    fn affine_r2_edge_cases() {
        let xs = [1.0, 2.0, 3.0];
        // A constant output leaves nothing to explain: undefined, shown as "—".
        assert_eq!(affine_r2(&xs, &[5.0; 3]), None);
        assert_eq!(r2_text(None, 3), "—");
        assert!((affine_r2(&xs, &[2.0, 4.0, 6.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!(affine_r2(&xs, &[0.0, 1.0, 0.0]).unwrap() < 1e-12);
    }

    #[test]
    fn histogram_counts_everything_finite() {
        let h = histogram(
            [-5.0, 0.1, 0.2, 0.9, 7.0, f64::NAN].into_iter(),
            0.0,
            1.0,
            4,
        );
        assert_eq!(h, vec![3, 0, 0, 2]);
    }
}
