//! `nnbook compute seqnorm`: its parameters, how they are read, and the text
//! and JSON report of a [`super::Solution`].

use super::*;

/// Which layers a run reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full,
    Running,
    Both,
}

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "seed",
        default: "1",
        help: "seed for H, γ, β and G",
    },
    ParamSpec {
        name: "t",
        default: "8",
        help: "sequence length T (1..=64)",
    },
    ParamSpec {
        name: "k",
        default: "3",
        help: "features K (1..=16)",
    },
    ParamSpec {
        name: "eps",
        default: "1e-5",
        help: "ε added to the variance (1e-12..=1)",
    },
    ParamSpec {
        name: "alpha",
        default: "0.25",
        help: "running-statistics rate α in (0, 1), or `cumulative` for α_t = 1/t",
    },
    ParamSpec {
        name: "mu0",
        default: "0",
        help: "initial running mean μ_0 (every feature)",
    },
    ParamSpec {
        name: "v0",
        default: "1",
        help: "initial running variance v_0 (every feature, 0..=100)",
    },
    ParamSpec {
        name: "step",
        default: "T/2+1",
        help: "1-based step perturbed by +1 in the causality check",
    },
    ParamSpec {
        name: "mode",
        default: "both",
        help: "full (4a), running (4b) or both",
    },
    ParamSpec {
        name: "trace",
        default: "0",
        help: "1: --json adds the running layer's forward and exact backward step by step",
    },
];

pub const COMPUTATION: Computation = Computation {
    name: "seqnorm",
    summary: "Problem 4: sequence norm (full and running), backward passes, grad checks, causality",
    params: PARAMS,
    run,
};

/// Settings of one run, as read from the command line.
pub struct Settings {
    pub inputs: Inputs,
    /// 0-based perturbed step
    pub step: usize,
    pub mode: Mode,
    /// `trace=1`: the JSON carries the running layer's trace.
    pub trace: bool,
}

impl Settings {
    pub fn from_params(p: &mut Params) -> Result<Settings, ComputeError> {
        let seed = p.u64("seed", DEFAULT_SEED, 0..=u64::MAX)?;
        let t = p.usize("t", DEFAULT_T, 1..=MAX_T)?;
        let k = p.usize("k", DEFAULT_K, 1..=MAX_K)?;
        let eps = p.f64("eps", DEFAULT_EPS, 1e-12..=1.0)?;
        let rate = match p.raw("alpha").as_deref() {
            Some("cumulative") => Rate::Cumulative,
            _ => {
                let alpha = p
                    .f64("alpha", DEFAULT_ALPHA, 1e-3..=0.999)
                    .map_err(|e| match e {
                        ParamError::Invalid { name, value, .. } => ParamError::Invalid {
                            name,
                            value,
                            expected: "a number in 0.001..=0.999 or `cumulative`".into(),
                        },
                        e => e,
                    })?;
                Rate::Ema { alpha }
            }
        };
        let mu0 = p.f64("mu0", 0.0, -100.0..=100.0)?;
        let v0 = p.f64("v0", 1.0, 0.0..=100.0)?;
        let step = p.usize("step", t / 2 + 1, 1..=t)? - 1;
        let mode = match p.choice("mode", "both", &["full", "running", "both"])? {
            "full" => Mode::Full,
            "running" => Mode::Running,
            _ => Mode::Both,
        };
        let trace = crate::compute::trace::wanted(p)?;
        let mut inputs = Inputs::seeded(seed, t, k, eps, rate);
        inputs.mu0.fill(mu0);
        inputs.v0.fill(v0);
        Ok(Settings {
            inputs,
            step,
            mode,
            trace,
        })
    }
}

/// `[T][K]` as nested row-major arrays (ndarray's own serde form is not).
fn rows(a: &Array2<f64>) -> serde_json::Value {
    json!(a.rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>())
}

fn vec1(a: &Array1<f64>) -> serde_json::Value {
    json!(a.to_vec())
}

fn grads_json(g: &Grads) -> serde_json::Value {
    json!({ "dh": rows(&g.dh), "dgamma": vec1(&g.dgamma), "dbeta": vec1(&g.dbeta) })
}

fn running_grads_json(g: &RunningGrads) -> serde_json::Value {
    let mut v = grads_json(&g.grads);
    v["dmu0"] = vec1(&g.dmu0);
    v["dv0"] = vec1(&g.dv0);
    v
}

fn checks_json(c: &Checks) -> serde_json::Value {
    json!({
        "max_rel_error": c.max(),
        "dh": c.dh.max_rel_error,
        "dgamma": c.dgamma.max_rel_error,
        "dbeta": c.dbeta.max_rel_error,
        "dmu0": c.dmu0.max_rel_error,
        "dv0": c.dv0.max_rel_error,
        "passed": c.max() < CHECK_TOLERANCE,
    })
}

pub fn to_json(s: &Solution, mode: Mode) -> serde_json::Value {
    let inp = &s.inputs;
    let mut v = json!({
        "seed": inp.seed,
        "t": inp.t(),
        "k": inp.k(),
        "eps": inp.eps,
        "rate": inp.rate,
        "loss": "L = sum(G * Y)",
        "h": rows(&inp.h),
        "gamma": vec1(&inp.gamma),
        "beta": vec1(&inp.beta),
        "g": rows(&inp.g),
        "mu0": vec1(&inp.mu0),
        "v0": vec1(&inp.v0),
        "trainable_params": 2 * inp.k(),
        "causality": s.causality,
    });
    if mode != Mode::Running {
        v["full"] = json!({
            "mu": vec1(&s.full.mu),
            "var": vec1(&s.full.var),
            "yhat": rows(&s.full.yhat),
            "y": rows(&s.full.y),
            "backward": grads_json(&s.full_grads),
            "grad_check": checks_json(&s.full_check),
        });
    }
    if mode != Mode::Full {
        v["running"] = json!({
            "alpha": s.running.alpha,
            "mu": rows(&s.running.mu),
            "var": rows(&s.running.var),
            "yhat": rows(&s.running.yhat),
            "y": rows(&s.running.y),
            "backward_exact": running_grads_json(&s.exact),
            "grad_check_exact": checks_json(&s.exact_check),
            "backward_stop_grad": running_grads_json(&s.stop),
            "grad_check_stop_grad": checks_json(&s.stop_check),
            // Undefined (null, with the reason) when the exact gradient is 0.
            "stop_grad_gap": s.stop_grad_gap().is_finite().then(|| s.stop_grad_gap()),
            "stop_grad_gap_text": s.stop_grad_gap_text(),
        });
    }
    v
}

fn matrix(out: &mut String, name: &str, a: &Array2<f64>) {
    let _ = writeln!(out, "{name}:");
    for (i, row) in a.rows().into_iter().enumerate() {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:8.4}")).collect();
        let _ = writeln!(out, "  t={:<3}{}", i + 1, cells.join(" "));
    }
}

fn vector(out: &mut String, name: &str, a: &Array1<f64>) {
    let cells: Vec<String> = a.iter().map(|v| format!("{v:8.4}")).collect();
    let _ = writeln!(out, "{name:<8}{}", cells.join(" "));
}

fn verdict(c: &Checks) -> String {
    let m = c.max();
    if m < CHECK_TOLERANCE {
        format!("max rel err {} ✓", sci(m))
    } else {
        format!("max rel err {} ✗", sci(m))
    }
}

pub fn to_text(s: &Solution, mode: Mode) -> String {
    let inp = &s.inputs;
    let mut out = format!(
        "Sequence norm: seed {}, T={}, K={}, ε={}, running rate {}, μ_0={}, v_0={}\n\
         loss L = Σ G ⊙ Y; trainable parameters γ, β: 2K = {}\n\n",
        inp.seed,
        inp.t(),
        inp.k(),
        sci(inp.eps),
        inp.rate.label(),
        short(inp.mu0.first().copied().unwrap_or(0.0)),
        short(inp.v0.first().copied().unwrap_or(0.0)),
        2 * inp.k()
    );
    matrix(&mut out, "H", &inp.h);
    vector(&mut out, "γ", &inp.gamma);
    vector(&mut out, "β", &inp.beta);
    matrix(&mut out, "G = ∂L/∂Y", &inp.g);
    if mode != Mode::Running {
        out += "\n4(a) full sequence norm\n";
        vector(&mut out, "μ", &s.full.mu);
        vector(&mut out, "σ²", &s.full.var);
        matrix(&mut out, "Y", &s.full.y);
        matrix(&mut out, "∂L/∂H", &s.full_grads.dh);
        vector(&mut out, "∂L/∂γ", &s.full_grads.dgamma);
        vector(&mut out, "∂L/∂β", &s.full_grads.dbeta);
        let _ = writeln!(out, "grad check: {}", verdict(&s.full_check));
    }
    if mode != Mode::Full {
        out += "\n4(b) running sequence norm\n";
        matrix(&mut out, "μ_t", &s.running.mu);
        matrix(&mut out, "v_t", &s.running.var);
        matrix(&mut out, "Y", &s.running.y);
        matrix(&mut out, "∂L/∂H exact", &s.exact.grads.dh);
        matrix(&mut out, "∂L/∂H stop-gradient", &s.stop.grads.dh);
        vector(&mut out, "∂L/∂γ", &s.exact.grads.dgamma);
        vector(&mut out, "∂L/∂β", &s.exact.grads.dbeta);
        vector(&mut out, "∂L/∂μ_0", &s.exact.dmu0);
        vector(&mut out, "∂L/∂v_0", &s.exact.dv0);
        let _ = writeln!(out, "grad check exact: {}", verdict(&s.exact_check));
        let _ = writeln!(
            out,
            "grad check stop-gradient: {} (not the layer's gradient; ∂L/∂H differs by {})",
            verdict(&s.stop_check),
            s.stop_grad_gap_text()
        );
    }
    let c = &s.causality;
    let _ = writeln!(
        out,
        "\ncausality: h_{} += {}: running y_1..y_{} {}; full y_1..y_{} change by up to {:.3}",
        c.step + 1,
        short(c.size),
        c.step,
        if c.running_causal {
            "unchanged ✓"
        } else {
            "CHANGED ✗"
        },
        c.step,
        c.full[..c.step].iter().fold(0.0, |m: f64, v| m.max(*v))
    );
    out
}

fn run(params: &mut Params, _progress: &mut ProgressFn<'_>) -> Result<Report, ComputeError> {
    let settings = Settings::from_params(params)?;
    let recorded = settings.trace.then(|| trace::record(&settings.inputs));
    let s = Solution::new(settings.inputs, settings.step);
    let mut json = to_json(&s, settings.mode);
    if let Some(t) = recorded {
        json["trace"] = t.to_json();
    }
    Ok(Report {
        text: to_text(&s, settings.mode),
        json,
    })
}
