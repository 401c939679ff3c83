//! Problem 5's content: every `{{p5.…}}` it quotes exists, the facts equal the
//! compute output, the claims the prose makes hold, the pseudocode follows
//! the Rust schedule, each part opens with its answer, and the solution
//! types no result by hand.

use std::collections::BTreeSet;

use nnbook::compute::bptt::optimal::repetition;
use nnbook::compute::bptt::schedule::{
    self, Op, Schedule, ceil_log2, classic_revolve_forward, count, fixed_forward, optimal_forward,
    recursive_forward, reevaluating_halving_forward,
};
use nnbook::compute::bptt::{
    DEFAULT_M, DEFAULT_T, PANEL_5B_M, Settings, TABLE_BUDGETS, baseline, fmt_diff, fmt_ratio,
    grad_check, optimal_estimates, ratio, run_schedule,
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

/// The section of part `id`, from its heading to the next part's.
fn section(text: &str, id: &str) -> String {
    let start = text.find(&format!("{{#{id}}}")).unwrap();
    let rest = &text[start..];
    let end = rest[1..].find("\n## ").map_or(rest.len(), |e| e + 1);
    rest[..end].to_string()
}

fn parse(f: &str) -> f64 {
    f.replace(',', "").parse().unwrap()
}

#[test]
fn every_template_is_a_fact() {
    let text = content();
    let facts = facts();
    let used = keys(&text);
    assert!(
        used.len() > 40,
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
    // 5(a) opens on the recursion (the panel's default), 5(b) on the optimum
    // at the budget its text quotes.
    assert!(parts[0].get("panel_state").is_none());
    let state = &parts[1]["panel_state"];
    assert_eq!(state["schedule"].as_str(), Some("optimal"));
    assert_eq!(state["memory"].as_integer(), Some(PANEL_5B_M as i64));
    let nb = common::embedded_notebook();
    let part = nb
        .problems
        .iter()
        .flat_map(|p| &p.parts)
        .find(|p| p.id == "5b")
        .expect("5b");
    let panel = nnbook::panels::create_in("bptt", &part.panel_state).unwrap();
    assert_eq!(panel.state_value("schedule").as_deref(), Some("optimal"));
    assert_eq!(panel.state_value("memory"), Some(PANEL_5B_M.to_string()));
    for (id, question) in [
        (
            "5a",
            "> (a) Given a memory budget that scales logarithmically",
        ),
        ("5b", "> (b) For a fixed, constant memory budget"),
    ] {
        let section = section(&text, id);
        let q = section
            .find(question)
            .unwrap_or_else(|| panic!("{id} question"));
        let s = section
            .find("### Solution")
            .unwrap_or_else(|| panic!("{id} solution"));
        assert!(q < s, "{id}");
    }
}

/// Under Solution, the answer box comes first; the panel's machinery has
/// its own heading after the answer, the common wrong answers and the
/// references.
#[test]
fn answer_first_then_derivation_then_machinery() {
    let text = content();
    for id in ["5a", "5b"] {
        let section = section(&text, id);
        let solution = section.split("### Solution").nth(1).unwrap();
        let first = solution.lines().find(|l| !l.trim().is_empty()).unwrap();
        assert_eq!(first, "> [!answer]", "{id}");
        let at = |needle: &str| {
            solution
                .find(needle)
                .unwrap_or_else(|| panic!("{id}: {needle}"))
        };
        let (wrong, refs, panel) = (
            at("**Common wrong answers.**"),
            at("**References.**"),
            at("#### In the panel"),
        );
        assert!(wrong < refs && refs < panel, "{id}");
        for r in [
            "Griewank 1992",
            "Griewank & Walther 2000",
            "Gruslys et al. 2016",
            "Chen et al. 2016",
        ] {
            assert!(solution[refs..panel].contains(r), "{id}: {r}");
        }
        // Student text states facts, not how the project checks them.
        for phrase in ["the tests", "test suite", "checked against each other"] {
            assert!(!solution.contains(phrase), "{id}: `{phrase}`");
        }
    }
    let b = section(&text, "5b");
    assert!(b.contains(r#"- *"$T/M$ times slower."*"#));
}

/// The facts are the compute output.
#[test]
fn facts_equal_the_computation() {
    let f = facts();
    for (key, t) in [
        ("t16", 16u64),
        ("t100", 100),
        ("t1024", 1024),
        ("t1e6", 1_000_000),
    ] {
        let g = |k: &str| f[&format!("p5.{key}.{k}")].clone();
        let r = |n: u64| fmt_ratio(ratio(n, t));
        assert_eq!(g("t"), thousands(t));
        let rec = count(Schedule::Recursive, t, 0).unwrap();
        assert_eq!(g("rec.fwd"), thousands(rec.forward_steps));
        assert_eq!(g("rec.peak"), rec.peak_memory.to_string());
        assert_eq!(g("rec.ratio"), r(rec.forward_steps));
        assert_eq!(g("rec.bound"), thousands(t / 2 * ceil_log2(t) + t));
        assert_eq!(g("reeval.fwd"), thousands(reevaluating_halving_forward(t)));
        let fix = count(Schedule::Fixed, t, DEFAULT_M).unwrap();
        assert_eq!(g("fix8.fwd"), thousands(fix.forward_steps));
        assert_eq!(g("fix8.ratio"), r(fix.forward_steps));
        assert_eq!(g("fix8.peak"), fix.peak_memory.to_string());
        // The optimum as executed (streamed through the tracker) and in closed form.
        let opt = count(Schedule::Optimal, t, DEFAULT_M).unwrap();
        assert_eq!(Some(opt.forward_steps), optimal_forward(t, DEFAULT_M));
        assert_eq!(g("opt8.fwd"), thousands(opt.forward_steps));
        assert_eq!(g("opt8.ratio"), r(opt.forward_steps));
        let opt_log = optimal_forward(t, rec.peak_memory).unwrap();
        assert_eq!(g("opt_log.fwd"), thousands(opt_log));
        assert_eq!(g("opt_log.ratio"), r(opt_log));
        let classic = classic_revolve_forward(t, DEFAULT_M).unwrap();
        assert_eq!(g("classic8.ratio"), r(classic));
        assert_eq!(g("fix1.ratio"), r(fixed_forward(t, 1)));
    }
    let big = 1_000_000;
    for m in TABLE_BUDGETS {
        let g = |k: &str| f[&format!("p5.t1e6.m{m}.{k}")].clone();
        assert_eq!(g("m"), m.to_string());
        assert_eq!(g("r"), thousands(repetition(big, m).unwrap()));
        assert_eq!(
            g("opt.ratio"),
            fmt_ratio(ratio(optimal_forward(big, m).unwrap(), big))
        );
        assert_eq!(g("fix.ratio"), fmt_ratio(ratio(fixed_forward(big, m), big)));
    }
    let (r_est, cost_est) = optimal_estimates(big, DEFAULT_M);
    assert_eq!(f["p5.t1e6.opt8.r_estimate"], format!("{r_est:.1}"));
    assert_eq!(f["p5.t1e6.opt8.estimate"], format!("{cost_est:.1}"));
    assert_eq!(f["p5.t1e6.fix8.estimate"], thousands(big / (2 * DEFAULT_M)));
    // The default numeric runs: 5(a)'s recursion and 5(b)'s optimum.
    let s = Settings::default();
    let p = s.problem();
    let base = baseline(&p);
    let (g, c) = run_schedule(&p, Schedule::Recursive, s.slots, &mut no_progress).unwrap();
    assert_eq!(f["p5.default.rec.fwd"], c.forward_steps.to_string());
    assert_eq!(f["p5.default.rec.peak"], c.peak_memory.to_string());
    assert_eq!(f["p5.default.rec.diff"], fmt_diff(g.max_abs_diff(&base)));
    let (g, c) = run_schedule(&p, Schedule::Optimal, PANEL_5B_M, &mut no_progress).unwrap();
    assert_eq!(f["p5.default.opt.fwd"], c.forward_steps.to_string());
    assert_eq!(f["p5.default.opt.peak"], c.peak_memory.to_string());
    assert_eq!(f["p5.default.opt.diff"], fmt_diff(g.max_abs_diff(&base)));
    assert_eq!(f["p5.panel5b.m"], PANEL_5B_M.to_string());
    assert_eq!(f["p5.default.t"], DEFAULT_T.to_string());
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
    let n = |k: &str| parse(&f[&format!("p5.{k}")]);
    // "bit for bit", "differ ... by 0"
    assert_eq!(f["p5.default.rec.diff"], "0");
    assert_eq!(f["p5.default.opt.diff"], "0");
    assert!(n("default.gradcheck") < 1e-6);
    // 5(a): the carry saves recomputation (30 against 48 at T = 16, 300
    // against 416 at T = 100), within the proven bound, at the same memory.
    assert_eq!((n("t16.rec.fwd"), n("t16.reeval.fwd")), (30.0, 48.0));
    assert_eq!((n("t100.rec.fwd"), n("t100.reeval.fwd")), (300.0, 416.0));
    for t in ["t16", "t100", "t1024", "t1e6"] {
        assert!(
            n(&format!("{t}.rec.fwd")) <= n(&format!("{t}.rec.bound")),
            "{t}"
        );
        // "not the exact optimum for its number of slots"
        assert!(
            n(&format!("{t}.opt_log.fwd")) < n(&format!("{t}.rec.fwd")),
            "{t}"
        );
    }
    for t in 1..=2000u64 {
        assert!(
            recursive_forward(t) <= t / 2 * ceil_log2(t) + t,
            "bound at {t}"
        );
        assert_eq!(
            count(Schedule::Recursive, t.min(300), 0)
                .unwrap()
                .peak_memory,
            1 + ceil_log2(t.min(300))
        );
    }
    // "every call visits exactly one state": T calls, one backward op each.
    let mut visits = 0;
    schedule::emit(Schedule::Recursive, 37, 0, &mut |op| {
        visits += u64::from(matches!(op, Op::Backward { .. }))
    });
    assert_eq!(visits, 37);
    // "about ten to cut a million stored states to 21"
    let r = n("t1e6.rec.ratio");
    assert!((9.0..11.0).contains(&r), "{r}");
    assert_eq!(n("t1e6.rec.peak"), 21.0);
    // "to leading order (T/2) log2 T"
    let lead = 1e6 / 2.0 * 1e6f64.log2();
    assert!((n("t1e6.rec.fwd") / lead - 1.0).abs() < 0.05);
    // 5(b): optimal < classic revolve < evenly spaced at M = 8, T = 10^6; the
    // estimates overshoot the exact values; T/(2M) is the exact ratio to within one.
    let (opt, classic, even) = (
        n("t1e6.opt8.ratio"),
        n("t1e6.classic8.ratio"),
        n("t1e6.fix8.ratio"),
    );
    assert!(1.0 < opt && opt < classic && classic < even);
    assert!(n("t1e6.opt8.r_estimate") > n("t1e6.m8.r"));
    assert!(n("t1e6.opt8.estimate") > opt);
    assert!((even - n("t1e6.fix8.estimate")).abs() <= 1.0);
    // "M ≥ T: store-all"; "M = 1: T(T+1)/2"; the factor grows with T.
    for t in [1u64, 7, 64, 1000] {
        assert_eq!(optimal_forward(t, t), Some(t));
        assert_eq!(optimal_forward(t, 1), Some(t * (t + 1) / 2));
    }
    assert!(opt > n("t1024.opt8.ratio"));
    // "Θ(T^{1+1/M}), about M/(M+1)·(M!·T)^{1/M} times the baseline": the ratio
    // of exact to estimate tends to one as T grows.
    for m in 2..=4u64 {
        let off = |t: u64| {
            let exact = ratio(optimal_forward(t, m).unwrap(), t);
            (exact / optimal_estimates(t, m).1 - 1.0).abs()
        };
        assert!(
            off(1_000_000) < off(10_000) && off(1_000_000) < 0.1,
            "m={m}"
        );
    }
    // "(r + (M+1)/2)^M / M!" is nearer C(M+r, M) than r^M / M!.
    let (m, r) = (8u64, n("t1e6.m8.r") as u64);
    let fact: f64 = (1..=m).map(|k| k as f64).product();
    let c = nnbook::compute::bptt::optimal::binomial(m + r, m) as f64;
    let near = (r as f64 + (m + 1) as f64 / 2.0).powi(m as i32) / fact;
    let far = (r as f64).powi(m as i32) / fact;
    assert!((near - c).abs() < (far - c).abs());
    // The table's budgets are the facts' rows.
    let text = content();
    for m in TABLE_BUDGETS {
        assert!(
            text.contains(&format!("| {{{{p5.t1e6.m{m}.m}}}} |")),
            "row M={m}"
        );
    }
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
    let held: Vec<String> = before
        .stored
        .iter()
        .map(|t| format!("\\mathbf{{h}}_{{{t}}}"))
        .collect();
    assert_eq!(f["p5.t16.deepest_tex"], held.join(", "));
}

/// The pseudocode does what the Rust schedule does: same structure (one
/// slot per recursion depth, advance ⌊n/2⌋, later part first, visit, earlier
/// part in the same slot), and the generator's ops for T = 4.
#[test]
fn pseudocode_follows_the_code() {
    let text = content();
    let code = text
        .split("```python")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a python block");
    let order = [
        "S = np.empty((1 + ceil(log2(T)), K))",
        "def reverse(lo, n, src, d)",
        "if n == 0",
        "j = max(1, n // 2)",
        "S[d] = S[src] if src is not None else 0",
        "S[d] = step(S[d], x[t])",
        "reverse(lo + j, n - j, d, d + 1)",
        "visit(lo + j, S[d])",
        "reverse(lo, j - 1, src, d)",
        "def visit(t, h)",
        "dW_hh += outer(a_next, h)",
        "a = (delta + g[t]) * (1 - h**2)",
        "delta = W_hh.T @ a",
        "reverse(0, T, None, 0)",
    ];
    let mut at = 0;
    for line in order {
        let i = code[at..]
            .find(line)
            .unwrap_or_else(|| panic!("`{line}` in order"));
        at += i + line.len();
    }
    assert!(
        !code.contains("del "),
        "memory is the slot array, not `del`"
    );
    // The slot array's size is the schedule's peak.
    for t in 1..=200 {
        assert_eq!(schedule::recursive_peak(t), 1 + ceil_log2(t));
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
            Backward { t: 3 },
            Free { t: 3 },
            Backward { t: 2 },
            Free { t: 2 },
            Forward { from: 0, to: 1 },
            Backward { t: 1 },
        ]
    );
}

/// Results come from templates: outside them, the solution prose (code
/// blocks and the citations' years excluded) contains no number of four or
/// more digits.
#[test]
fn no_typed_results() {
    let solutions = common::typed_solution_text(&content());
    // Code blocks are not prose; citations carry years, nothing else may.
    let mut prose: String = solutions.split("```").step_by(2).collect();
    for cite in [
        "Griewank 1992",
        "Griewank & Walther 2000",
        "Gruslys et al. 2016",
        "Chen et al. 2016",
    ] {
        prose = prose.replace(cite, "CITATION");
    }
    let mut run = String::new();
    for ch in prose.chars().chain([' ']) {
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
