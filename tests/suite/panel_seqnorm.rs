//! The seqnorm panel drawn alone into a buffer: snapshots at the two
//! reference sizes and several states, what the views claim, and no panic at
//! any size.

use nnbook::panels::{Panel, PanelEffect, PanelKey, create};
use proptest::prelude::*;

use crate::common;
use common::draw_panel as draw;

fn key(ch: char) -> PanelKey {
    PanelKey::Char(ch)
}

fn panel_after(keys: &str) -> Box<dyn Panel> {
    let mut p = create("seqnorm").expect("seqnorm is registered");
    for ch in keys.chars() {
        p.handle(key(ch));
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

/// The width the frame gives the panel at 80x24.
#[test]
fn narrow_40x22() {
    let text = draw(&*panel_after(""), 40, 22);
    assert!(text.contains("grad check exact"), "{text}");
    assert!(text.contains("✓"), "{text}");
    insta::assert_snapshot!(text);
}

/// Full forward, stop-gradient backward, perturbing step 2: the stop-gradient
/// check fails (it is not the gradient) and the full layer's y_1 moves.
#[test]
fn full_stop_grad_step2_80x24() {
    let text = draw(&*panel_after("f<<<"), 80, 24);
    assert!(text.contains("full (4a)"), "{text}");
    assert!(text.contains("✗"), "{text}");
    assert!(text.contains("h_2 += 1"), "{text}");
    assert!(text.contains("y_1..1 moved ✗"), "{text}");
    assert!(text.contains("y_1..1 same ✓"), "{text}");
    insta::assert_snapshot!(text);
}

/// Cumulative rate (α_t = 1/t), another seed.
#[test]
fn cumulative_seed2_160x48() {
    let text = draw(&*panel_after("]]]]s"), 160, 48);
    assert!(text.contains("cumulative"), "{text}");
    assert!(text.contains("seed 2"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn keys_are_handled_or_ignored() {
    let mut p = panel_after("");
    for c in ['f', 'b', 'h', 'l', '[', ']', 's'] {
        assert!(!matches!(p.handle(key(c)), PanelEffect::Ignored), "{c}");
    }
    assert!(matches!(
        p.handle(PanelKey::Char('z')),
        PanelEffect::Ignored
    ));
    assert!(matches!(p.handle(PanelKey::Enter), PanelEffect::Ignored));
}

#[test]
fn full_height_fits_everything() {
    let p = panel_after("");
    let h = p.full_height(80);
    let text = draw(&*p, 80, h);
    assert!(text.contains("running") && text.contains("▸5"), "{text}");
    assert!(text.lines().any(|l| l.starts_with(" 8")), "{text}");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(4),
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_panics(w in 0u16..=200, h in 0u16..=70, keys in "[fbhls<>\\[\\]]{0,14}") {
        let p = panel_after(&keys);
        draw(&*p, w, h);
    }
}
