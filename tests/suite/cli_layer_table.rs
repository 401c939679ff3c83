//! `nnbook compute layer-table` through the built binary: the JSON schema,
//! the numbers, and named errors with exit code 2.

use serde_json::Value;

use crate::common;
use common::nnbook;

fn json(args: &[&str]) -> Value {
    common::compute_json("layer-table", args)
}

fn fails(args: &[&str]) -> String {
    common::compute_fails("layer-table", args)
}

#[test]
fn json_has_the_issue_schema_and_every_input() {
    let v = json(&[]);
    assert_eq!(v["input"], serde_json::json!([32, 32, 3]));
    assert_eq!(v["convention"], "all");
    assert_eq!(v["replace_pool"], "none");
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 22, "input row + 21 layers");
    for l in layers {
        for key in [
            "name", "kind", "out", "params", "weights", "biases", "flops", "rf_size", "rf_jump",
            "full_rf",
        ] {
            assert!(!l[key].is_null(), "{key} missing in {l}");
        }
        assert_eq!(l["out"].as_array().unwrap().len(), 3);
        assert!(l["full_rf"].is_boolean());
        assert_eq!(
            l["params"].as_u64(),
            Some(l["weights"].as_u64().unwrap() + l["biases"].as_u64().unwrap())
        );
    }
    let sum = |key: &str| layers.iter().map(|l| l[key].as_u64().unwrap()).sum::<u64>();
    assert_eq!(v["total_params"].as_u64(), Some(sum("params")));
    assert_eq!(v["total_flops"].as_u64(), Some(sum("flops")));
    // Closed forms for the first conv: 5·5·3·16 + 16 params, 32·32·16 outputs
    // × 2·5·5·3 ops.
    assert_eq!(layers[1]["params"], 1216);
    assert_eq!(layers[1]["flops"], 32 * 32 * 16 * 2 * 75);
    assert_eq!(layers[1]["kind"], "conv");
    assert_eq!(layers[0]["kind"], "input");
    assert_eq!(layers[21]["out"], serde_json::json!([1, 1, 128]));
    // 1(b): the pool after Conv F=96.
    let first = v["first_full_rf_layer"].as_u64().unwrap() as usize;
    assert_eq!(layers[first]["name"], "Pool");
    assert_eq!(layers[first - 2]["name"], "Conv F=96, 3x3");
    assert!(layers[first]["full_rf"].as_bool().unwrap());
    assert!(!layers[first - 1]["full_rf"].as_bool().unwrap());
    assert!(layers[first - 1]["rf_size"].as_u64().unwrap() > 32);
    // The corner of Conv F=96 sees rows 0..=26 only; the answer layer all 32.
    assert_eq!(layers[first - 2]["corner_rows"], serde_json::json!([0, 26]));
    assert_eq!(layers[first]["corner_cols"], serde_json::json!([0, 31]));
}

#[test]
fn mac_convention_halves_conv_and_zeroes_the_rest() {
    let all = json(&[]);
    let mac = json(&["convention=mac"]);
    assert_eq!(mac["convention"], "mac");
    for (a, m) in all["layers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(mac["layers"].as_array().unwrap())
    {
        let expected = if a["kind"] == "conv" {
            a["flops"].as_u64().unwrap() / 2
        } else {
            0
        };
        assert_eq!(m["flops"].as_u64(), Some(expected), "{}", a["name"]);
    }
}

#[test]
fn replacement_configs_keep_shapes() {
    let base = json(&[]);
    for (cfg, k2) in [("2x2s2", 4u64), ("3x3s2p1", 9)] {
        let v = json(&[&format!("replace_pool={cfg}")]);
        assert_eq!(v["replace_pool"], cfg);
        let layers = v["layers"].as_array().unwrap();
        for (b, l) in base["layers"].as_array().unwrap().iter().zip(layers) {
            assert_eq!(b["out"], l["out"]);
            if b["kind"] == "pool" {
                assert_eq!(l["kind"], "conv");
                let c = l["out"][2].as_u64().unwrap();
                assert_eq!(l["filters"].as_u64(), Some(c));
                assert_eq!(l["params"].as_u64(), Some(k2 * c * c + c));
            }
        }
    }
}

#[test]
fn input_size_is_a_parameter() {
    let v = json(&["input=64x48x1"]);
    assert_eq!(v["input"], serde_json::json!([64, 48, 1]));
    assert_eq!(v["layers"][1]["out"], serde_json::json!([64, 48, 16]));
    assert_eq!(v["layers"][1]["params"], 5 * 5 * 16 + 16);
}

#[test]
fn text_matches_json_totals() {
    let out = nnbook(&["compute", "layer-table"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("223,496"), "{text}");
    assert!(text.contains("26,973,696"), "{text}");
    let v = json(&[]);
    assert_eq!(v["total_params"], 223_496);
}

#[test]
fn bad_params_are_named() {
    for (args, name) in [
        (&["input=32x32"][..], "`input`"),
        (&["input=0x32x3"][..], "`input`"),
        (&["input=99999x32x3"][..], "`input`"),
        (&["input=axbxc"][..], "`input`"),
        (&["convention=flops"][..], "`convention`"),
        (&["replace_pool=avg"][..], "`replace_pool`"),
        (&["seed=3"][..], "`seed`"),
    ] {
        let err = fails(args);
        assert!(err.contains(name), "{args:?}: {err}");
    }
}

/// Inputs that are valid parameters but too small for five 2x2 pools: the
/// shape error names the layer that does not fit.
#[test]
fn bad_architectures_name_the_layer() {
    let err = fails(&["input=16x16x3"]);
    assert!(err.contains("layer 21 (pool 2x2 s2 p0)"), "{err}");
    let err = fails(&["input=1x1x3"]);
    assert!(err.contains("layer 5 (pool"), "{err}");
    let err = fails(&["input=3x3x3", "replace_pool=2x2s2"]);
    assert!(err.contains("layer 10 (conv F=48 2x2 s2 p0)"), "{err}");
}

/// Any architecture through `arch=`: closed forms on a small hand case.
#[test]
fn custom_architecture() {
    let v = json(&["arch=conv:8:3,relu,pool:3:2:1,conv:4:1", "input=9x7x2"]);
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 5);
    // 3·3·2·8 + 8 params; 9·7·8 outputs × 2·3·3·2 ops.
    assert_eq!(layers[1]["params"], 152);
    assert_eq!(layers[1]["flops"], 9 * 7 * 8 * 36);
    // 3x3 s2 p1 pool: ⌊(9 + 2 − 3)/2⌋ + 1 = 5, ⌊(7 + 2 − 3)/2⌋ + 1 = 4; 8 comparisons each.
    assert_eq!(layers[3]["out"], serde_json::json!([5, 4, 8]));
    assert_eq!(layers[3]["flops"], 5 * 4 * 8 * 8);
    assert_eq!(v["architecture"][2]["window"], 3);
}

#[test]
fn bad_architectures_through_arch() {
    let err = fails(&["arch=conv:8,relu"]);
    assert!(err.contains("`arch`") && err.contains("layer 1"), "{err}");
    let err = fails(&["arch=relu,conv:4:3:0:1"]);
    assert!(
        err.contains("layer 2 (conv F=4 3x3 s0 p1): stride 0"),
        "{err}"
    );
    let err = fails(&["arch=conv:99999:3"]);
    assert!(
        err.contains("layer 1") && err.contains("filters 99999"),
        "{err}"
    );
    let err = fails(&["arch=relu,pool:9:1", "input=4x4x1"]);
    assert!(err.contains("layer 2 (pool 9x9 s1 p0)"), "{err}");
    let many = vec!["relu"; 65].join(",");
    let err = fails(&[&format!("arch={many}")]);
    assert!(err.contains("`arch`"), "{err}");
}
