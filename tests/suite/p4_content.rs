//! Problem 4's content: every `{{p4.…}}` it quotes exists and equals the
//! compute output, the claims the prose makes about those numbers hold, every
//! formula renders, and the solution text types no result by hand.

use std::collections::BTreeSet;

use nnbook::compute::facts;
use nnbook::compute::seqnorm::{
    CHECK_TOLERANCE, DEFAULT_ALPHA, Inputs, Rate, SLOW_ALPHA, Solution, full_forward,
    running_forward, sci, short,
};

use crate::common;

fn content() -> String {
    common::content_file("p4-seqnorm.md")
}

fn keys(text: &str) -> BTreeSet<String> {
    common::template_keys(text)
}

fn section(text: &str, id: &str) -> String {
    let start = text.find(&format!("{{#{id}}}")).unwrap();
    let s = &text[start..];
    let end = s[1..].find("\n## ").map_or(s.len(), |e| e + 1);
    s[..end].to_string()
}

fn parse(v: &str) -> f64 {
    v.parse().unwrap_or_else(|_| panic!("`{v}` is a number"))
}

#[test]
fn every_template_is_a_fact() {
    let text = content();
    let facts = facts();
    let used = keys(&text);
    assert!(
        used.len() >= 20,
        "the solution quotes its numbers: {used:?}"
    );
    for key in &used {
        assert!(key.starts_with("p4."), "{key}");
        assert!(facts.contains_key(key), "unknown fact {key}");
    }
}

#[test]
fn front_matter_and_parts() {
    let text = content();
    let front = text.split("+++").nth(1).expect("front matter");
    let v: toml::Value = toml::from_str(front).unwrap();
    assert_eq!(v["problem"].as_integer(), Some(4));
    let parts = v["parts"].as_array().unwrap();
    let ids: Vec<_> = parts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["4a", "4b", "4c"]);
    let panels: Vec<_> = parts.iter().map(|p| p.get("panel")).collect();
    for p in &panels[..2] {
        let name = p.and_then(|p| p.as_str()).expect("4a and 4b have a panel");
        assert_eq!(name, "seqnorm");
        assert!(nnbook::panels::names().contains(&name));
    }
    for (id, question) in [
        (
            "4a",
            "> (a) Specify the trainable parameters of the $SN(\\cdot)$ layer",
        ),
        ("4b", "> (b) The above formulation imposes the requirement"),
        ("4c", "> (c) Could sequence normalization layers be used"),
    ] {
        let s = section(&text, id);
        let q = s.find(question).unwrap_or_else(|| panic!("{id} question"));
        let sol = s
            .find("### Solution")
            .unwrap_or_else(|| panic!("{id} solution"));
        assert!(q < sol, "{id}");
        assert!(s.len() - sol > 1500, "{id}: a worked solution, not a stub");
    }
    // The statement is kept.
    assert!(text.contains("Let's call this strategy Sequence Normalization."));
}

/// The facts are the compute output of the default example.
#[test]
fn facts_equal_the_computation() {
    let f = facts();
    let s = Solution::default_example();
    let inp = &s.inputs;
    let get = |k: &str| f[&format!("p4.{k}")].clone();
    assert_eq!(get("t"), inp.t().to_string());
    assert_eq!(get("k"), inp.k().to_string());
    assert_eq!(get("params"), (2 * inp.k()).to_string());
    assert_eq!(get("full_check"), sci(s.full_check.max()));
    assert_eq!(get("exact_check"), sci(s.exact_check.max()));
    assert_eq!(
        get("stop_check"),
        format!("{:.2}", s.stop_check.dh.max_rel_error)
    );
    assert_eq!(
        get("stop_gap_pct"),
        format!("{:.0}", 100.0 * s.stop_grad_gap())
    );
    assert_eq!(get("alpha"), short(DEFAULT_ALPHA));
    assert_eq!(get("perturbed"), (s.causality.step + 1).to_string());
    assert_eq!(get("ex.h"), format!("{:.3}", inp.h[[0, 0]]));
    assert_eq!(get("ex.mu"), format!("{:.3}", s.running.mu[[0, 0]]));
    assert_eq!(get("ex.v"), format!("{:.3}", s.running.var[[0, 0]]));
    assert_eq!(get("ex.yhat"), format!("{:.3}", s.running.yhat[[0, 0]]));
    assert_eq!(get("ex.full_mu"), format!("{:.3}", s.full.mu[0]));
    assert_eq!(get("ex.full_var"), format!("{:.3}", s.full.var[0]));
    assert_eq!(get("ex.full_yhat"), format!("{:.3}", s.full.yhat[[0, 0]]));
}

/// What the prose says about the numbers, checked against the computation.
#[test]
fn prose_claims_hold() {
    let f = facts();
    let get = |k: &str| f[&format!("p4.{k}")].clone();
    let s = Solution::default_example();
    let inp = &s.inputs;
    // "2K parameters".
    assert_eq!(parse(&get("params")), 2.0 * parse(&get("k")));
    // The worked step: δ = h − μ_0, μ_1 = αδ, v_1 = (1−α)(v_0 + αδ²), from
    // μ_0 = 0, v_0 = 1 (the quoted initial state).
    assert_eq!(get("ex.mu0"), "0");
    assert_eq!(get("ex.v0"), "1");
    let (a, h) = (DEFAULT_ALPHA, inp.h[[0, 0]]);
    assert!((s.running.mu[[0, 0]] - a * h).abs() < 1e-12);
    assert!((s.running.var[[0, 0]] - (1.0 - a) * (1.0 + a * h * h)).abs() < 1e-12);
    let yhat = (h - a * h) / ((1.0 - a) * (1.0 + a * h * h) + inp.eps).sqrt();
    assert!((s.running.yhat[[0, 0]] - yhat).abs() < 1e-12);
    // The 4(a) example from the quoted (rounded) figures reproduces ŷ.
    let q = (parse(&get("ex.h")) - parse(&get("ex.full_mu"))) / parse(&get("ex.full_var")).sqrt();
    // (each quoted figure is rounded to 0.0005; over √σ² ≈ 0.3 that is ~3e-3)
    assert!(
        (q - parse(&get("ex.full_yhat"))).abs() < 6e-3,
        "{q} {}",
        get("ex.full_yhat")
    );
    // "agrees with central finite differences": both pass the tolerance; the
    // stop-gradient version fails it by orders of magnitude.
    assert!(s.full_check.max() < CHECK_TOLERANCE);
    assert!(s.exact_check.max() < CHECK_TOLERANCE);
    assert!(s.exact_check.dmu0.checked > 0 && s.exact_check.dv0.checked > 0);
    assert!(s.stop_check.dh.max_rel_error > 1e3 * CHECK_TOLERANCE);
    // "its γ, β gradients are the same for both versions".
    assert_eq!(s.exact.grads.dgamma, s.stop.grads.dgamma);
    assert_eq!(s.exact.grads.dbeta, s.stop.grads.dbeta);
    // "The gap shrinks with the rate".
    assert!(parse(&get("stop_gap_pct_slow")) < parse(&get("stop_gap_pct")) / 10.0);
    assert_eq!(get("alpha_slow"), short(SLOW_ALPHA));
    // Causality: running earlier outputs bit-for-bit unchanged, full ones move.
    assert_eq!(get("causal"), "unchanged");
    assert!(s.causality.running_causal && s.causality.full_leaks);
    assert!(parse(&get("full_leak")) > 0.0);
    assert_eq!(
        parse(&get("perturbed_prev")) + 1.0,
        parse(&get("perturbed"))
    );
    // "cumulative: the last output equals the full layer's"; "α_1 = 1 gives
    // y_1 = β".
    let cum = Inputs {
        rate: Rate::Cumulative,
        ..inp.clone()
    };
    let r = running_forward(&cum);
    let full = full_forward(&inp.h, &inp.gamma, &inp.beta, inp.eps);
    let last = inp.t() - 1;
    let gap = (&r.y.row(last) - &full.y.row(last))
        .iter()
        .fold(0.0, |m: f64, v| m.max(v.abs()));
    assert_eq!(get("cumulative_last_gap"), short(gap));
    assert!(gap < 1e-12);
    assert_eq!(r.y.row(0), inp.beta);
}

/// Every key the solution tells the reader to press is one the panel handles.
#[test]
fn panel_keys_in_the_prose_exist() {
    let text = content();
    let panel = nnbook::panels::create("seqnorm").unwrap();
    let keys: String = panel.keys().iter().map(|(k, _)| *k).collect();
    for k in ["f", "b", "[", "]", "h", "l", "s"] {
        assert!(keys.contains(k), "{k}");
    }
    for k in ["`f`", "`b`", "`[`", "`]`", "`h`", "`s`"] {
        assert!(text.contains(k), "{k} is mentioned");
    }
}

/// Results come from templates: outside them, the solution text contains no
/// number with a decimal point and no number of three or more digits.
#[test]
fn no_typed_results() {
    let stripped = common::typed_solution_text(&content());
    // The one citation year is not a result.
    let stripped = stripped.replace("Shen et al. (2020)", "Shen et al. (year)");
    let bytes = stripped.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphabetic()) {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let run = stripped[start..i].trim_end_matches('.');
            let digits = run.chars().filter(char::is_ascii_digit).count();
            assert!(
                digits < 3 && !run.contains('.'),
                "typed number `{run}` in: …{}…",
                &stripped[start.saturating_sub(60)..(i + 20).min(stripped.len())]
            );
        } else {
            i += 1;
        }
    }
}

/// Every formula of the solution (with its facts filled in) is inside the
/// LaTeX subset the notebook renders, so none falls back to source.
#[test]
fn every_formula_renders() {
    let count = common::render_solution_formulas(&content());
    assert!(count > 50, "{count}");
}

/// 4(a)'s example looks like an LSTM's output: every entry in (−1, 1).
#[test]
fn the_example_sequence_is_in_minus_one_one() {
    let s = Solution::default_example();
    assert!(s.inputs.h.iter().all(|v| v.abs() < 1.0), "{:?}", s.inputs.h);
    assert!(content().contains("its entries lie in $(-1, 1)$"));
}

/// 4(b)'s initialisation claims: from the first step, ŷ₁ = 0 and ŷ₂ = ±1
/// whatever the input; the stop-gradient value at t = 1 is γ g / √ε.
#[test]
fn first_step_initialisation_claims_hold() {
    use nnbook::compute::seqnorm::{running_backward_exact, running_backward_stop_grad};
    let f = facts();
    let get = |k: &str| f[&format!("p4.{k}")].clone();
    let base = Solution::default_example().inputs;
    for seed in 1..6 {
        let inp = Inputs {
            rate: Rate::Cumulative,
            ..Inputs::seeded(seed, base.t(), base.k(), base.eps, Rate::Cumulative)
        };
        let r = running_forward(&inp);
        for j in 0..inp.k() {
            assert_eq!(r.yhat[[0, j]], 0.0);
            // |ŷ₂| = |d|/√(d² + ε) with d = (h₂ − h₁)/2: 1 up to ε.
            let d = (inp.h[[1, j]] - inp.h[[0, j]]) / 2.0;
            assert!(
                (r.yhat[[1, j]].abs() - 1.0).abs() < inp.eps / (d * d),
                "{seed} {j}"
            );
            assert_eq!(r.yhat[[1, j]].signum(), d.signum());
        }
    }
    let cum = Inputs {
        rate: Rate::Cumulative,
        ..base.clone()
    };
    let r = running_forward(&cum);
    let stop = running_backward_stop_grad(&r, &cum.gamma, &cum.g, cum.eps);
    let exact = running_backward_exact(&r, &cum.gamma, &cum.g, cum.eps);
    let expected = cum.gamma[0] * cum.g[[0, 0]] / cum.eps.sqrt();
    assert!((stop.grads.dh[[0, 0]] - expected).abs() < 1e-9 * expected.abs());
    assert_eq!(get("cum.stop_t1"), format!("{:.0}", stop.grads.dh[[0, 0]]));
    assert_eq!(
        get("cum.exact_t1"),
        format!("{:.2}", exact.grads.dh[[0, 0]])
    );
    assert!(stop.grads.dh[[0, 0]].abs() > 100.0 * exact.grads.dh[[0, 0]].abs());
    let wrong: usize = Solution::default_example()
        .exact
        .grads
        .dh
        .iter()
        .zip(&Solution::default_example().stop.grads.dh)
        .filter(|(a, b)| a.signum() != b.signum())
        .count();
    assert!(wrong > 0);
    assert_eq!(get("stop_wrong_sign"), wrong.to_string());
}

/// 4(c) has no panel, so it must not send the reader to one.
#[test]
fn part_c_does_not_refer_to_a_panel() {
    let c = section(&content(), "4c");
    assert!(!c.contains("panel"), "4c mentions a panel");
    for phrase in ["test suite", "in the tests", "checked against each other"] {
        assert!(!content().contains(phrase), "{phrase}");
    }
}
