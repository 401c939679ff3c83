//! `nnbook compute activations` through the built binary: exit codes that name
//! the bad parameter, and JSON with every key the issue asks for.

use std::process::{Command, Output};

fn nnbook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nnbook"))
        .args(args)
        .output()
        .expect("the nnbook binary runs")
}

/// Small sizes: the properties checked here do not depend on them.
const SMALL: &[&str] = &["depth=3", "width=8", "steps=4", "batch=16", "points=16"];

fn json(extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["compute", "activations", "--json"];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    let out = nnbook(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

#[test]
fn bad_parameters_exit_2_naming_the_parameter() {
    for (arg, name) in [
        ("batch=1", "batch"),
        ("depth=0", "depth"),
        ("gamma=nan", "gamma"),
        ("beta=inf", "beta"),
        ("width=100000", "width"),
        ("steps=many", "steps"),
        ("colour=red", "colour"),
    ] {
        let out = nnbook(&["compute", "activations", arg]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{arg}: {err}");
        assert!(err.contains(&format!("`{name}`")), "{arg}: {err}");
        assert!(out.stdout.is_empty(), "{arg}");
    }
}

#[test]
fn oversized_work_is_refused_before_running() {
    let out = nnbook(&[
        "compute",
        "activations",
        "batch=512",
        "width=128",
        "depth=50",
        "steps=1000",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`steps`"));
}

#[test]
fn json_has_every_activation_in_the_midterms_order_with_all_keys() {
    let v = json(&[]);
    let acts = v["activations"].as_array().expect("activations array");
    let names: Vec<&str> = acts.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "min(0, x)",
            "x/sqrt(2)",
            "ReLU(x - 10)",
            "exp(x)/(exp(x)+1)",
            "sign(x)"
        ]
    );
    for a in acts {
        for key in [
            "out_mean",
            "out_std",
            "zero_grad_fraction",
            "mean_abs_grad",
            "linearity_r2",
            "final_train_accuracy",
        ] {
            // R² of a constant output is undefined: null
            let undefined_r2 = key == "linearity_r2" && a[key].is_null();
            assert!(a[key].is_f64() || undefined_r2, "{key} in {a}");
        }
        assert_eq!(a["grad_norm_by_depth"].as_array().unwrap().len(), 3);
        assert_eq!(a["loss_curve"].as_array().unwrap().len(), 4);
        assert!(a["poor"].is_boolean());
        assert!(!a["reason"].as_str().unwrap().is_empty());
    }
    let poor: Vec<bool> = acts.iter().map(|a| a["poor"].as_bool().unwrap()).collect();
    assert_eq!(poor, [false, true, true, false, true]);
    assert!(acts[2]["linearity_r2"].is_null(), "{}", acts[2]);
    let words: Vec<&str> = acts
        .iter()
        .map(|a| a["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["fine", "poor", "poor", "debated", "poor"]);
    let inputs = &v["inputs"];
    for key in [
        "seed",
        "batch",
        "width",
        "depth",
        "steps",
        "gamma",
        "beta",
        "shift",
        "learning_rate",
        "bn_eps",
    ] {
        assert!(!inputs[key].is_null(), "inputs.{key}");
    }
    // the statistics inputs are there to recheck: x [16][8], W [8][8], z [16][8]
    let s = &v["statistics"];
    assert_eq!(s["x"].as_array().unwrap().len(), 16);
    assert_eq!(s["w"].as_array().unwrap().len(), 8);
    assert_eq!(
        s["bn_input"].as_array().unwrap()[0]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    let e = &v["experiment"];
    assert_eq!(e["spirals"]["x"].as_array().unwrap().len(), 32);
    assert_eq!(e["spirals"]["y"].as_array().unwrap().len(), 32);
    assert_eq!(
        e["initial_weights"]["first_block_w"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
}

#[test]
fn json_rechecks_z_from_x_and_w() {
    // z = x Wᵀ: recompute one entry from the JSON alone
    let v = json(&[]);
    let s = &v["statistics"];
    let row = |a: &serde_json::Value| -> Vec<f64> {
        a.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let x0 = row(&s["x"][0]);
    let w3 = row(&s["w"][3]);
    let z03 = s["bn_input"][0][3].as_f64().unwrap();
    let dot: f64 = x0.iter().zip(&w3).map(|(a, b)| a * b).sum();
    assert!((dot - z03).abs() < 1e-12 * (1.0 + z03.abs()));
}

#[test]
fn weights_all_includes_every_block() {
    let v = json(&["weights=all"]);
    let w = &v["experiment"]["initial_weights"];
    assert_eq!(w["blocks"].as_array().unwrap().len(), 3);
    assert_eq!(
        w["w_out"].as_array().unwrap()[0].as_array().unwrap().len(),
        8
    );
}

#[test]
fn text_output_lists_verdicts_and_checks() {
    let mut args = vec!["compute", "activations"];
    args.extend_from_slice(SMALL);
    let out = nnbook(&args);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(3) poor: dead"), "{text}");
    assert!(text.contains("(4) debated: "), "{text}");
    assert!(!text.contains("shrinks"), "{text}");
    assert!(text.contains("BN grad check"), "{text}");
    assert!(text.contains("network grad check"), "{text}");
}

#[test]
fn same_seed_same_json() {
    assert_eq!(json(&["seed=7"]), json(&["seed=7"]));
    assert_ne!(json(&["seed=7"]), json(&["seed=8"]));
}
