//! `nnbook compute widen` through the built binary: every input and output is
//! in the JSON, the numbers can be rechecked from the JSON alone, and bad
//! parameters are errors naming the parameter with exit code 2.

use serde_json::Value;

use crate::common;
use common::nnbook;

fn json(args: &[&str]) -> Value {
    common::compute_json("widen", args)
}

fn fails(args: &[&str]) -> String {
    common::compute_fails("widen", args)
}

type Mat = Vec<Vec<f64>>;

fn mat(v: &Value) -> Mat {
    v.as_array()
        .unwrap()
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

fn mats(v: &Value) -> Vec<Mat> {
    v.as_array().unwrap().iter().map(mat).collect()
}

fn shape(m: &Mat) -> (usize, usize) {
    (m.len(), m.first().map_or(0, Vec::len))
}

/// The midterm's forward pass for one example (column-vector convention),
/// written independently of nnbook's ndarray code.
fn forward(ws: &[Mat], x: &[f64]) -> Vec<f64> {
    let mut h = x.to_vec();
    for (l, w) in ws.iter().enumerate() {
        h = w
            .iter()
            .map(|row| {
                let v: f64 = row.iter().zip(&h).map(|(a, b)| a * b).sum();
                if l + 1 < ws.len() { v.max(0.0) } else { v }
            })
            .collect();
    }
    h
}

fn loss(ws: &[Mat], x: &Mat, t: &Mat) -> f64 {
    let b = x.len() as f64;
    x.iter()
        .zip(t)
        .map(|(x, t)| {
            forward(ws, x)
                .iter()
                .zip(t)
                .map(|(y, t)| (y - t).powi(2))
                .sum::<f64>()
        })
        .sum::<f64>()
        / (2.0 * b)
}

#[test]
fn json_has_every_input_and_output() {
    let v = json(&[]);
    let cfg = &v["config"];
    let (c, k, d, n, b) = (
        cfg["c"].as_u64().unwrap() as usize,
        cfg["k"].as_u64().unwrap() as usize,
        cfg["d"].as_u64().unwrap() as usize,
        cfg["depth"].as_u64().unwrap() as usize,
        cfg["batch"].as_u64().unwrap() as usize,
    );
    assert_eq!((c, k, d, n, b), (4, 6, 3, 3, 8));
    assert_eq!(cfg["seed"], 3);
    assert_eq!(cfg["strategy"], "random-in-zero-out");
    let ws = mats(&v["inputs"]["weights"]);
    assert_eq!(ws.len(), n + 1);
    assert_eq!(shape(&ws[0]), (k, c), "W(in) is [out][in]");
    assert_eq!(shape(&ws[1]), (k, k));
    assert_eq!(shape(&ws[n]), (d, k));
    assert_eq!(shape(&mat(&v["inputs"]["x"])), (b, c));
    assert_eq!(shape(&mat(&v["inputs"]["targets"])), (b, d));
    let wide = mats(&v["widened"]["weights"]);
    assert_eq!(shape(&wide[0]), (2 * k, c));
    assert_eq!(shape(&wide[1]), (2 * k, 2 * k));
    assert_eq!(shape(&wide[n]), (d, 2 * k));
    for key in [
        "y_before",
        "y_after",
        "max_abs_diff",
        "matrices",
        "grads",
        "loss",
    ] {
        assert!(!v["outputs"][key].is_null(), "outputs.{key}");
    }
    for key in ["before_widening", "after_widening", "step", "tolerance"] {
        assert!(!v["grad_check"][key].is_null(), "grad_check.{key}");
    }
    for key in [
        "loss",
        "new_moved",
        "new_grad",
        "in_grad",
        "narrow_loss",
        "final_weights",
    ] {
        assert!(v["training"][key].is_array(), "training.{key}");
    }
    assert_eq!(v["training"]["loss"].as_array().unwrap().len(), 31);
    let m1 = &v["outputs"]["matrices"][1];
    assert_eq!(m1["name"], "W(1)");
    let blocks = m1["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 4);
    assert_eq!(blocks[1]["role"], "new_to_old");
    assert_eq!(blocks[1]["init"], "zero");
    assert_eq!(blocks[2]["init"], "random");
    assert!(
        v["grad_check"]["after_widening"]["max_rel_error"]
            .as_f64()
            .unwrap()
            < 1e-6
    );
}

/// Recheck from the JSON alone: both forward passes, the output difference,
/// the loss, and one gradient entry against a central difference.
#[test]
fn outputs_recheck_from_the_json() {
    for strategy in ["zero", "random-in-zero-out", "net2net"] {
        let v = json(&[&format!("strategy={strategy}"), "seed=8"]);
        let ws = mats(&v["inputs"]["weights"]);
        let wide = mats(&v["widened"]["weights"]);
        let x = mat(&v["inputs"]["x"]);
        let t = mat(&v["inputs"]["targets"]);
        let before = mat(&v["outputs"]["y_before"]);
        let after = mat(&v["outputs"]["y_after"]);
        let mut diff: f64 = 0.0;
        for (i, xb) in x.iter().enumerate() {
            for (j, y) in forward(&ws, xb).iter().enumerate() {
                assert!((y - before[i][j]).abs() < 1e-12);
            }
            for (j, y) in forward(&wide, xb).iter().enumerate() {
                assert!((y - after[i][j]).abs() < 1e-12);
                diff = diff.max((after[i][j] - before[i][j]).abs());
            }
        }
        assert_eq!(v["outputs"]["max_abs_diff"].as_f64().unwrap(), diff);
        assert!(diff < 1e-13, "{strategy}: {diff}");
        let l = loss(&wide, &x, &t);
        assert!((l - v["outputs"]["loss"].as_f64().unwrap()).abs() < 1e-12);
        // ∂L/∂W(out)[0][0] against a central difference computed here.
        let g = mats(&v["outputs"]["grads"]["weights"]);
        let n = wide.len() - 1;
        let h = 1e-6;
        let mut plus = wide.clone();
        plus[n][0][0] += h;
        let mut minus = wide.clone();
        minus[n][0][0] -= h;
        let numeric = (loss(&plus, &x, &t) - loss(&minus, &x, &t)) / (2.0 * h);
        assert!(
            (numeric - g[n][0][0]).abs() < 1e-6,
            "{numeric} {}",
            g[n][0][0]
        );
    }
}

#[test]
fn zero_strategy_new_blocks_stay_zero() {
    let v = json(&["strategy=zero", "steps=50"]);
    for m in v["outputs"]["matrices"].as_array().unwrap() {
        for b in m["blocks"].as_array().unwrap() {
            if b["role"] != "old_to_old" {
                assert_eq!(b["grad_norm"], 0.0, "{m}");
                assert_eq!(b["norm"], 0.0);
            }
        }
    }
    for key in ["new_moved", "new_grad", "in_grad"] {
        assert!(
            v["training"][key]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x.as_f64() == Some(0.0)),
            "{key}"
        );
    }
    let text = String::from_utf8(nnbook(&["compute", "widen", "strategy=zero"]).stdout).unwrap();
    assert!(text.contains("exactly 0 at every step"), "{text}");
    assert!(text.contains("(function preserved)"), "{text}");
}

#[test]
fn sizes_and_relu_convention_are_parameters() {
    let v = json(&[
        "c=2", "k=3", "d=1", "depth=1", "batch=2", "steps=0", "relu0=1",
    ]);
    let ws = mats(&v["inputs"]["weights"]);
    assert_eq!(ws.len(), 2);
    assert_eq!(shape(&ws[0]), (3, 2));
    assert_eq!(shape(&ws[1]), (1, 3));
    let wide = mats(&v["widened"]["weights"]);
    assert_eq!(shape(&wide[1]), (1, 6));
    assert_eq!(v["conventions"]["relu_derivative_at_zero"], 1.0);
    assert_eq!(v["training"]["loss"].as_array().unwrap().len(), 1);
    let alive = json(&["strategy=zero-in-random-out", "relu0=1"]);
    let dead = json(&["strategy=zero-in-random-out"]);
    assert!(alive["outputs"]["new_grad_norm"].as_f64().unwrap() > 0.0);
    assert_eq!(dead["outputs"]["new_grad_norm"], 0.0);
}

#[test]
fn bad_params_are_named() {
    for (arg, name) in [
        ("k=17", "`k`"),
        ("k=0", "`k`"),
        ("c=99", "`c`"),
        ("d=9", "`d`"),
        ("depth=6", "`depth`"),
        ("batch=17", "`batch`"),
        ("steps=301", "`steps`"),
        ("lr=2", "`lr`"),
        ("lr=nan", "`lr`"),
        ("noise=0.6", "`noise`"),
        ("strategy=ones", "`strategy`"),
        ("relu0=0.5", "`relu0`"),
        ("seed=-1", "`seed`"),
        ("width=3", "`width`"),
    ] {
        let err = fails(&[arg]);
        assert!(err.contains(name), "{arg}: {err}");
    }
}
