//! The bptt panel drawn alone into a buffer: snapshots at the two reference
//! sizes at several trace positions and schedules, and no panic at any size.

use nnbook::panels::{Panel, PanelKey, create, create_in};
use proptest::prelude::*;

use crate::common;
use common::mask_float_noise;

fn draw(panel: &dyn Panel, w: u16, h: u16) -> String {
    mask_float_noise(&common::draw_panel(panel, w, h))
}

fn panel_after(keys: &str) -> Box<dyn Panel> {
    let mut p = create("bptt").expect("bptt is registered");
    for ch in keys.chars() {
        // `G` is the key map's Bottom, as the app sends it to a focused panel.
        p.handle(if ch == 'G' {
            PanelKey::Bottom
        } else {
            PanelKey::Char(ch)
        });
    }
    p
}

/// Opens at the first backward step of the recursion: four checkpoints and
/// the recomputed h_16 held, peak 5.
#[test]
fn default_80x24() {
    let text = draw(&*panel_after(""), 80, 24);
    assert!(text.contains("forward h15→h16"), "{text}");
    assert!(text.contains("memory now 5 · peak 5"), "{text}");
    assert!(text.contains("grad check: max rel err"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn default_160x48() {
    insta::assert_snapshot!(draw(&*panel_after(""), 160, 48));
}

/// The width the frame gives the panel at 80x24.
#[test]
fn narrow_40x22() {
    insta::assert_snapshot!(draw(&*panel_after(""), 40, 22));
}

#[test]
fn recursive_positions_80x24() {
    insta::assert_snapshot!("rec_start", draw(&*panel_after("r"), 80, 24));
    insta::assert_snapshot!("rec_after_5", draw(&*panel_after("r     "), 80, 24));
    let end = draw(&*panel_after("G"), 80, 24);
    assert!(
        end.contains("done: grads vs baseline bit-identical"),
        "{end}"
    );
    assert!(end.contains("forward 30/30"), "{end}");
    insta::assert_snapshot!("rec_end", end);
}

/// Fixed schedule with M = 4 at T = 16, a few actions in: the sweep stores
/// two checkpoints.
#[test]
fn fixed_m4_160x48() {
    let text = draw(&*panel_after("c[[[[      "), 160, 48);
    assert!(text.contains("evenly spaced M=4"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn store_all_end_80x24() {
    let text = draw(&*panel_after("cccG"), 80, 24);
    assert!(text.contains("store-all"), "{text}");
    assert!(text.contains("forward 16/16"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn t64_wraps_at_40_columns() {
    let text = draw(&*panel_after("++++"), 40, 30);
    assert!(text.contains("T=64"), "{text}");
    insta::assert_snapshot!(text);
}

/// The panel as 5(b) opens it (its front matter's `panel_state`).
fn budget_panel() -> Box<dyn Panel> {
    let state = [("schedule", "optimal"), ("memory", "4")].map(|(k, v)| (k.into(), v.into()));
    create_in("bptt", &state).expect("bptt is registered")
}

/// 5(b)'s panel opens on the executed optimum at M = 4, with the chart of
/// forward steps against M; the panel width the 120x40 frame gives.
#[test]
fn budget_opens_on_the_optimum_44x38() {
    let text = draw(&*budget_panel(), 44, 38);
    assert!(text.contains("optimal M=4 (5b)"), "{text}");
    assert!(text.contains("fwd 16/30 (base 16)"), "{text}");
    assert!(text.contains("bit-identical"), "{text}");
    assert!(text.contains("against M, T=16"), "{text}");
    insta::assert_snapshot!(text);
}

/// The table compares schedules at equal memory: the recursion with the
/// optimum at its own 1+⌈log₂T⌉ slots, never with the optimum at a
/// smaller constant M.
#[test]
fn table_compares_at_equal_memory() {
    let text = draw(&*budget_panel(), 60, 60);
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("recursive") && l.contains("optimal"))
        .expect("log-memory header");
    assert!(lines[header].contains(" M "), "{}", lines[header]);
    // Row T = 16: M = 5, recursive 30/16, optimal at 5 slots 27/16.
    assert!(lines[header + 1].contains("5") && lines[header + 1].contains("×1.88"));
    assert!(lines[header + 1].contains("×1.69"), "{}", lines[header + 1]);
    assert!(text.contains("constant memory: M = 4 slots"), "{text}");
    assert!(!text.contains("optimal M=8"), "{text}");
}

#[test]
fn budget_scrolls_at_small_heights() {
    let mut p = budget_panel();
    let top = draw(&*p, 44, 12);
    p.handle(PanelKey::Down);
    p.handle(PanelKey::Down);
    let down = draw(&*p, 44, 12);
    assert_ne!(top, down);
    assert!(down.contains("↑↓"), "{down}");
}

#[test]
fn full_height_fits_everything() {
    let p = panel_after("");
    let h = p.full_height(80);
    let text = draw(&*p, 80, h);
    assert!(text.contains("1,000,000"), "{text}");
    assert!(text.contains("␣/l step"), "{text}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(
        w in 0u16..=200,
        h in 0u16..=70,
        keys in "[ lhareos+\\-\\[\\]]{0,8}",
        budget: bool,
    ) {
        let mut p = if budget { budget_panel() } else { panel_after("") };
        for ch in keys.chars() {
            p.handle(PanelKey::Char(ch));
        }
        p.handle(PanelKey::Down);
        draw(&*p, w, h);
    }
}
