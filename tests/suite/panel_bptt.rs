//! The bptt panel drawn alone into a buffer: snapshots at the two reference
//! sizes at several trace positions and schedules, and no panic at any size.

use nnbook::panels::{Panel, PanelKey, create};
use proptest::prelude::*;

use crate::common;
use common::mask_float_noise;

fn draw(panel: &dyn Panel, w: u16, h: u16) -> String {
    mask_float_noise(&common::draw_panel(panel, w, h))
}

fn panel_after(keys: &str) -> Box<dyn Panel> {
    let mut p = create("bptt").expect("bptt is registered");
    for ch in keys.chars() {
        p.handle(PanelKey::Char(ch));
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
    let end = draw(&*panel_after("e"), 80, 24);
    assert!(
        end.contains("done: grads vs baseline bit-identical"),
        "{end}"
    );
    assert!(end.contains("forward 48/48"), "{end}");
    insta::assert_snapshot!("rec_end", end);
}

/// Fixed schedule with M = 4 at T = 16, a few actions in: the sweep stores
/// two checkpoints.
#[test]
fn fixed_m4_160x48() {
    let text = draw(&*panel_after("s[[[[      "), 160, 48);
    assert!(text.contains("fixed M=4"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn store_all_end_80x24() {
    let text = draw(&*panel_after("sse"), 80, 24);
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
    fn never_panics(w in 0u16..=200, h in 0u16..=70, keys in "[ lhareos+\\-\\[\\]]{0,8}") {
        let p = panel_after(&keys);
        draw(&*p, w, h);
    }
}
