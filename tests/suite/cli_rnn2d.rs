//! `nnbook compute rnn2d` through the built binary: JSON keys and shapes, text
//! summary, and bad parameters exiting 2 with the parameter named.

use std::process::Command;

fn nnbook(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nnbook"))
        .args(args)
        .output()
        .expect("run nnbook")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = nnbook(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn shape(v: &serde_json::Value) -> Vec<usize> {
    let mut dims = Vec::new();
    let mut cur = v;
    while let Some(a) = cur.as_array() {
        dims.push(a.len());
        match a.first() {
            Some(first) => cur = first,
            None => break,
        }
    }
    dims
}

#[test]
fn json_has_every_input_and_output_with_the_documented_shapes() {
    let v = json(&["compute", "rnn2d", "--json", "h=3", "w=4", "c=2", "seed=7"]);
    for key in ["x", "g", "h_a", "h_b", "grad_x"] {
        assert_eq!(shape(&v[key]), vec![3, 4, 2], "{key}");
    }
    for key in [
        "w_hh_a",
        "w_xh_a",
        "w_hh_b",
        "w_yh_b",
        "grad_w_hh_a",
        "grad_w_xh_a",
        "grad_w_hh_b",
        "grad_w_yh_b",
    ] {
        assert_eq!(shape(&v[key]), vec![2, 2], "{key}");
    }
    assert_eq!(v["seed"], 7);
    assert_eq!(
        (v["h"].clone(), v["w"].clone(), v["c"].clone()),
        (3.into(), 4.into(), 2.into())
    );
    // 8HWC², HW(16C² + 4C), 18HWC²
    assert_eq!(v["flops_forward"], 8 * 3 * 4 * 4);
    assert_eq!(v["flops_backward"], 3 * 4 * (16 * 4 + 4 * 2));
    assert_eq!(v["flops_conv3x3"], 18 * 3 * 4 * 4);
    assert!(v["grad_check"]["max_rel_error"].as_f64().unwrap() < 1e-7);
    assert_eq!(v["grad_check"]["checked"], 3 * 4 * 2 + 4 * 4);
}

#[test]
fn json_outputs_can_be_rechecked_from_its_inputs() {
    // Recompute H^A[0,0] = tanh(W_xh^A x[0,0]) from the JSON alone.
    let v = json(&["compute", "rnn2d", "--json", "h=2", "w=2", "c=3"]);
    let x: Vec<f64> = (0..3).map(|k| v["x"][0][0][k].as_f64().unwrap()).collect();
    for r in 0..3 {
        let pre: f64 = (0..3)
            .map(|k| v["w_xh_a"][r][k].as_f64().unwrap() * x[k])
            .sum();
        let h = v["h_a"][0][0][r].as_f64().unwrap();
        assert!((pre.tanh() - h).abs() < 1e-12);
    }
    // L = Σ G ⊙ H^B is reported too.
    let mut l = 0.0;
    for i in 0..2 {
        for j in 0..2 {
            for k in 0..3 {
                l += v["g"][i][j][k].as_f64().unwrap() * v["h_b"][i][j][k].as_f64().unwrap();
            }
        }
    }
    assert!((l - v["loss"].as_f64().unwrap()).abs() < 1e-12);
}

#[test]
fn same_seed_same_output_and_new_seed_new_numbers() {
    let a = json(&["compute", "rnn2d", "--json", "seed=3"]);
    let b = json(&["compute", "rnn2d", "--json", "seed=3"]);
    let c = json(&["compute", "rnn2d", "--json", "seed=4"]);
    assert_eq!(a, b);
    assert_ne!(a["x"], c["x"]);
}

#[test]
fn text_output_is_the_panel_summary() {
    let out = nnbook(&["compute", "rnn2d"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("H=4 W=5 C=2"), "{text}");
    assert!(text.contains("8HWC² ✓"), "{text}");
    assert!(text.contains("grad check: max relative error"), "{text}");
    assert!(text.contains("forward / conv = 0.4444"), "{text}");
    assert!(text.contains("H^B[3,4]"), "{text}");
}

/// The excerpt's `=` signs line up, also when the last cell's indices are
/// long (they were padded by a fixed count).
#[test]
fn excerpt_labels_line_up_at_any_size() {
    for size in [["h=4", "w=5"], ["h=12", "w=101"]] {
        let out = nnbook(&["compute", "rnn2d", size[0], size[1], "c=1"]);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let excerpt: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("excerpt"))
            .skip(1)
            .take(4)
            .collect();
        let columns: Vec<Option<usize>> = excerpt.iter().map(|l| l.find(" = ")).collect();
        assert!(
            columns.iter().all(|c| c.is_some() && *c == columns[0]),
            "{text}"
        );
    }
}

#[track_caller]
fn fails_naming(args: &[&str], name: &str) {
    let out = nnbook(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(name), "{args:?}: {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_parameters_exit_2_and_name_the_parameter() {
    fails_naming(&["compute", "rnn2d", "h=0"], "`h`");
    fails_naming(&["compute", "rnn2d", "w=257"], "`w`");
    fails_naming(&["compute", "rnn2d", "c=1000"], "`c`");
    fails_naming(&["compute", "rnn2d", "c=two"], "`c`");
    fails_naming(&["compute", "rnn2d", "seed=-1"], "`seed`");
    fails_naming(&["compute", "rnn2d", "depth=3"], "`depth`");
    fails_naming(&["compute", "rnn2d", "h=256", "w=256", "c=8"], "h·w·c");
}
