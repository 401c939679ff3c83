//! Each part's panel opens in the state its front matter declares, keeps its
//! own state while the reader moves around, and `R` puts it back.

use crate::common;
use nnbook::app::Action;
use nnbook::content::Source;
use nnbook::panels::{self, PanelKey};
use ratatui::layout::Rect;

#[test]
fn every_part_opens_its_panel_in_the_declared_state() {
    let mut app = common::embedded_app(Rect::new(0, 0, 160, 48));
    let mut declared = 0;
    for entry in 0..app.notebook.entries.len() {
        let effect = app.open(entry);
        app.run_inline(effect);
        let Some(part) = app.notebook.part(app.notebook.entries[entry]).cloned() else {
            continue;
        };
        let Some(kind) = &part.panel else { continue };
        let panel = app.current_panel().expect("a part with a panel has one");
        for (key, value) in &part.panel_state {
            declared += 1;
            assert_eq!(
                panel.state_value(key).as_deref(),
                Some(value.as_str()),
                "{}: {kind} {key}",
                part.id
            );
        }
    }
    assert!(
        declared >= 7,
        "the shipped parts declare their cases ({declared})"
    );
}

#[test]
fn parts_keep_their_own_panel_state_and_reset_restores_it() {
    let mut app = common::embedded_app(Rect::new(0, 0, 160, 48));
    let b6 = app.notebook.find_entry("6b").expect("6b");
    let c6 = app.notebook.find_entry("6c").expect("6c");
    let effect = app.open(b6);
    app.run_inline(effect);
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    for _ in 0..3 {
        app.update(Action::Panel(PanelKey::Char('l')));
    }
    let stepped = app.current_panel().map(|p| p.title());
    let effect = app.open(c6);
    app.run_inline(effect);
    assert_eq!(
        app.current_panel()
            .and_then(|p| p.state_value("mode"))
            .as_deref(),
        Some("receptive-field"),
        "6c has its own panel"
    );
    let effect = app.open(b6);
    app.run_inline(effect);
    assert_eq!(app.current_panel().map(|p| p.title()), stepped);
    let render = |app: &nnbook::app::App| nnbook::headless::render_frame(app, false);
    let before_reset = render(&app);
    let effect = app.update(Action::ResetPanel);
    app.run_inline(effect);
    let after_reset = render(&app);
    assert_ne!(before_reset, after_reset, "the three steps are undone");
    let mut fresh = common::embedded_app(Rect::new(0, 0, 160, 48));
    let effect = fresh.open(b6);
    fresh.run_inline(effect);
    fresh.update(Action::FocusNext);
    fresh.update(Action::FocusNext);
    // The status line carries the reset message; compare the panes above it.
    let panes = |s: &str| s.lines().take(47).collect::<Vec<_>>().join("\n");
    assert_eq!(panes(&after_reset), panes(&render(&fresh)));
}

#[test]
fn unknown_state_keys_and_values_are_content_errors_with_a_line() {
    assert!(panels::check_state("rnn2d", "mode", "backward").is_ok());
    let e = panels::check_state("rnn2d", "mode", "backwards").unwrap_err();
    assert!(e.contains("did you mean `backward`"), "{e}");
    let e = panels::check_state("rnn2d", "mdoe", "backward").unwrap_err();
    assert!(e.contains("did you mean `mode`"), "{e}");
    let e = panels::check_state("layer-table", "row", "99").unwrap_err();
    assert!(e.contains("0 to 64"), "{e}");

    let dir = std::env::temp_dir().join(format!("nnbook-panel-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("p.md"),
        "+++\nproblem = 1\ntitle = \"T\"\npoints = 1\n[[parts]]\nid = \"1a\"\ntitle = \"A\"\npoints = 1\npanel = \"rnn2d\"\npanel_state = { mode = \"sideways\" }\n+++\n## A {#1a}\n\n### Solution\n\nText.\n",
    )
    .unwrap();
    let err = nnbook::app::load_notebook(&Source::Dir(dir.clone())).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    let text = err.to_string();
    assert!(text.contains("p.md:10"), "{text}");
    assert!(text.contains("sideways"), "{text}");
}

#[test]
fn the_full_layer_never_shows_the_running_gradient() {
    // In Problem 4's panel the layer follows from the backward pass chosen:
    // f and b can be pressed in any order and the title and gradient agree.
    let mut p = panels::create("seqnorm").expect("seqnorm");
    for keys in ["f", "fb", "bf", "bbf", "fbb", "bbb"] {
        for c in keys.chars() {
            p.handle(PanelKey::Char(c));
        }
        let view = p.state_value("view").expect("view");
        let title = p.title();
        assert_eq!(
            view == "full",
            title.contains("full (4a)"),
            "{keys}: view {view}, title {title}"
        );
    }
}

/// 6(b) opens in the middle of the backward trace, where B is done and the
/// gradient has started into A, so the panel shows the point without a key.
#[test]
fn the_backward_part_opens_mid_trace() {
    let nb = crate::common::embedded_notebook();
    let entry = nb.find_entry("6b").unwrap();
    let part = nb.part(nb.entries[entry]).unwrap();
    let p = nnbook::panels::create_in("rnn2d", &part.panel_state).unwrap();
    assert_eq!(p.state_value("mode").as_deref(), Some("backward"));
    let step: usize = p.state_value("step").unwrap().parse().unwrap();
    assert!(step > 0, "not at the start of the trace");
}
