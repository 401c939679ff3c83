//! Problem 5's content: every `{{p5.…}}` it quotes exists, the facts equal the
//! compute output, the claims the prose makes hold, the pseudocode follows
//! the Rust schedule, and the solution types no result by hand.

use std::collections::BTreeSet;

use nnbook::compute::bptt::schedule::{
    self, Op, Schedule, count, fixed_forward, recursive_forward, revolve_forward,
};
use nnbook::compute::bptt::{
    DEFAULT_M, Settings, baseline, fmt_diff, grad_check, ratio, run_schedule,
};
use nnbook::compute::layer_table::thousands;
use nnbook::compute::{facts, no_progress};

use crate::common;

fn content() -> String {
    common::content_file("p5-bptt.md")
}

fn keys(text: &str) -> BTreeSet<String> {
    common::template_keys(text)
}

#[test]
fn every_template_is_a_fact() {
    let text = content();
    let facts = facts();
    let used = keys(&text);
    assert!(
        used.len() > 30,
        "the solution quotes its numbers: {}",
        used.len()
    );
    for key in &used {
        assert!(key.starts_with("p5."), "{key}");
        assert!(facts.contains_key(key), "unknown fact {key}");
    }
}

#[test]
fn front_matter_and_parts() {
    let text = content();
    let front = text.split("+++").nth(1).expect("front matter");
    let v: toml::Value = toml::from_str(front).unwrap();
    assert_eq!(v["problem"].as_integer(), Some(5));
    let parts = v["parts"].as_array().unwrap();
    let ids: Vec<_> = parts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["5a", "5b"]);
    for p in parts {
        assert_eq!(p["panel"].as_str(), Some("bptt"));
    }
    assert!(nnbook::panels::names().contains(&"bptt"));
    for (id, question) in [
        (
            "5a",
            "> (a) Given a memory budget that scales logarithmically",
        ),
        ("5b", "> (b) For a fixed, constant memory budget"),
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

/// The facts are the compute output.
#[test]
fn facts_equal_the_computation() {
    let f = facts();
    for (key, t) in [("t16", 16u64), ("t1024", 1024), ("t1e6", 1_000_000)] {
        let g = |k: &str| f[&format!("p5.{key}.{k}")].clone();
        assert_eq!(g("t"), thousands(t));
        let rec = count(Schedule::Recursive, t, 0).unwrap();
        assert_eq!(g("rec.fwd"), thousands(rec.forward_steps));
        assert_eq!(g("rec.peak"), rec.peak_memory.to_string());
        assert_eq!(
            g("rec.ratio"),
            format!("{:.2}", ratio(rec.forward_steps, t))
        );
        let fix = count(Schedule::Fixed, t, DEFAULT_M).unwrap();
        assert_eq!(g("fix8.fwd"), thousands(fix.forward_steps));
        assert_eq!(g("fix8.peak"), fix.peak_memory.to_string());
        assert_eq!(g("fix2.fwd"), thousands(fixed_forward(t, 2)));
        assert_eq!(
            g("rev8.fwd"),
            thousands(revolve_forward(t, DEFAULT_M).unwrap())
        );
        assert_eq!(
            g("rev_log.fwd"),
            thousands(revolve_forward(t, rec.peak_memory).unwrap())
        );
    }
    // The worked example F(16) = 8·4 + 16.
    assert_eq!(f["p5.t16.half"], "8");
    assert_eq!(f["p5.t16.log2"], "4");
    assert_eq!(8 * 4 + 16, recursive_forward(16));
    // The default numeric run.
    let s = Settings::default();
    let p = s.problem();
    let base = baseline(&p);
    let (g, c) = run_schedule(&p, Schedule::Recursive, s.slots, &mut no_progress).unwrap();
    assert_eq!(f["p5.default.rec.fwd"], c.forward_steps.to_string());
    assert_eq!(f["p5.default.rec.diff"], fmt_diff(g.max_abs_diff(&base)));
    let gc = grad_check(&p, &base);
    assert_eq!(
        f["p5.default.gradcheck"],
        format!("{:.1e}", gc.max_rel_error)
    );
    assert_eq!(f["p5.default.gradcheck_entries"], gc.checked.to_string());
}

/// What the prose says about the numbers, checked against the computation.
#[test]
fn prose_claims_hold() {
    let f = facts();
    // "bit-identical"
    assert_eq!(f["p5.default.rec.diff"], "0");
    let gc: f64 = f["p5.default.gradcheck"].parse().unwrap();
    assert!(gc < 1e-6);
    // "each level advances T/2; F(T) = T/2 log2 T + T" for powers of two.
    for k in 0..=20u64 {
        let t = 1u64 << k;
        assert_eq!(2 * recursive_forward(t), t * k + 2 * t);
    }
    // "P(T) = 1 + ceil(log2 T)".
    for t in 1..=300 {
        assert_eq!(
            count(Schedule::Recursive, t, 0).unwrap().peak_memory,
            1 + schedule::ceil_log2(t)
        );
    }
    // "A factor of about ten in time" at T = 10^6, memory 21.
    let r = ratio(recursive_forward(1_000_000), 1_000_000);
    assert!((9.0..12.0).contains(&r), "{r}");
    // Revolve beats halving at the same memory, but not by an order.
    for t in [16u64, 1024, 1_000_000] {
        let rec = recursive_forward(t);
        let opt = revolve_forward(t, schedule::recursive_peak(t)).unwrap();
        assert!(opt <= rec && 2 * opt > rec, "{t}: {opt} {rec}");
    }
    assert!(revolve_forward(16, 5).unwrap() < recursive_forward(16));
    // 5(b): the exact ratio is T/(2(M-1)) plus the O(T) term (under 2 per step), and
    // the optimum is far below the simple schedule but above the baseline.
    let exact: f64 = f["p5.t1e6.fix8.ratio"].parse().unwrap();
    let est: f64 = f["p5.t1e6.fix8.estimate"].parse().unwrap();
    assert!(exact > est && exact - est < 2.0, "{exact} {est}");
    let opt = revolve_forward(1_000_000, DEFAULT_M).unwrap();
    assert!(opt > 1_000_000 && opt * 100 < fixed_forward(1_000_000, DEFAULT_M));
    assert_eq!(fixed_forward(1024, 2), 1024 * 1025 / 2);
    // "the tests confirm it equals a brute-force search ... up to 150 and M up to 7":
    // see schedule::tests::revolve_formula_is_the_brute_force_optimum.
    // The panel opens where the checkpoints named in the text are held.
    let frames = schedule::trace(Schedule::Recursive, 16, 0).unwrap();
    let i = frames
        .iter()
        .position(|f| matches!(f.op, Op::Backward { .. }))
        .unwrap();
    let before = &frames[i - 1];
    assert_eq!(before.cursor, Some(16));
    assert_eq!(before.counts.memory, 5);
    assert_eq!(before.stored, frames[i].stored);
    assert!(f["p5.t16.deepest_tex"].contains("\\mathbf{h}_{15}"));
}

/// The pseudocode does what the Rust schedule does: same names, same order
/// of forward to mid, store, right half, free, left half.
#[test]
fn pseudocode_follows_the_code() {
    let text = content();
    let code = text
        .split("```python")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a python block");
    let order = [
        "def backprop(lo, hi, h_lo, dh_hi)",
        "if hi - lo == 1",
        "h_hi = step(h_lo, x[hi])",
        "backward_step(hi, h_lo, h_hi, dh_hi + g[hi])",
        "mid = lo + (hi - lo) // 2",
        "h = step(h, x[t])",
        "dh_mid = backprop(mid, hi, h_mid, dh_hi)",
        "del h_mid",
        "return backprop(lo, mid, h_lo, dh_mid)",
    ];
    let mut at = 0;
    for line in order {
        let i = code[at..]
            .find(line)
            .unwrap_or_else(|| panic!("`{line}` in order"));
        at += i + line.len();
    }
    // The Rust generator emits the same sequence for T = 4.
    let mut ops = Vec::new();
    schedule::emit(Schedule::Recursive, 4, 0, &mut |op| ops.push(op));
    use Op::*;
    assert_eq!(
        ops,
        [
            Forward { from: 0, to: 2 },
            Store { t: 2 },
            Forward { from: 2, to: 3 },
            Store { t: 3 },
            Forward { from: 3, to: 4 },
            Backward { t: 4 },
            Free { t: 3 },
            Forward { from: 2, to: 3 },
            Backward { t: 3 },
            Free { t: 2 },
            Forward { from: 0, to: 1 },
            Store { t: 1 },
            Forward { from: 1, to: 2 },
            Backward { t: 2 },
            Free { t: 1 },
            Forward { from: 0, to: 1 },
            Backward { t: 1 },
        ]
    );
}

/// Results come from templates: outside them, the solution prose (code
/// blocks excluded) contains no number of four or more digits.
#[test]
fn no_typed_results() {
    let text = content();
    let solutions: String = text
        .split("### Solution")
        .skip(1)
        .map(|s| s.split("\n## ").next().unwrap_or(""))
        .collect();
    let prose: String = solutions.split("```").step_by(2).collect();
    let mut stripped = String::new();
    let mut rest = prose.as_str();
    while let Some(start) = rest.find("{{") {
        stripped += &rest[..start];
        let end = rest[start..].find("}}").unwrap();
        stripped.push_str(" T ");
        rest = &rest[start + end + 2..];
    }
    stripped += rest;
    let mut run = String::new();
    for ch in stripped.chars().chain([' ']) {
        if ch.is_ascii_digit() || (ch == ',' && !run.is_empty()) {
            run.push(ch);
        } else {
            let r = run.trim_end_matches(',');
            let digits = r.chars().filter(char::is_ascii_digit).count();
            assert!(digits < 4 && !r.contains(','), "typed number `{r}`");
            run.clear();
        }
    }
}

/// Every formula of the solution (with its facts filled in) is inside the
/// LaTeX subset the notebook renders.
#[test]
fn every_formula_renders() {
    let count = common::render_solution_formulas(&content());
    assert!(count > 40, "{count}");
}
