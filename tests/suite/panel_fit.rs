//! Every line a panel draws fits its width by design: each panel, in every
//! part's opening state and after each of its keys, drawn at 40, 60, 80 and
//! 120 columns, cuts no line at its right edge (the panels' writers mark and
//! count a cut; see `nnbook::panels::canvas::cuts`).

use nnbook::panels::canvas::cuts;
use nnbook::panels::{Panel, PanelKey, create_in};

use crate::common;

/// Every key a panel lists, as the key presses that send it.
fn presses(panel: &dyn Panel) -> Vec<PanelKey> {
    let mut keys = vec![
        PanelKey::Down,
        PanelKey::Right,
        PanelKey::Top,
        PanelKey::Bottom,
    ];
    for (k, _) in panel.keys() {
        for c in k.chars().filter(|c| c.is_ascii_graphic() && *c != '/') {
            keys.push(PanelKey::Char(c));
        }
    }
    keys
}

#[test]
fn no_panel_line_is_cut_at_40_60_80_or_120_columns() {
    let nb = common::embedded_notebook();
    let mut failures = Vec::new();
    for &entry in &nb.entries {
        let Some(part) = nb.part(entry) else { continue };
        let Some(kind) = &part.panel else { continue };
        // One panel per part, its keys pressed one after another (each state
        // drawn), so the work is linear in the number of keys.
        let mut p = create_in(kind, &part.panel_state).expect("registered");
        if let Some(job) = p.initial_job() {
            p.job_finished(job.run_inline());
        }
        let mut keys = presses(p.as_ref());
        if kind == "activations" {
            // `e` trains 5 deep stacks (seconds in a debug build); the drawn
            // results are covered at 40, 60, 80 and 160 columns by
            // panel_activations' experiment tests on a small stack.
            keys.retain(|k| *k != PanelKey::Char('e'));
        }
        for step in 0..=keys.len() {
            let label = match step {
                0 => "opening".to_string(),
                n => format!("after {:?}", &keys[..n]),
            };
            if step > 0
                && let nnbook::panels::PanelEffect::Run(job) = p.handle(keys[step - 1])
            {
                p.job_finished(job.run_inline());
            }
            for width in [40u16, 60, 80, 120] {
                let before = cuts();
                let text = common::draw_panel(p.as_ref(), width, 48);
                if cuts() > before {
                    let cut: Vec<&str> = text.lines().filter(|l| l.ends_with('…')).collect();
                    failures.push(format!("{} {kind} {label} at {width}: {cut:?}", part.id));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cut lines:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
