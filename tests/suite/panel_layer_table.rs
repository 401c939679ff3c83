//! The layer-table panel drawn alone into a buffer: snapshots at the two
//! reference sizes and several states, and no panic at any size.

use nnbook::panels::{Panel, PanelKey, create};
use proptest::prelude::*;

use crate::common;
use common::draw_panel as draw;

fn panel_after(keys: &str) -> Box<dyn Panel> {
    let mut p = create("layer-table").expect("layer-table is registered");
    for ch in keys.chars() {
        p.handle(PanelKey::Char(ch));
    }
    p
}

#[test]
fn default_80x24() {
    insta::assert_snapshot!(draw(&*panel_after(""), 80, 24));
}

#[test]
fn default_160x48() {
    insta::assert_snapshot!(draw(&*panel_after(""), 160, 48));
}

/// The stacked layout at the narrow width the frame gives at 80x24.
#[test]
fn narrow_40x22() {
    insta::assert_snapshot!(draw(&*panel_after(""), 40, 22));
}

/// Layer 16 (Conv F=96): RF 46 but the corner sees only part of the input.
#[test]
fn conv96_corner_and_centre_80x24() {
    insta::assert_snapshot!("conv96_corner", draw(&*panel_after("kk"), 80, 24));
    insta::assert_snapshot!("conv96_centre", draw(&*panel_after("kko"), 80, 24));
}

#[test]
fn macs_and_3x3_replacement_160x48() {
    insta::assert_snapshot!(draw(&*panel_after("fcc"), 160, 48));
}

/// 224x224 input: the map is downsampled and says so.
#[test]
fn input_224_80x24() {
    let text = draw(&*panel_after("iikkkkkk"), 80, 24);
    assert!(text.contains("224x224x3"), "{text}");
    assert!(text.contains("1 cell"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn full_height_fits_everything() {
    let p = panel_after("");
    let h = p.full_height(80);
    let text = draw(&*p, 80, h);
    // Every row of the table and the total are visible.
    assert!(text.contains("Input") && text.contains("Total"), "{text}");
    assert!(text.contains("1x1x128"), "{text}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(w in 0u16..=200, h in 0u16..=70, keys in "[jkcrio]{0,12}") {
        let p = panel_after(&keys);
        draw(&*p, w, h);
    }
}
