//! `nnbook compute bptt` through the built binary: every input and output in
//! the JSON, counts that match the closed forms, and named errors (exit 2).

use serde_json::Value;

use crate::common;
use common::nnbook;

fn json(args: &[&str]) -> Value {
    common::compute_json("bptt", args)
}

fn fails(args: &[&str]) -> String {
    common::compute_fails("bptt", args)
}

fn shape(v: &Value) -> (usize, usize) {
    let rows = v.as_array().unwrap();
    (rows.len(), rows[0].as_array().unwrap().len())
}

#[test]
fn default_json_has_every_input_and_output() {
    let v = json(&[]);
    assert_eq!(v["schedule"], "recursive");
    assert_eq!(
        (v["t"].as_u64(), v["k"].as_u64(), v["c"].as_u64()),
        (Some(16), Some(4), Some(3))
    );
    assert_eq!(v["memory_slots"], 5);
    let n = &v["numeric"];
    assert_eq!(shape(&n["inputs"]["w_hh"]), (4, 4));
    assert_eq!(shape(&n["inputs"]["w_xh"]), (4, 3));
    assert_eq!(shape(&n["inputs"]["x"]), (16, 3));
    assert_eq!(shape(&n["inputs"]["upstream_grad"]), (16, 4));
    assert_eq!(shape(&n["grads"]["w_hh"]), (4, 4));
    assert_eq!(shape(&n["grads"]["x"]), (16, 3));
    assert_eq!(n["grads"]["h0"].as_array().unwrap().len(), 4);
    assert_eq!(n["max_abs_diff_to_baseline"], 0.0);
    assert!(n["grad_check"]["max_rel_error"].as_f64().unwrap() < 1e-6);
    // F(16) = 8 + F(8) + F(7) = 8 + 12 + 10, peak 1 + log2 16, T backward steps.
    assert_eq!(v["counts"]["forward_steps"], 30);
    assert_eq!(v["counts"]["backward_steps"], 16);
    assert_eq!(v["counts"]["peak_memory"], 5);
    assert_eq!(v["forward_ratio_to_baseline"], 30.0 / 16.0);
    // The comparison and the chart are in the JSON too.
    assert_eq!(v["comparison"]["optimal_at_log"], 27);
    let chart = v["cost_versus_memory"].as_array().unwrap();
    assert_eq!(chart[0]["memory"], 1);
    assert_eq!(chart[0]["optimal"], 16 * 17 / 2);
    assert_eq!(chart.last().unwrap()["optimal"], 16);
}

/// The JSON is enough to recheck the forward pass outside nnbook: recompute
/// the loss from the inputs.
#[test]
fn loss_can_be_recomputed_from_the_json() {
    let v = json(&["seed=3", "t=7", "k=2", "c=3"]);
    let n = &v["numeric"];
    let m =
        |key: &str| -> Vec<Vec<f64>> { serde_json::from_value(n["inputs"][key].clone()).unwrap() };
    let (w_hh, w_xh, x, g) = (m("w_hh"), m("w_xh"), m("x"), m("upstream_grad"));
    let mut h = vec![0.0; 2];
    let mut loss = 0.0;
    for t in 0..7 {
        h = (0..2)
            .map(|i| {
                let a: f64 = (0..2).map(|j| w_hh[i][j] * h[j]).sum::<f64>()
                    + (0..3).map(|j| w_xh[i][j] * x[t][j]).sum::<f64>();
                a.tanh()
            })
            .collect();
        loss += (0..2).map(|i| g[t][i] * h[i]).sum::<f64>();
    }
    let reported = n["loss"].as_f64().unwrap();
    assert!((loss - reported).abs() < 1e-12, "{loss} {reported}");
}

#[test]
fn fixed_and_store_all_counts() {
    // M = 1: T(T+1)/2.
    let v = json(&["schedule=fixed", "memory=1", "t=100"]);
    assert_eq!(v["counts"]["forward_steps"], 5050);
    assert_eq!(v["counts"]["peak_memory"], 1);
    assert_eq!(v["numeric"]["max_abs_diff_to_baseline"], 0.0);
    let v = json(&["schedule=store-all", "t=50"]);
    assert_eq!(v["counts"]["forward_steps"], 50);
    assert_eq!(v["counts"]["peak_memory"], 50);
    // memory=log for fixed uses the recursive budget.
    let v = json(&["schedule=fixed", "t=16"]);
    assert_eq!(v["memory_slots"], 5);
}

/// `schedule=optimal memory=M` runs the optimal schedule: store-all's exact
/// gradients, the closed-form count, T forward steps once M ≥ T.
#[test]
fn optimal_schedule_runs() {
    let base = json(&["schedule=store-all", "t=40", "seed=2"]);
    for m in ["1", "3", "6", "40", "50"] {
        let v = json(&["schedule=optimal", "t=40", "seed=2", &format!("memory={m}")]);
        assert_eq!(v["schedule"], "optimal");
        assert_eq!(v["numeric"]["max_abs_diff_to_baseline"], 0.0, "M={m}");
        assert_eq!(v["numeric"]["grads"], base["numeric"]["grads"], "M={m}");
        assert_eq!(v["counts"]["forward_steps"], v["comparison"]["optimal"]);
        assert!(v["counts"]["peak_memory"].as_u64() <= m.parse().ok());
    }
    let v = json(&["schedule=optimal", "t=40", "memory=40"]);
    assert_eq!(v["counts"]["forward_steps"], 40);
    let v = json(&["schedule=optimal", "t=40", "memory=1"]);
    assert_eq!(v["counts"]["forward_steps"], 40 * 41 / 2);
}

#[test]
fn large_t_is_counts_only() {
    let v = json(&["t=1000000"]);
    assert!(
        v["numeric"]["skipped"]
            .as_str()
            .unwrap()
            .contains("counts only")
    );
    assert_eq!(v["counts"]["peak_memory"], 21);
    assert_eq!(
        v["counts"]["forward_steps"], v["comparison"]["recursive"],
        "instrumented count = recurrence"
    );
    let v = json(&["t=1000000", "schedule=fixed", "memory=8"]);
    assert_eq!(v["counts"]["forward_steps"], v["comparison"]["fixed"]);
    let v = json(&["t=1000000", "schedule=optimal", "memory=8"]);
    assert_eq!(v["counts"]["forward_steps"], v["comparison"]["optimal"]);
    assert_eq!(v["counts"]["peak_memory"], 8);
    let c = &v["comparison"];
    assert!(c["optimal"].as_u64() < c["classic_revolve"].as_u64());
    assert!(c["classic_revolve"].as_u64() < c["fixed"].as_u64());
}

#[test]
fn text_output_names_the_schedule() {
    let out = nnbook(&["compute", "bptt", "schedule=fixed", "memory=4"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("fixed schedule"), "{text}");
    assert!(text.contains("grad check"), "{text}");
    assert!(text.contains("revolve, classic model"), "{text}");
    assert!(text.contains("M = 1 + ceil(log2 T) = 5 slots"), "{text}");
}

#[test]
fn bad_parameters_are_named() {
    for (args, name) in [
        (&["t=0"][..], "`t`"),
        (&["t=2000000"][..], "`t`"),
        (&["k=0"][..], "`k`"),
        (&["c=65"][..], "`c`"),
        (&["seed=-1"][..], "`seed`"),
        (&["memory=0", "schedule=fixed"][..], "`memory`"),
        (&["memory=0", "schedule=optimal"][..], "`memory`"),
        (&["memory=-3", "schedule=optimal"][..], "`memory`"),
        (&["memory=2000000", "schedule=optimal"][..], "`memory`"),
        (&["memory=3"][..], "`memory`"),
        (&["t=99999999999999999999"][..], "`t`"),
        (&["memory=abc"][..], "`memory`"),
        (&["schedule=revolve"][..], "`schedule`"),
        (&["bogus=1"][..], "`bogus`"),
    ] {
        let err = fails(args);
        assert!(err.contains(name), "{args:?}: {err}");
    }
}
