//! Problem 1's content: every `{{p1.…}}` it quotes exists, the facts equal the
//! compute output, the claims the prose makes about those numbers hold, and
//! the solution text types no result by hand.

use std::collections::BTreeSet;

use nnbook::compute::facts;
use nnbook::compute::layer_table::{
    Convention, MIDTERM, MIDTERM_INPUT, ReplacePool, Table, dims, table, table_replaced, thousands,
};

use crate::common;

fn content() -> String {
    common::content_file("p1-cnn.md")
}

fn keys(text: &str) -> BTreeSet<String> {
    common::template_keys(text)
}

fn net(how: ReplacePool) -> Table {
    table_replaced(MIDTERM_INPUT, MIDTERM, how).unwrap()
}

#[test]
fn every_template_is_a_fact() {
    let text = content();
    let facts = facts();
    let used = keys(&text);
    assert!(
        used.len() > 100,
        "the solution quotes its numbers: {}",
        used.len()
    );
    for key in &used {
        assert!(key.starts_with("p1."), "{key}");
        assert!(facts.contains_key(key), "unknown fact {key}");
    }
}

#[test]
fn front_matter_and_parts() {
    let text = content();
    let front = text.split("+++").nth(1).expect("front matter");
    let v: toml::Value = toml::from_str(front).unwrap();
    assert_eq!(v["problem"].as_integer(), Some(1));
    let parts = v["parts"].as_array().unwrap();
    let ids: Vec<_> = parts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["1a", "1b", "1c"]);
    for p in parts {
        let panel = p["panel"].as_str().unwrap();
        assert!(nnbook::panels::names().contains(&panel), "{panel}");
    }
    // Each part has its question verbatim and then a solution.
    for (id, question) in [
        ("1a", "> (a) Complete the above table with the dimension"),
        ("1b", "> (b) What is the shallowest layer"),
        (
            "1c",
            "> (c) Suppose we wanted to replace each pooling layer",
        ),
    ] {
        let start = text.find(&format!("{{#{id}}}")).unwrap();
        let section = &text[start..];
        let end = section[1..].find("\n## ").map_or(section.len(), |e| e + 1);
        let section = &section[..end];
        let q = section
            .find(question)
            .unwrap_or_else(|| panic!("{id} question"));
        let s = section
            .find("### Solution")
            .unwrap_or_else(|| panic!("{id} solution"));
        assert!(q < s, "{id}");
    }
}

/// The facts are the compute output: every row of the midterm table, and the
/// replaced rows of both pool-to-conv networks.
#[test]
fn facts_equal_the_computation() {
    let facts = facts();
    for (prefix, how) in [
        ("p1", ReplacePool::None),
        ("p1.r2", ReplacePool::K2S2),
        ("p1.r3", ReplacePool::K3S2P1),
    ] {
        let t = net(how);
        let f = |k: &str| facts[&format!("{prefix}.{k}")].clone();
        assert_eq!(f("total_params"), thousands(t.total_params));
        assert_eq!(f("total_flops"), thousands(t.total_flops(Convention::All)));
        assert_eq!(f("total_macs"), thousands(t.total_flops(Convention::Mac)));
        assert_eq!(f("first_full"), t.first_full_rf_layer.unwrap().to_string());
        let mut checked = 0;
        for (i, r) in t.rows.iter().enumerate() {
            if how != ReplacePool::None && !r.replaces_pool {
                continue;
            }
            checked += 1;
            let g = |k: &str| f(&format!("l{i}.{k}"));
            // prose writes sizes with ×, as the statement does
            assert_eq!(g("out"), dims(r.out).replace('x', "×"));
            assert_eq!(g("h"), r.out[0].to_string());
            assert_eq!(g("params"), thousands(r.params));
            assert_eq!(g("flops"), thousands(r.ops.all));
            assert_eq!(g("macs"), thousands(r.ops.macs));
            assert_eq!(g("rf"), r.rf.size.to_string());
            if let Some(tex) = facts.get(&format!("{prefix}.l{i}.params_tex")) {
                assert_eq!(tex, &format!("\\text{{{}}}", thousands(r.params)));
            }
            if how == ReplacePool::None {
                assert_eq!(g("c"), r.out[2].to_string());
                assert_eq!(g("jump"), r.rf.jump.to_string());
                assert_eq!(g("rf_start"), r.rf.start.to_string());
                assert_eq!(g("full"), if r.full_rf { "yes" } else { "no" });
            }
        }
        assert!(checked >= 5, "{prefix}");
    }
}

/// What the prose says about the numbers, checked against the computation.
#[test]
fn prose_claims_hold() {
    let t = net(ReplacePool::None);
    let r2 = net(ReplacePool::K2S2);
    let r3 = net(ReplacePool::K3S2P1);
    // The table rows the prose names by number are the layers it says they are.
    assert_eq!(t.rows[1].name, "Conv F=16, 5x5");
    assert_eq!(t.rows[13].name, "Conv F=64, 1x1");
    assert_eq!(t.rows[16].name, "Conv F=96, 3x3");
    assert_eq!(t.rows[5].kind, "pool");
    // (a) rows 3 and 8 are the two largest FLOP shares; row 19 has the most params.
    let mut by_flops: Vec<usize> = (0..t.rows.len()).collect();
    by_flops.sort_by_key(|i| std::cmp::Reverse(t.rows[*i].ops.all));
    let mut top: Vec<usize> = by_flops[..2].to_vec();
    top.sort();
    assert_eq!(top, [3, 8]);
    let most = (0..t.rows.len()).max_by_key(|i| t.rows[*i].params).unwrap();
    assert_eq!(most, 19);
    // "halving H and W ... doubling both C_in and F": rows 3 and 8 tie.
    assert_eq!(t.rows[8].out[0] * 2, t.rows[3].out[0]);
    assert_eq!(t.rows[7].out[2], 2 * t.rows[2].out[2]);
    assert_eq!(t.rows[8].out[2], 2 * t.rows[3].out[2]);
    assert_eq!(t.rows[3].ops.all, t.rows[8].ops.all);
    // "every conv is followed by a ReLU of the same size".
    for (i, r) in t.rows.iter().enumerate().filter(|(_, r)| r.kind == "conv") {
        assert_eq!(t.rows[i + 1].kind, "relu");
        assert_eq!(t.rows[i + 1].out, r.out);
    }
    // "every conv keeps H x W"; pools halve.
    for w in t.rows.windows(2) {
        match w[1].kind {
            "pool" => assert_eq!(w[1].out[0] * 2, w[0].out[0]),
            _ => assert_eq!(w[1].out[0], w[0].out[0]),
        }
    }
    // (b) the answer is the pool two rows after Conv F=96; it is the first full
    // layer, Conv F=96 has RF > input, the ReLU has the same RF, and every
    // deeper layer stays full.
    let first = t.first_full_rf_layer.unwrap();
    assert_eq!(first, 18);
    assert_eq!(t.rows[first].kind, "pool");
    assert!(t.rows[16].rf.size > MIDTERM_INPUT[0]);
    assert_eq!(t.rows[17].rf, t.rows[16].rf);
    assert!(t.rows[first..].iter().all(|r| r.full_rf));
    // "the fourth pooling layer"; the centre of row 16 sees the whole input.
    let pools: Vec<usize> = (0..t.rows.len())
        .filter(|i| t.rows[*i].kind == "pool")
        .collect();
    assert_eq!(pools[3], first);
    let centre = t.probe(16, nnbook::compute::layer_table::Location::Centre);
    assert!(centre.full());
    // (c) same shapes; 2x2 keeps the RF; 3x3 grows it; the even-size padding
    // remark: the last 3x3 s2 p1 window of each replacement ends at the last
    // real row (2(H'-1) - 1 + 2 = H - 1).
    for (a, b) in t.rows.iter().zip(&r2.rows) {
        assert_eq!(a.out, b.out);
        assert_eq!(a.rf.size, b.rf.size);
    }
    for (i, (a, b)) in t.rows.iter().zip(&r3.rows).enumerate() {
        assert_eq!(a.out, b.out);
        if b.replaces_pool {
            let h_in = r3.rows[i - 1].out[0];
            assert_eq!(2 * (b.out[0] - 1) + 1, h_in - 1);
        }
    }
    assert!(r3.rows[21].rf.size > t.rows[21].rf.size);
    assert!(r3.total_params > r2.total_params && r2.total_params > t.total_params);
    // The panel's larger inputs.
    let t64 = table([64, 64, 3], MIDTERM).unwrap();
    assert_eq!(t64.first_full_rf_layer, Some(21));
    let t224 = table([224, 224, 3], MIDTERM).unwrap();
    assert_eq!(t224.first_full_rf_layer, None);
    // "only the last pool" / "even the last layer's field is smaller".
    assert_eq!(t64.rows.len() - 1, 21);
    assert_eq!(t64.rows[21].kind, "pool");
    assert!(t224.rows[21].rf.size < 224);
}

/// Results come from templates: outside them, the solution text contains no
/// number of four or more digits and no comma-grouped number.
#[test]
fn no_typed_results() {
    let stripped = common::typed_solution_text(&content());
    let bytes = stripped.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b',') {
                i += 1;
            }
            let run = stripped[start..i].trim_end_matches(',');
            let digits = run.chars().filter(char::is_ascii_digit).count();
            assert!(
                digits < 4 && !run.contains(','),
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

/// 1(a): what common FLOP counters print, rebuilt from the table: torch's
/// FlopCounterMode 2 × conv MACs, thop/fvcore conv MACs, ptflops conv MACs
/// plus one per conv output (bias), per ReLU output and per pool input.
#[test]
fn flop_counter_totals_follow_from_the_table() {
    let t = net(ReplacePool::None);
    let f = facts();
    let macs: u64 = t.rows.iter().map(|r| r.ops.macs).sum();
    let elems = |kind: &str| -> u64 {
        t.rows
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.out.iter().product::<u64>())
            .sum()
    };
    let pool_inputs: u64 = (1..t.rows.len())
        .filter(|i| t.rows[*i].kind == "pool")
        .map(|i| t.rows[i - 1].out.iter().product::<u64>())
        .sum();
    assert_eq!(f["p1.total_macs"], thousands(macs));
    assert_eq!(f["p1.alt.two_macs"], thousands(2 * macs));
    assert_eq!(f["p1.alt.pool_inputs"], thousands(pool_inputs));
    let ptflops = macs + elems("conv") + elems("relu") + pool_inputs;
    assert_eq!(f["p1.alt.ptflops"], thousands(ptflops));
    // The figures PyTorch's and ptflops' own runs print for this network.
    assert_eq!(2 * macs, 26_869_760);
    assert_eq!(ptflops, 13_621_248);
    // The answer box comes before the derivation of the columns.
    let text = content();
    let a = text
        .find("> [!answer]\n> The network has **{{p1.total_params}}")
        .unwrap();
    assert!(a < text.find("**The completed table**").unwrap());
    assert!(
        text.find("**The completed table**").unwrap() < text.find("**How each column").unwrap()
    );
}

/// 1(b)'s warning: an autograd check through the max pools under-counts the
/// receptive field at the answer row; with average pools it equals the
/// dependency sets; the first row where it is full is one too deep.
#[test]
fn the_maxpool_autograd_check_undercounts() {
    use nnbook::compute::layer_table::autograd_rf::{PoolMode, pixels_with_gradient};
    use nnbook::compute::layer_table::{AUTOGRAD_SEED, MIDTERM};
    let t = net(ReplacePool::None);
    let f = facts();
    let first = t.first_full_rf_layer.unwrap();
    let all = (MIDTERM_INPUT[0] * MIDTERM_INPUT[1]) as usize;
    let rows: Vec<usize> = (first..t.rows.len()).collect();
    let max = pixels_with_gradient(MIDTERM_INPUT, MIDTERM, &rows, PoolMode::Max, AUTOGRAD_SEED);
    let avg = pixels_with_gradient(
        MIDTERM_INPUT,
        MIDTERM,
        &rows,
        PoolMode::Average,
        AUTOGRAD_SEED,
    );
    assert!(max[0] < all, "{max:?}");
    assert_eq!(avg[0], all);
    assert_eq!(f["p1.autograd.maxpool_seen"], thousands(max[0] as u64));
    assert_eq!(f["p1.autograd.avgpool_seen"], thousands(avg[0] as u64));
    let wrong = rows[max.iter().position(|n| *n == all).unwrap()];
    assert!(wrong > first);
    assert_eq!(f["p1.autograd.wrong_row"], wrong.to_string());
    // And the boolean dependency sets agree with the average pools: the
    // corner sees every pixel at the first full row, but not one row above
    // the answer's conv (row 16: fewer).
    assert_eq!(
        t.probe(first, nnbook::compute::layer_table::Location::Corner)
            .seen() as usize,
        all
    );
    let avg16 = pixels_with_gradient(
        MIDTERM_INPUT,
        MIDTERM,
        &[16],
        PoolMode::Average,
        AUTOGRAD_SEED,
    );
    assert_eq!(
        avg16[0] as u64,
        t.probe(16, nnbook::compute::layer_table::Location::Corner)
            .seen()
    );
}

#[test]
fn no_development_process_remarks() {
    let text = content();
    for phrase in ["in the tests", "test suite", "checked against each other"] {
        assert!(!text.contains(phrase), "{phrase}");
    }
}
