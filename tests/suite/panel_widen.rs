//! The widen panel drawn alone into a buffer: snapshots at the two reference
//! sizes, the narrow width and each strategy, what the lines say, and no panic
//! at any size.

use nnbook::panels::{Panel, PanelContext, PanelEffect, PanelKey, create_ready};
use nnbook::ui::theme::Theme;
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::common;
use common::draw_panel as draw;

/// Gradient-check errors are rounding noise whose digits depend on the
/// platform's libm: mask them (the bounds are tested in p3_content.rs).
fn masked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("rel err ") {
        let (head, tail) = rest.split_at(i + "rel err ".len());
        out.push_str(head);
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | '-' | '+')))
            .unwrap_or(tail.len());
        out.push_str(&"#".repeat(end));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn panel_after(keys: &str) -> Box<dyn Panel> {
    let mut p = create_ready("widen", &[]).expect("widen is registered");
    for ch in keys.chars() {
        press(&mut *p, PanelKey::Char(ch));
    }
    p
}

/// Handle a key as the app does, running any job inline.
fn press(p: &mut dyn Panel, key: PanelKey) {
    if let PanelEffect::Run(job) = p.handle(key) {
        p.job_finished(job.run_inline());
    }
}

#[test]
fn default_80x24() {
    insta::assert_snapshot!(masked(&draw(&*panel_after(""), 80, 24)));
}

#[test]
fn default_160x48() {
    insta::assert_snapshot!(masked(&draw(&*panel_after(""), 160, 48)));
}

/// The width the frame gives the panel when the screen is 80 columns and
/// the panel is stacked or toggled.
#[test]
fn narrow_40x22() {
    insta::assert_snapshot!(masked(&draw(&*panel_after(""), 40, 22)));
}

/// `c` from the default (random in, zero out) visits zero-in-random-out,
/// Net2Net, then the midterm's all-zero strategy.
#[test]
fn every_strategy_80x24() {
    insta::assert_snapshot!(
        "zero_in_random_out",
        masked(&draw(&*panel_after("c"), 80, 24))
    );
    insta::assert_snapshot!("net2net", masked(&draw(&*panel_after("cc"), 80, 24)));
    insta::assert_snapshot!("all_zero", masked(&draw(&*panel_after("ccc"), 80, 24)));
}

#[test]
fn zero_strategy_says_the_new_units_never_train() {
    let text = draw(&*panel_after("ccc"), 80, 24);
    assert!(text.contains("all new blocks zero"), "{text}");
    assert!(text.contains("✓ function preserved"), "{text}");
    assert!(text.contains("never trains"), "{text}");
    // The gradient grid has no filled dot outside the old blocks: row 2 of
    // the grid (new units' rows) is all dots.
    assert!(text.contains("grad check: max rel err"), "{text}");
}

#[test]
fn zero_in_random_out_depends_on_relu_prime_at_zero() {
    let dead = draw(&*panel_after("c"), 80, 24);
    assert!(dead.contains("never trains"), "{dead}");
    assert!(
        dead.contains("grad check: n/a") && dead.contains("kink"),
        "the check is flagged, not failed: {dead}"
    );
    let alive = draw(&*panel_after("cz"), 80, 24);
    assert!(alive.contains("ReLU'(0)=1"), "{alive}");
    assert!(alive.contains("from the start"), "{alive}");
    let default = draw(&*panel_after(""), 80, 24);
    assert!(default.contains("after 1 SGD step"), "{default}");
}

#[test]
fn selection_moves_and_full_height_fits() {
    let mut p = create_ready("widen", &[]).unwrap();
    press(&mut *p, PanelKey::Down);
    let text = draw(&*p, 80, 24);
    assert!(text.contains("▸ W(2)"), "{text}");
    for w in [40, 80, 160] {
        let h = p.full_height(w);
        let text = draw(&*p, w, h);
        assert!(text.contains("new→new"), "{w}: {text}");
        assert!(text.contains("j/k"), "{w}: {text}");
    }
}

proptest! {
    // Each key press recomputes an experiment (finite differences included),
    // so the cases are few and the key strings short.
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(w in 0u16..=200, h in 0u16..=70, keys in "[jkstz]{0,3}") {
        let p = panel_after(&keys);
        draw(&*p, w, h);
        draw(&*p, h, w);
    }
}

/// While a job runs the panel keeps the last result and says it is computing.
#[test]
fn running_job_is_shown() {
    let mut p = create_ready("widen", &[]).unwrap();
    let PanelEffect::Run(job) = p.handle(PanelKey::Char('c')) else {
        panic!("c starts a job");
    };
    let area = Rect::new(0, 0, 80, 24);
    let mut buf = Buffer::empty(area);
    let theme = Theme::default();
    let progress = nnbook::compute::Progress {
        done: 2,
        total: 10,
        label: "grad check".into(),
    };
    let ctx = PanelContext {
        theme: &theme,
        focused: true,
        job: Some(&progress),
        math: Default::default(),
    };
    p.render(area, &mut buf, &ctx);
    let first: String = (0..80).map(|x| buf[(x, 0)].symbol().to_string()).collect();
    assert!(
        first.contains("computing zero in, random out (2/10)"),
        "{first}"
    );
    let stale = draw(&*p, 80, 24);
    assert!(stale.starts_with("stale"), "{stale}");
    p.job_finished(job.run_inline());
    let done = draw(&*p, 80, 24);
    assert!(done.starts_with("zero in, random out"), "{done}");
}
