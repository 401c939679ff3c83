//! Problem 2: what batch norm feeds each candidate activation, what comes back,
//! and what that does to a deep Linear → BN → act stack.
//!
//! - [`batchnorm`]: BN forward/backward with a finite-difference check.
//! - [`functions`]: the five activations and their (almost-everywhere) derivatives.
//! - [`stats`]: the cheap part: statistics of act(u) and act'(u) for u = BN(x Wᵀ)
//!   at initialisation, and the verdict rules.
//! - [`experiment`]: the deep-stack experiment on two spirals (a job in the panel).

pub mod batchnorm;
pub mod experiment;
pub mod functions;
pub mod spirals;
pub mod stats;
pub mod trace;

use ndarray::Array2;
use serde_json::{Value, json};

use super::gradcheck::GradCheck;
use super::{Computation, ComputeError, ParamError, ParamSpec, Params, ProgressFn, Report};
use experiment::{Experiment, ExperimentConfig};
use functions::ALL;
use stats::{Statistics, StatsConfig};

pub const NAME: &str = "activations";

/// Upper bound on the experiment's multiply-adds ([`work`]): about 4× the
/// defaults (≈ 6e9, about 1 s of CPU in release), so no parameter combination
/// runs for more than a few seconds.
pub const WORK_BUDGET: f64 = 2.5e10;

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "seed",
        default: "1",
        help: "seed for data, weights and mini-batches",
    },
    ParamSpec {
        name: "batch",
        default: "64",
        help: "batch-norm batch size N, 2..=512",
    },
    ParamSpec {
        name: "width",
        default: "64",
        help: "units per layer, 2..=128",
    },
    ParamSpec {
        name: "depth",
        default: "20",
        help: "Linear→BN→act blocks, 1..=50",
    },
    ParamSpec {
        name: "steps",
        default: "60",
        help: "Adam steps per activation, 0..=1000",
    },
    ParamSpec {
        name: "gamma",
        default: "1",
        help: "initial BN scale γ, -100..=100",
    },
    ParamSpec {
        name: "beta",
        default: "0",
        help: "initial BN shift β, -100..=100",
    },
    ParamSpec {
        name: "shift",
        default: "10",
        help: "c in ReLU(x - c), -100..=100",
    },
    ParamSpec {
        name: "lr",
        default: "0.02",
        help: "Adam learning rate, 1e-6..=1",
    },
    ParamSpec {
        name: "points",
        default: "128",
        help: "spiral points per class, 8..=1024",
    },
    ParamSpec {
        name: "weights",
        default: "first",
        help: "initial weights in JSON: first (block 1) or all",
    },
    ParamSpec {
        name: "trace",
        default: "0",
        help: "1: --json adds one Linear→BN→act block (8×3 → 3) step by step for each activation, at γ, β, c, seed",
    },
];

pub const COMPUTATION: Computation = Computation {
    name: NAME,
    summary: "Problem 2: batch norm into five activations; statistics and a deep-stack experiment",
    params: PARAMS,
    run,
};

/// Both halves' settings, read from `key=value` parameters with their bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub stats: StatsConfig,
    pub experiment: ExperimentConfig,
    pub all_weights: bool,
    /// `trace=1`: the JSON carries each activation's block trace.
    pub trace: bool,
}

pub fn settings(p: &mut Params) -> Result<Settings, ComputeError> {
    let d = ExperimentConfig::default();
    let seed = p.u64("seed", 1, 0..=u64::MAX)?;
    let batch = p.usize("batch", d.batch, 2..=512)?;
    let width = p.usize("width", d.width, 2..=128)?;
    let depth = p.usize("depth", d.depth, 1..=50)?;
    let steps = p.usize("steps", d.steps, 0..=1000)?;
    let gamma = p.f64("gamma", d.gamma, -100.0..=100.0)?;
    let beta = p.f64("beta", d.beta, -100.0..=100.0)?;
    let shift = p.f64("shift", d.shift, -100.0..=100.0)?;
    let learning_rate = p.f64("lr", d.learning_rate, 1e-6..=1.0)?;
    let per_class = p.usize("points", d.spirals.per_class, 8..=1024)?;
    let all_weights = p.choice("weights", "first", &["first", "all"])? == "all";
    let trace = super::trace::wanted(p)?;
    // reject unknown keys now rather than after a full experiment
    p.finish(PARAMS)?;
    let experiment = ExperimentConfig {
        seed,
        batch,
        depth,
        width,
        steps,
        gamma,
        beta,
        shift,
        learning_rate,
        spirals: spirals::SpiralSpec {
            per_class,
            ..d.spirals
        },
    };
    check_budget(&experiment)?;
    Ok(Settings {
        stats: StatsConfig {
            seed,
            batch,
            width,
            gamma,
            beta,
            shift,
        },
        experiment,
        all_weights,
        trace,
    })
}

/// Multiply-adds of one experiment, roughly: 3 matrix products per block per
/// training row (forward, dW, dh) and 1 per evaluation row.
pub fn work(c: &ExperimentConfig) -> (f64, f64) {
    let per_row = (c.width * c.width * c.depth) as f64;
    let evals = (c.steps / experiment::eval_every(c.steps) + 2) as f64;
    let train = 3.0 * (c.batch * c.steps) as f64 * per_row;
    let eval = evals * (2 * c.spirals.per_class) as f64 * per_row;
    (
        train * functions::ALL.len() as f64,
        eval * functions::ALL.len() as f64,
    )
}

fn check_budget(c: &ExperimentConfig) -> Result<(), ParamError> {
    let (train, eval) = work(c);
    if train + eval <= WORK_BUDGET {
        return Ok(());
    }
    let context = format!(
        "with batch={}, width={}, depth={}: work budget",
        c.batch, c.width, c.depth
    );
    if train > WORK_BUDGET / 2.0 {
        let per_step = train / c.steps.max(1) as f64;
        let max_steps = (WORK_BUDGET / 2.0 / per_step).floor() as u64;
        Err(ParamError::OutOfRange {
            name: "steps".into(),
            value: c.steps.to_string(),
            range: format!("0..={max_steps} ({context})"),
        })
    } else {
        Err(ParamError::OutOfRange {
            name: "points".into(),
            value: c.spirals.per_class.to_string(),
            range: format!("8..={} ({context})", c.spirals.per_class / 2),
        })
    }
}

/// The network gradient check for every activation at these settings.
pub fn network_checks(c: &ExperimentConfig) -> Vec<GradCheck> {
    ALL.iter()
        .map(|&a| experiment::network_grad_check(a, c.shift, c.gamma, c.beta, c.seed))
        .collect()
}

fn run(p: &mut Params, progress: &mut ProgressFn<'_>) -> Result<Report, ComputeError> {
    let s = settings(p)?;
    let statistics = stats::compute(s.stats);
    let exp = experiment::run(s.experiment, progress)?;
    let checks = network_checks(&s.experiment);
    let equivalence = experiment::min_zero_relu_equivalence(s.experiment.seed);
    let text = to_text(&statistics, Some(&exp), &checks, equivalence);
    let mut json = to_json(&statistics, &exp, &checks, equivalence, s.all_weights);
    if s.trace {
        let c = s.stats;
        let traces: Vec<Value> = ALL
            .iter()
            .map(|&act| {
                trace::record(&trace::BlockSpec::small(
                    act, c.gamma, c.beta, c.shift, c.seed,
                ))
                .to_json()
            })
            .collect();
        json["trace"] = Value::Array(traces);
    }
    Ok(Report { text, json })
}

fn rows(a: &Array2<f64>) -> Vec<Vec<f64>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}

fn check_json(c: &GradCheck) -> Value {
    json!({
        "max_rel_error": c.max_rel_error,
        "worst_index": c.worst_index,
        "checked": c.checked,
    })
}

pub fn to_json(
    s: &Statistics,
    e: &Experiment,
    checks: &[GradCheck],
    equivalence: f64,
    all_weights: bool,
) -> Value {
    use stats::thresholds as t;
    let c = &e.config;
    let activations: Vec<Value> = s
        .acts
        .iter()
        .zip(&e.runs)
        .zip(checks)
        .map(|((a, r), chk)| {
            json!({
                "name": a.name,
                "out_mean": a.out_mean,
                "out_std": a.out_std,
                "zero_grad_fraction": a.zero_grad_fraction,
                "mean_abs_grad": a.mean_abs_grad,
                "linearity_r2": a.linearity_r2,
                "grad_norm_by_depth": r.grad_norm_by_depth,
                "beta_grad_norm_at_init": r.beta_grad_norm_at_init,
                "beta_max_change": r.beta_max_change,
                "loss_curve": r.loss_curve,
                "accuracy_curve": r.accuracy_curve,
                "final_train_accuracy": r.final_train_accuracy,
                "final_train_loss": r.final_train_loss,
                "network_grad_check": check_json(chk),
                "poor": a.verdict.poor,
                "verdict": a.verdict.word(),
                "reason": a.verdict.reason,
            })
        })
        .collect();
    let weights = if all_weights {
        json!({
            "included": "all initial weights",
            "blocks": e.initial.blocks.iter().map(|b| rows(&b.w)).collect::<Vec<_>>(),
            "w_out": rows(&e.initial.w_out),
            "b_out": e.initial.b_out.to_vec(),
        })
    } else {
        json!({
            "included": "block 1 only ([width][2]); pass weights=all for every block",
            "first_block_w": rows(&e.first_block_w()),
            "others": "not included; regenerate: rand 0.9 StdRng::seed_from_u64(seed) draws, in row-major order, block 1 W [width][2] ~ N(0, 1/2), blocks 2..depth W [width][width] ~ N(0, 1/width), output W [1][width] ~ N(0, 1/width); b_out = 0; each normal is sqrt(-2 ln(1 - u1)) cos(2 pi u2) with u1, u2 = rng.random::<f64>() in that order; or pass weights=all",
        })
    };
    json!({
        "problem": 2,
        "inputs": {
            "seed": c.seed,
            "batch": c.batch,
            "width": c.width,
            "depth": c.depth,
            "steps": c.steps,
            "gamma": c.gamma,
            "beta": c.beta,
            "shift": c.shift,
            "learning_rate": c.learning_rate,
            "optimizer": {"name": "adam", "beta1": experiment::ADAM_BETA1, "beta2": experiment::ADAM_BETA2, "eps": experiment::ADAM_EPS},
            "bn_eps": batchnorm::EPS,
            "bn_variance": "biased (divide by N), batch statistics in training and evaluation",
            "derivative_convention": "almost-everywhere derivative, 0 at the kink of min(0,x) and ReLU(x-c) and at the jump of sign(x)",
        },
        "statistics": {
            "description": "x ~ N(0,1) [batch][input_dim]; W ~ N(0, 1/input_dim) [width][input_dim]; z = x W^T (BN input); u = gamma*xhat + beta; stats pooled over all batch*width entries",
            "input_dim": stats::INPUT_DIM,
            "x": rows(&s.x),
            "w": rows(&s.w),
            "bn_input": rows(&s.z),
            "max_abs_bn_output": stats::max_abs(&s.u),
            "bn_grad_check": check_json(&s.bn_check),
            "thresholds": {
                "no_gradient_zero_grad_fraction_above": t::NO_GRADIENT,
                "constant_out_std_below": t::CONSTANT_STD,
                "linear_r2_above": t::LINEAR_R2,
                "nearly_linear_r2_above": t::NEARLY_LINEAR_R2,
                "small_mean_abs_grad_below": t::SMALL_SLOPE,
                "saturated_mean_abs_grad_below": t::SATURATED,
                "zero_grad_abs_at_most": t::ZERO_GRAD,
            },
        },
        "experiment": {
            "network": "depth x (Linear no bias -> BatchNorm -> act), then Linear(width -> 1) logit; loss mean binary cross-entropy; mini-batches of `batch` rows drawn uniformly with replacement; accuracy on the whole data set as one BN batch",
            "spirals": {
                "per_class": c.spirals.per_class,
                "turns": c.spirals.turns,
                "noise": c.spirals.noise,
                "generator": "class k, i < n: t = i/n, r = 0.1 + 0.9 t, theta = 2 pi turns t + k pi, p = r (cos, sin) + noise N(0, I)",
                "x": rows(&e.data.x),
                "y": e.data.y,
            },
            "eval_every": experiment::eval_every(c.steps),
            "initial_weights": weights,
            "min_zero_vs_negated_relu_max_abs_diff": equivalence,
        },
        "activations": activations,
    })
}

pub fn to_text(
    s: &Statistics,
    e: Option<&Experiment>,
    checks: &[GradCheck],
    equivalence: f64,
) -> String {
    let c = s.config;
    let mut out = format!(
        "Problem 2: u = BN(x Wᵀ), batch {} x width {}, γ={} β={} c={} seed {}\n\
         BN grad check: max rel err {:.1e} over {} entries\n\
         max |u| in the batch: {:.3} (bound √(N−1) = {:.3})\n\n",
        c.batch,
        c.width,
        c.gamma,
        c.beta,
        c.shift,
        c.seed,
        s.bn_check.max_rel_error,
        s.bn_check.checked,
        stats::max_abs(&s.u),
        ((c.batch - 1) as f64).sqrt(),
    );
    out += &format!(
        "{:<4}{:<19}{:>8}{:>8}{:>8}{:>8}{:>8}\n",
        "", "activation", "mean", "std", "zero'", "|act'|", "R²"
    );
    for (i, a) in s.acts.iter().enumerate() {
        out += &format!(
            "({}) {:<19}{:>8.3}{:>8.3}{:>7.1}%{:>8.3}{:>8}\n",
            i + 1,
            a.name,
            a.out_mean,
            a.out_std,
            100.0 * a.zero_grad_fraction,
            a.mean_abs_grad,
            stats::r2_text(a.linearity_r2, 4)
        );
    }
    out += "\nverdicts:\n";
    for (i, a) in s.acts.iter().enumerate() {
        // Fine and debated reasons start with their word; poor ones name the failure.
        let word = if a.verdict.poor { "poor: " } else { "" };
        out += &format!("({}) {word}{}\n", i + 1, a.verdict.reason);
    }
    if let Some(e) = e {
        let x = &e.config;
        out += &format!(
            "\ndeep stack: depth {} width {}, {} Adam steps (lr {}) on {} spiral points, batch {}\n",
            x.depth,
            x.width,
            x.steps,
            x.learning_rate,
            e.data.y.len(),
            x.batch
        );
        out += &format!(
            "{:<4}{:<19}{:>11}{:>11}{:>10}{:>9}{:>10}\n",
            "", "activation", "‖dW₁‖", "‖dW_D‖", "‖dβ‖", "Δβ max", "train acc"
        );
        for (i, r) in e.runs.iter().enumerate() {
            let first = r.grad_norm_by_depth.first().copied().unwrap_or(0.0);
            let last = r.grad_norm_by_depth.last().copied().unwrap_or(0.0);
            out += &format!(
                "({}) {:<19}{:>11.2e}{:>11.2e}{:>10.2e}{:>9.3}{:>9.1}%\n",
                i + 1,
                r.name,
                first,
                last,
                r.beta_grad_norm_at_init,
                r.beta_max_change,
                100.0 * r.final_train_accuracy
            );
        }
    }
    if !checks.is_empty() {
        let worst = checks.iter().fold(GradCheck::NONE, |a, b| a.merge(*b));
        out += &format!(
            "\nnetwork grad check (3 blocks x 4 units, all five activations): max rel err {:.1e} over {} entries\n",
            worst.max_rel_error, worst.checked
        );
    }
    out += &format!(
        "min(0,x) net vs ReLU net with γ, β, next weights negated: max |Δlogit| = {equivalence:.1e}\n"
    );
    out
}

/// Figures the Problem 2 solution quotes: the statistics at the defaults (the
/// panel's opening state) and two what-ifs. The training experiment is too slow
/// to be a fact; tests tie the text's claims about it to the computed result.
/// P(Z > x) for a standard normal Z and large x, from the asymptotic series
/// φ(x)/x · (1 − 1/x² + 3/x⁴ − 15/x⁶); relative error below 1e-3 for x ≥ 6.
fn normal_tail(x: f64) -> f64 {
    let phi = (-x * x / 2.0).exp() / std::f64::consts::TAU.sqrt();
    let x2 = x * x;
    phi / x * (1.0 - 1.0 / x2 + 3.0 / (x2 * x2) - 15.0 / (x2 * x2 * x2))
}

/// `v` rounded to two significant digits, grouped by thousands ("17,000", "36",
/// "0.52"): a ratio that varies by seed has no more digits worth quoting.
pub fn sci(v: f64) -> String {
    if !v.is_finite() || v <= 0.0 {
        return format!("{v}");
    }
    let e = v.log10().floor() as i32;
    if e < 1 {
        return format!("{:.*}", (1 - e) as usize, v);
    }
    let unit = 10f64.powi(e - 1);
    super::layer_table::thousands(((v / unit).round() * unit) as u64)
}

/// `v` with `digits` decimals, never "-0.000".
fn fixed(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

pub fn facts(out: &mut super::Facts) {
    let base = StatsConfig::default();
    let s = stats::compute(base);
    let mut put = |k: &str, v: String| {
        out.insert(format!("p2.{k}"), v);
    };
    put("batch", base.batch.to_string());
    put("width", base.width.to_string());
    put("seed", base.seed.to_string());
    put("entries", (base.batch * base.width).to_string());
    put("max_abs_u", format!("{:.2}", stats::max_abs(&s.u)));
    put(
        "sqrt_n_minus_1",
        format!("{:.2}", ((base.batch - 1) as f64).sqrt()),
    );
    put("bn_check", format!("{:.0e}", s.bn_check.max_rel_error));
    for (i, a) in s.acts.iter().enumerate() {
        let k = i + 1;
        put(&format!("a{k}.mean"), fixed(a.out_mean, 3));
        put(&format!("a{k}.std"), fixed(a.out_std, 3));
        put(
            &format!("a{k}.zero_grad_pct"),
            format!("{:.1}", 100.0 * a.zero_grad_fraction),
        );
        put(&format!("a{k}.mean_abs_grad"), fixed(a.mean_abs_grad, 3));
        put(&format!("a{k}.r2"), stats::r2_text(a.linearity_r2, 4));
        put(&format!("a{k}.verdict"), a.verdict.word().into());
    }
    // β = 10 shifts BN's output by 10 and changes nothing else: reuse u
    let revived = stats::act_stats(functions::Act::ShiftedRelu, &(&s.u + 10.0), base.shift);
    put(
        "beta10.a3.zero_grad_pct",
        format!("{:.1}", 100.0 * revived.zero_grad_fraction),
    );
    put("beta10.a3.verdict", revived.verdict.word().into());
    let sigmoid_max_slope: f64 = 0.25;
    let depth = ExperimentConfig::default().depth;
    put("depth", depth.to_string());
    put("steps", ExperimentConfig::default().steps.to_string());
    put(
        "quarter_pow_depth",
        format!("{:.1e}", sigmoid_max_slope.powi(depth as i32)),
    );
    // The linear stack's gradient at initialisation, first block over last, for
    // seeds 1..=5 of the experiment (batch norm amplifies it going backwards).
    // Computed once per process: facts are rebuilt by every load, and this is
    // the one figure here that runs the network.
    static RATIOS: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let ratios = RATIOS.get_or_init(|| {
        (1..=5)
            .map(|seed| {
                let g = experiment::init_grad_norms(
                    ExperimentConfig {
                        seed,
                        ..ExperimentConfig::default()
                    },
                    functions::Act::Scaled,
                );
                g.first().copied().unwrap_or(0.0) / g.last().copied().unwrap_or(1.0)
            })
            .collect()
    });
    let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ratios.iter().copied().fold(0.0, f64::max);
    put("lin_ratio.lo", sci(lo));
    put("lin_ratio.hi", sci(hi));
    put("lin_ratio.seeds", ratios.len().to_string());
    let t = |v: f64| format!("{v}");
    put("thr.no_gradient", t(stats::thresholds::NO_GRADIENT));
    put("thr.constant_std", t(stats::thresholds::CONSTANT_STD));
    put("thr.linear_r2", t(stats::thresholds::LINEAR_R2));
    put(
        "thr.nearly_linear_r2",
        t(stats::thresholds::NEARLY_LINEAR_R2),
    );
    put("thr.small_slope", t(stats::thresholds::SMALL_SLOPE));
    put("thr.saturated", t(stats::thresholds::SATURATED));
    let e = ExperimentConfig::default();
    put("points", (2 * e.spirals.per_class).to_string());
    put("turns", e.spirals.turns.to_string());
    put("lr", e.learning_rate.to_string());
    put("check_ok", "1e-6".into());
    put("eps", format!("10^{{{}}}", batchnorm::EPS.log10().round()));
    put("tail10", format!("{:.0e}", normal_tail(10.0)));
    let diff = experiment::min_zero_relu_equivalence(base.seed);
    put(
        "equivalence",
        if diff == 0.0 {
            "exactly 0".into()
        } else {
            format!("{diff:.0e}")
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_name_the_parameter() {
        for (arg, name) in [
            ("batch=1", "batch"),
            ("depth=0", "depth"),
            ("gamma=nan", "gamma"),
            ("gamma=inf", "gamma"),
            ("width=100000", "width"),
        ] {
            let mut p = Params::parse(&[arg]).unwrap();
            let e = settings(&mut p).unwrap_err();
            assert!(e.to_string().contains(&format!("`{name}`")), "{arg}: {e}");
        }
    }

    #[test]
    fn the_work_budget_rejects_the_worst_case_and_admits_the_defaults() {
        let d = ExperimentConfig::default();
        let (train, eval) = work(&d);
        assert!(train + eval < WORK_BUDGET / 3.0, "{train} {eval}");
        let mut p = Params::parse(&["batch=512", "width=128", "depth=50", "steps=1000"]).unwrap();
        let e = settings(&mut p).unwrap_err();
        assert!(e.to_string().contains("`steps`"), "{e}");
        // little training, but evaluating 2048 points 12 times through 50 wide blocks is too much
        let mut p = Params::parse(&["width=128", "depth=50", "steps=10", "points=1024"]).unwrap();
        let e = settings(&mut p).unwrap_err();
        assert!(e.to_string().contains("`points`"), "{e}");
    }

    #[test]
    fn two_significant_digits() {
        assert_eq!(sci(17_234.0), "17,000");
        assert_eq!(sci(36.4), "36");
        assert_eq!(sci(7.84), "7.8");
        assert_eq!(sci(0.523), "0.52");
        assert_eq!(sci(1_250_000.0), "1,300,000");
    }

    #[test]
    fn normal_tail_matches_known_values() {
        // P(Z > 6) = 9.8659e-10, P(Z > 10) = 7.6199e-24 (tables / scipy.stats.norm.sf)
        assert!((normal_tail(6.0) / 9.8659e-10 - 1.0).abs() < 1e-3);
        assert!((normal_tail(10.0) / 7.6199e-24 - 1.0).abs() < 1e-4);
    }

    #[test]
    fn facts_exist_for_every_activation() {
        let mut f = super::super::Facts::new();
        facts(&mut f);
        for k in 1..=5 {
            assert!(f.contains_key(&format!("p2.a{k}.zero_grad_pct")));
        }
        assert_eq!(f["p2.a3.zero_grad_pct"], "100.0");
        assert_eq!(f["p2.a3.verdict"], "poor");
        assert_eq!(f["p2.beta10.a3.verdict"], "fine");
    }
}
