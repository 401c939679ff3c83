//! `nnbook compute seqnorm` through the built binary: every input and output
//! in the JSON, the numbers rechecked from the JSON alone, and named errors
//! with exit code 2.

use serde_json::Value;

use crate::common;
use common::nnbook;

fn json(args: &[&str]) -> Value {
    common::compute_json("seqnorm", args)
}

fn fails(args: &[&str]) -> String {
    common::compute_fails("seqnorm", args)
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .expect("a [T][K] array")
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

fn vector(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a [K] array")
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn json_has_every_input_and_output() {
    let v = json(&["t=6", "k=2", "seed=7"]);
    assert_eq!((v["t"].as_u64(), v["k"].as_u64()), (Some(6), Some(2)));
    assert_eq!(v["seed"], 7);
    assert_eq!(v["trainable_params"], 4);
    for key in ["h", "g"] {
        let m = matrix(&v[key]);
        assert_eq!((m.len(), m[0].len()), (6, 2), "{key}");
    }
    for key in ["gamma", "beta", "mu0", "v0"] {
        assert_eq!(vector(&v[key]).len(), 2, "{key}");
    }
    assert_eq!(v["rate"]["kind"], "ema");
    for key in ["mu", "var", "yhat", "y"] {
        assert!(!v["full"][key].is_null(), "full.{key}");
        assert!(!v["running"][key].is_null(), "running.{key}");
    }
    for b in [
        &v["full"]["backward"],
        &v["running"]["backward_exact"],
        &v["running"]["backward_stop_grad"],
    ] {
        assert_eq!(matrix(&b["dh"]).len(), 6);
        assert_eq!(vector(&b["dgamma"]).len(), 2);
        assert_eq!(vector(&b["dbeta"]).len(), 2);
    }
    assert_eq!(vector(&v["running"]["backward_exact"]["dmu0"]).len(), 2);
    assert_eq!(v["full"]["grad_check"]["passed"], true);
    assert_eq!(v["running"]["grad_check_exact"]["passed"], true);
    assert_eq!(v["running"]["grad_check_stop_grad"]["passed"], false);
    assert!(
        v["running"]["grad_check_exact"]["max_rel_error"]
            .as_f64()
            .unwrap()
            < 1e-6
    );
    assert!(v["running"]["stop_grad_gap"].as_f64().unwrap() > 0.01);
}

/// Recompute both forward passes and the stop-gradient backward from the
/// JSON's inputs alone, as someone with NumPy would.
#[test]
fn numbers_recheck_from_the_json() {
    let v = json(&["t=5", "k=3", "alpha=0.3", "eps=0.001", "mu0=0.5", "v0=2"]);
    let h = matrix(&v["h"]);
    let g = matrix(&v["g"]);
    let gamma = vector(&v["gamma"]);
    let beta = vector(&v["beta"]);
    let (t, k, eps, a) = (5, 3, 1e-3, 0.3);
    let full_y = matrix(&v["full"]["y"]);
    let run_y = matrix(&v["running"]["y"]);
    let run_mu = matrix(&v["running"]["mu"]);
    let stop = matrix(&v["running"]["backward_stop_grad"]["dh"]);
    let dbeta = vector(&v["full"]["backward"]["dbeta"]);
    for j in 0..k {
        let mean = (0..t).map(|i| h[i][j]).sum::<f64>() / t as f64;
        let var = (0..t).map(|i| (h[i][j] - mean).powi(2)).sum::<f64>() / t as f64;
        let (mut mu, mut vv) = (0.5, 2.0);
        for i in 0..t {
            let y = gamma[j] * (h[i][j] - mean) / (var + eps).sqrt() + beta[j];
            assert!(close(full_y[i][j], y), "full y[{i}][{j}]");
            let d = h[i][j] - mu;
            mu += a * d;
            vv = (1.0 - a) * (vv + a * d * d);
            assert!(close(run_mu[i][j], mu), "mu[{i}][{j}]");
            let y = gamma[j] * (h[i][j] - mu) / (vv + eps).sqrt() + beta[j];
            assert!(close(run_y[i][j], y), "running y[{i}][{j}]");
            assert!(close(stop[i][j], gamma[j] * g[i][j] / (vv + eps).sqrt()));
        }
        let sum_g: f64 = (0..t).map(|i| g[i][j]).sum();
        assert!(close(dbeta[j], sum_g));
    }
}

#[test]
fn modes_rates_and_causality() {
    let full = json(&["mode=full"]);
    assert!(full["running"].is_null() && !full["full"].is_null());
    let running = json(&["mode=running"]);
    assert!(running["full"].is_null() && !running["running"].is_null());
    let cum = json(&["alpha=cumulative", "t=7"]);
    assert_eq!(cum["rate"]["kind"], "cumulative");
    // α_t = 1/t: the last running statistics are the full ones.
    let mu_t = matrix(&cum["running"]["mu"]);
    let mu = vector(&cum["full"]["mu"]);
    for (a, b) in mu_t[6].iter().zip(&mu) {
        assert!(close(*a, *b));
    }
    let c = json(&["step=3"]);
    assert_eq!(c["causality"]["step"], 2, "0-based in the JSON");
    assert_eq!(c["causality"]["running_causal"], true);
    assert_eq!(c["causality"]["full_leaks"], true);
    let running = vector(&c["causality"]["running"]);
    assert!(running[..2].iter().all(|d| *d == 0.0) && running[2] > 0.0);
}

#[test]
fn text_output_shows_the_checks() {
    let out = nnbook(&["compute", "seqnorm"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("grad check exact: max rel err"), "{text}");
    assert!(text.contains("unchanged ✓"), "{text}");
    assert!(text.contains("2K = 6"), "{text}");
}

#[test]
fn bad_parameters_exit_2_naming_them() {
    for (arg, name) in [
        ("t=0", "`t`"),
        ("t=100000", "`t`"),
        ("k=17", "`k`"),
        ("eps=-1", "`eps`"),
        ("eps=nan", "`eps`"),
        ("alpha=1.5", "`alpha`"),
        ("alpha=fast", "`alpha`"),
        ("mu0=1e9", "`mu0`"),
        ("v0=-2", "`v0`"),
        ("seed=-1", "`seed`"),
        ("step=0", "`step`"),
        ("mode=sideways", "`mode`"),
        ("colour=red", "`colour`"),
    ] {
        let err = fails(&[arg]);
        assert!(err.contains(name), "{arg}: {err}");
    }
}
