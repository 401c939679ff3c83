//! Problem 3's content: every `{{p3.…}}` it quotes exists, the facts equal the
//! compute output, the claims the prose makes hold (exact preservation, exact
//! zero gradients under the midterm's initialisation, gradient under the
//! correct designs, the ReLU'(0) discussion, Net2Net's symmetry), every
//! backward pass passes its finite-difference check, and no result is typed.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use nnbook::compute::facts;
use nnbook::compute::widen::{
    Config, Experiment, Init, Role, Setup, Strategy, experiment, forward, matrix_key, num, sci,
    snapshot, strategy_key, train, views,
};

use crate::common;

fn content() -> String {
    common::content_file("p3-widen.md")
}

fn keys(text: &str) -> BTreeSet<String> {
    common::template_keys(text)
}

fn run(cfg: Config) -> Experiment {
    experiment(&cfg, &mut |_| ControlFlow::Continue(())).unwrap()
}

fn strategy(s: Strategy) -> Experiment {
    run(Config::default().with_strategy(s))
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
        assert!(key.starts_with("p3."), "{key}");
        assert!(facts.contains_key(key), "unknown fact {key}");
    }
}

#[test]
fn front_matter_and_parts() {
    let text = content();
    let front = text.split("+++").nth(1).expect("front matter");
    let v: toml::Value = toml::from_str(front).unwrap();
    assert_eq!(v["problem"].as_integer(), Some(3));
    let parts = v["parts"].as_array().unwrap();
    let ids: Vec<_> = parts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["3a", "3b"]);
    for p in parts {
        assert_eq!(p["panel"].as_str(), Some("widen"));
    }
    assert!(nnbook::panels::names().contains(&"widen"));
    for (id, question) in [
        (
            "3a",
            "> (a) What goes wrong with the strategy of initializing",
        ),
        ("3b", "> (b) Design a correct initialization"),
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
    // The statement is kept verbatim.
    assert!(
        text.contains("where  $\\mathbf{0}$ is the $K \\times K$ matrix")
            || text.contains("where $\\mathbf{0}$ is the $K \\times K$ matrix")
    );
}

/// The facts are the compute output for the default config.
#[test]
fn facts_equal_the_computation() {
    let facts = facts();
    let f = |k: &str| facts.get(&format!("p3.{k}")).cloned().unwrap_or_default();
    let cfg = Config::default();
    assert_eq!(f("k"), cfg.k.to_string());
    assert_eq!(f("k2"), (2 * cfg.k).to_string());
    assert_eq!(f("c"), cfg.c.to_string());
    assert_eq!(f("d"), cfg.d.to_string());
    assert_eq!(f("depth"), cfg.depth.to_string());
    assert_eq!(f("batch"), cfg.batch.to_string());
    assert_eq!(f("steps"), cfg.steps.to_string());
    assert_eq!(f("lr"), cfg.lr.to_string());
    assert_eq!(f("noise"), cfg.noise.to_string());
    let setup = Setup::new(&cfg);
    let mut compared = 0;
    for s in Strategy::ALL {
        let e = strategy(s);
        let p = strategy_key(s);
        assert_eq!(f(&format!("{p}.diff")), sci(e.snapshot.max_diff), "{p}");
        assert_eq!(f(&format!("{p}.loss")), num(e.snapshot.loss), "{p}");
        assert_eq!(
            f(&format!("{p}.new_grad")),
            sci(e.snapshot.new_grad_norm),
            "{p}"
        );
        for m in &e.snapshot.matrices {
            for b in m.blocks.iter().filter(|b| b.block.role.is_new()) {
                let role = match b.block.role {
                    Role::NewToOld => "out",
                    Role::OldToNew => "in",
                    _ => "nn",
                };
                let key = format!("{p}.{}.{role}.grad", matrix_key(&m.name));
                assert_eq!(f(&key), sci(b.grad_norm), "{key}");
                compared += 1;
            }
        }
        // The training figures are the first two records of the SGD run.
        assert_eq!(
            f(&format!("{p}.in_grad0")),
            sci(e.training.in_grad[0]),
            "{p}"
        );
        assert_eq!(
            f(&format!("{p}.in_grad1")),
            sci(e.training.in_grad[1]),
            "{p}"
        );
        // ReLU'(0) = 1 variants.
        if matches!(s, Strategy::Zero | Strategy::ZeroInRandomOut) {
            let (snap, _) = snapshot(&setup, &setup.widen(s, cfg.noise), 1.0);
            assert_eq!(f(&format!("{p}.new_grad_r1")), sci(snap.new_grad_norm));
            let win = &snap.matrices[0].blocks[1];
            assert_eq!(f(&format!("{p}.win.in.grad_r1")), sci(win.grad_norm));
        }
    }
    assert_eq!(compared, 4 * 8);
}

/// 3(a): the all-zero widening preserves the function, every new gradient is
/// exactly zero under either ReLU'(0), the new blocks never move, and training
/// follows the narrow network exactly.
#[test]
fn zero_init_never_trains_the_new_units() {
    for seed in [3, 4, 11] {
        for relu0 in [0.0, 1.0] {
            let cfg = Config {
                seed,
                relu0,
                steps: 300,
                strategy: Strategy::Zero,
                ..Config::default()
            };
            let e = run(cfg);
            assert_eq!(e.snapshot.max_diff, 0.0);
            assert_eq!(e.snapshot.new_grad_norm, 0.0, "{seed} {relu0}");
            for m in &e.snapshot.matrices {
                for b in &m.blocks {
                    assert_eq!(b.norm == 0.0, b.block.role.is_new());
                }
            }
            assert!(e.training.new_moved.iter().all(|v| *v == 0.0));
            assert!(e.training.new_grad.iter().all(|v| *v == 0.0));
            assert!(e.training.in_grad.iter().all(|v| *v == 0.0));
            for (w, n) in e.training.loss.iter().zip(&e.training.narrow_loss) {
                assert!((w - n).abs() <= 1e-12 * n.abs().max(1.0), "{w} {n}");
            }
            // The new units are identically zero (and so all equal).
            let ws = views(&e.wide.net);
            let f = forward(&ws, e.setup.x.view(), e.setup.t.view());
            for h in &f.h[1..] {
                let k = h.ncols() / 2;
                assert!(
                    h.columns()
                        .into_iter()
                        .skip(k)
                        .all(|c| c.iter().all(|v| *v == 0.0))
                );
            }
            // Old blocks get the narrow network's gradients.
            let narrow = views(&e.setup.net);
            let nf = forward(&narrow, e.setup.x.view(), e.setup.t.view());
            let ng = nnbook::compute::widen::backward(&narrow, &nf, e.setup.t.view(), relu0);
            for (m, g) in e.snapshot.matrices.iter().zip(&ng.weights) {
                let n = g.iter().map(|v| v * v).sum::<f64>().sqrt();
                assert!(
                    (m.old_grad_norm - n).abs() < 1e-12,
                    "{} {n}",
                    m.old_grad_norm
                );
            }
        }
    }
}

/// 3(b): random in / zero out preserves the function bit for bit; right after
/// widening only the new→old blocks have gradient; the incoming blocks get it
/// after one step; the new blocks move; the loss ends below the narrow net's.
#[test]
fn random_in_zero_out_trains_the_new_units() {
    for seed in [3, 4, 11] {
        let e = run(Config {
            seed,
            strategy: Strategy::RandomInZeroOut,
            ..Config::default()
        });
        assert_eq!(e.snapshot.max_diff, 0.0, "exact zeros add nothing");
        for m in &e.snapshot.matrices {
            for b in &m.blocks {
                let expect = match b.block.role {
                    Role::OldToOld => Init::Kept,
                    Role::NewToOld => Init::Zero,
                    _ => Init::Random,
                };
                assert_eq!(b.block.init, expect);
                assert_eq!(b.norm == 0.0, expect == Init::Zero);
                match b.block.role {
                    Role::NewToOld => assert!(b.grad_norm > 0.0),
                    Role::OldToNew | Role::NewToNew => assert_eq!(b.grad_norm, 0.0),
                    Role::OldToOld => {}
                }
            }
        }
        let tr = &e.training;
        assert_eq!(tr.in_grad[0], 0.0);
        assert!(tr.in_grad[1] > 0.0);
        assert!(tr.new_moved[tr.steps] > 0.0);
        if seed == 3 {
            assert!(tr.loss[tr.steps] < tr.narrow_loss[tr.steps]);
        }
    }
}

/// The ReLU'(0) discussion: zero in / random out preserves the function, is
/// dead with ReLU'(0) = 0 and alive with ReLU'(0) = 1; its finite-difference
/// check is flagged as sitting on the kink, not passed.
#[test]
fn zero_in_random_out_depends_on_the_convention() {
    let dead = strategy(Strategy::ZeroInRandomOut);
    assert_eq!(dead.snapshot.max_diff, 0.0);
    assert_eq!(dead.snapshot.new_grad_norm, 0.0);
    assert!(dead.training.new_moved.iter().all(|v| *v == 0.0));
    assert!(dead.check_at_kink());
    let alive = run(Config {
        relu0: 1.0,
        ..Config::default().with_strategy(Strategy::ZeroInRandomOut)
    });
    assert!(alive.snapshot.matrices[0].blocks[1].grad_norm > 0.0);
    assert!(alive.training.new_moved[alive.training.steps] > 0.0);
}

/// Net2Net: preserved up to rounding, gradient everywhere at once, and the
/// copies stay identical forever with the classic ½ split but not with random
/// splits.
#[test]
fn net2net_preserves_and_needs_noise() {
    let e = strategy(Strategy::Net2Net);
    assert!(e.snapshot.max_diff < 1e-13, "{}", e.snapshot.max_diff);
    assert!(
        e.snapshot.copy_gap < 1e-13,
        "copies compute the same values up to rounding"
    );
    for m in &e.snapshot.matrices {
        for b in m.blocks.iter().filter(|b| b.block.role.is_new()) {
            assert!(b.grad_norm > 0.0, "{} {:?}", m.name, b.block.role);
        }
    }
    assert!(e.training.copy_weight_gap > 0.0);
    let classic = run(Config {
        noise: 0.0,
        steps: 100,
        ..Config::default().with_strategy(Strategy::Net2Net)
    });
    assert!(classic.snapshot.max_diff < 1e-13);
    assert_eq!(
        classic.training.copy_weight_gap, 0.0,
        "symmetry never broken"
    );
}

/// Every backward pass passes its check, across seeds and sizes, before and
/// after widening (except where the loss has a kink, which is flagged).
#[test]
fn gradients_pass_the_finite_difference_check() {
    let (mut checked, mut kinks) = (0, 0);
    for (seed, c, k, d, depth) in [
        (3, 4, 6, 3, 3),
        (7, 2, 3, 1, 1),
        (9, 5, 4, 2, 5),
        (5, 3, 8, 2, 4),
    ] {
        for s in [Strategy::Zero, Strategy::RandomInZeroOut, Strategy::Net2Net] {
            let e = run(Config {
                seed,
                c,
                k,
                d,
                depth,
                steps: 2,
                strategy: s,
                ..Config::default()
            });
            let passed = e.check_narrow.max_rel_error < 1e-7 && e.check_wide.max_rel_error < 1e-7;
            if passed {
                checked += 1;
            } else {
                // Some example switches a whole layer off, so (no biases) the
                // next pre-activations are exactly 0: no derivative there,
                // and the experiment says so instead of claiming a pass.
                assert!(
                    e.check_at_kink(),
                    "{seed} {s:?} {:?} {:?}",
                    e.check_narrow,
                    e.check_wide
                );
                kinks += 1;
            }
        }
    }
    assert!(
        checked >= 9 && kinks <= 3,
        "{checked} checked, {kinks} at a kink"
    );
}

/// The one-step claim: after one SGD step the outgoing blocks equal −η times
/// their first gradient (they started at zero).
#[test]
fn first_step_makes_the_outgoing_blocks_non_zero() {
    let cfg = Config::default();
    let setup = Setup::new(&cfg);
    let wide = setup.widen(Strategy::RandomInZeroOut, cfg.noise);
    let (_, g) = snapshot(&setup, &wide, 0.0);
    let tr = train(&setup, &wide, 1, cfg.lr, 0.0);
    let out_new = &wide.blocks[cfg.depth][1];
    let (c0, c1) = out_new.cols;
    for r in 0..cfg.d {
        for c in c0..c1 {
            let w = tr.final_weights[cfg.depth][[r, c]];
            assert!((w + cfg.lr * g.weights[cfg.depth][[r, c]]).abs() < 1e-15);
        }
    }
}

/// Results come from templates: outside them, the solution text contains no
/// decimal number and no number of three or more digits.
#[test]
fn no_typed_results() {
    let stripped = common::typed_solution_text(&content());
    let bytes = stripped.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let run = stripped[start..i].trim_end_matches('.');
            let digits = run.chars().filter(char::is_ascii_digit).count();
            // Small integers (steps the panel cycles through, 1 and 2) are prose.
            let allowed = ["30", "100", "300"];
            assert!(
                (digits < 3 || allowed.contains(&run)) && !run.contains('.'),
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
    assert!(count > 40, "{count}");
}

/// The steps the prose says `t` cycles through are the panel's.
#[test]
fn panel_keys_in_the_prose_exist() {
    let text = content();
    assert!(text.contains("`t` cycles"));
    let p = nnbook::panels::create_ready("widen", &[]).unwrap();
    let keys: Vec<&str> = p.keys().iter().map(|(k, _)| *k).collect();
    for k in ["c", "s", "t", "z"] {
        assert!(keys.contains(&k), "{k}");
    }
    assert!(
        p.keys()
            .iter()
            .any(|(_, what)| what.contains("30 → 100 → 300"))
    );
}

/// The loss table of 3(b): from the same trained network, the midterm's zero
/// widening and zero in / random out (ReLU'(0) = 0) follow the narrow network
/// exactly; random in / zero out ends far lower; Net2Net ends near the narrow one.
#[test]
fn the_loss_table_is_what_training_reaches() {
    use nnbook::compute::widen::TABLE_STEPS;
    let cfg = Config::default();
    let setup = Setup::new(&cfg);
    let f = facts();
    let mut end = std::collections::BTreeMap::new();
    for s in Strategy::ALL {
        let wide = setup.widen(s, cfg.noise);
        let tr = train(&setup, &wide, TABLE_STEPS, cfg.lr, cfg.relu0);
        let k = strategy_key(s);
        assert_eq!(f[&format!("p3.{k}.loss_end")], num(tr.loss[TABLE_STEPS]));
        assert_eq!(
            f[&format!("p3.{k}.loss_start")],
            num(tr.narrow_loss[0]),
            "{k}: preserved"
        );
        assert_eq!(f["p3.narrow.loss_end"], num(tr.narrow_loss[TABLE_STEPS]));
        end.insert(k, (tr.loss[TABLE_STEPS], tr.narrow_loss[TABLE_STEPS]));
    }
    let (zero, narrow) = end["zero"];
    assert_eq!(zero, narrow, "exactly where the narrow network ends");
    assert_eq!(end["ziro"].0, narrow);
    assert!(end["rizo"].0 < narrow / 10.0, "far lower: {end:?}");
    let n2n = end["n2n"].0;
    assert!(
        (n2n - narrow).abs() < 0.25 * narrow,
        "near the narrow network: {end:?}"
    );
    // The network was trained before widening, as the question says.
    assert!(content().contains("{{p3.pretrain}} full-batch\nSGD steps"));
}

#[test]
fn block_letters_do_not_clash_with_the_sizes() {
    // C and D are the input and output sizes; the blocks are P, Q, U, V, and
    // the panel marks copied blocks `=`, not `C`.
    let text = content();
    for clash in ["\\mathbf{A}", "\\mathbf{B}", "\\mathbf{C}", "\\mathbf{D}"] {
        assert!(!text.contains(clash), "{clash}");
    }
    assert_eq!(Init::Copy.letter(), '=');
    assert!(text.contains("any gradient update keeps them identical"));
}
