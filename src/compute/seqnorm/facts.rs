//! The figures Problem 4's derivation quotes, made from the model in
//! [`super`].

use super::*;

/// Figures Problem 4's solution quotes, from the default example. A T=8, K=3
/// run with its grad checks is a few thousand flops: microseconds.
pub fn facts(out: &mut Facts) {
    let s = Solution::default_example();
    let inp = &s.inputs;
    let mut put = |k: &str, v: String| {
        out.insert(format!("p4.{k}"), v);
    };
    put("t", inp.t().to_string());
    put("k", inp.k().to_string());
    put("params", (2 * inp.k()).to_string());
    put("seed", inp.seed.to_string());
    put("eps", sci_tex(inp.eps));
    put("alpha", short(DEFAULT_ALPHA));
    put("full_check", sci(s.full_check.max()));
    put("full_check_tex", sci_tex(s.full_check.max()));
    put("exact_check", sci(s.exact_check.max()));
    put("exact_check_tex", sci_tex(s.exact_check.max()));
    put(
        "stop_check",
        format!("{:.2}", s.stop_check.dh.max_rel_error),
    );
    put("stop_gap_pct", format!("{:.0}", 100.0 * s.stop_grad_gap()));
    put("tolerance_tex", sci_tex(CHECK_TOLERANCE));
    let c = &s.causality;
    put("perturbed", (c.step + 1).to_string());
    put("perturbed_prev", c.step.to_string());
    put(
        "causal",
        if c.running_causal {
            "unchanged"
        } else {
            "CHANGED"
        }
        .into(),
    );
    put(
        "full_leak",
        format!(
            "{:.2}",
            c.full[..c.step].iter().fold(0.0, |m: f64, v| m.max(*v))
        ),
    );
    // A slow rate: the statistics barely move, so stop-gradient is nearly exact.
    let slow = Inputs {
        rate: Rate::Ema { alpha: SLOW_ALPHA },
        ..inp.clone()
    };
    let slow_fwd = running_forward(&slow);
    let slow_gap = stop_grad_gap(
        &running_backward_exact(&slow_fwd, &slow.gamma, &slow.g, slow.eps),
        &running_backward_stop_grad(&slow_fwd, &slow.gamma, &slow.g, slow.eps),
    );
    put("alpha_slow", short(SLOW_ALPHA));
    put("stop_gap_pct_slow", format!("{:.0}", 100.0 * slow_gap));
    // The last running output of the cumulative rate equals the full layer's.
    let cum = Inputs {
        rate: Rate::Cumulative,
        ..inp.clone()
    };
    let r = running_forward(&cum);
    let last = inp.t().saturating_sub(1);
    let gap = (&r.y.row(last) - &s.full.y.row(last))
        .iter()
        .fold(0.0, |m: f64, v| m.max(v.abs()));
    put("cumulative_last_gap", short(gap));
    // One worked step: feature 1 at t=1 of the running layer.
    put("ex.h", format!("{:.3}", inp.h[[0, 0]]));
    put("ex.mu", format!("{:.3}", s.running.mu[[0, 0]]));
    put("ex.v", format!("{:.3}", s.running.var[[0, 0]]));
    put("ex.yhat", format!("{:.3}", s.running.yhat[[0, 0]]));
    put("ex.full_mu", format!("{:.3}", s.full.mu[0]));
    put("ex.full_var", format!("{:.3}", s.full.var[0]));
    put("ex.full_yhat", format!("{:.3}", s.full.yhat[[0, 0]]));
    put("ex.mu0", short(inp.mu0[0]));
    // How many entries of ∂L/∂H the stop-gradient version gets with the wrong sign.
    let wrong_sign = s
        .exact
        .grads
        .dh
        .iter()
        .zip(&s.stop.grads.dh)
        .filter(|(a, b)| a.signum() != b.signum())
        .count();
    put("stop_wrong_sign", wrong_sign.to_string());
    put("entries", (inp.t() * inp.k()).to_string());
    put("floor", short(crate::compute::gradcheck::DENOMINATOR_FLOOR));
    // Initialising from the first step (α_1 = 1, the cumulative rate): v_1 = 0,
    // so ŷ_1 = 0 and ŷ_2 = ±1 whatever the input, and the stop-gradient value
    // at t = 1 is γ g_1 / √ε.
    let cum_fwd = running_forward(&cum);
    let cum_exact = running_backward_exact(&cum_fwd, &cum.gamma, &cum.g, cum.eps);
    let cum_stop = running_backward_stop_grad(&cum_fwd, &cum.gamma, &cum.g, cum.eps);
    put("cum.yhat1", short(cum_fwd.yhat[[0, 0]]));
    put("cum.yhat2", format!("{:.4}", cum_fwd.yhat[[1, 0]]));
    put("cum.stop_t1", format!("{:.0}", cum_stop.grads.dh[[0, 0]]));
    put("cum.exact_t1", format!("{:.2}", cum_exact.grads.dh[[0, 0]]));
    put("inv_sqrt_eps", format!("{:.0}", 1.0 / inp.eps.sqrt()));
    put("ex.gamma", format!("{:.3}", inp.gamma[0]));
    put("ex.g", format!("{:.3}", inp.g[[0, 0]]));
    put("ex.v0", short(inp.v0[0]));
}
