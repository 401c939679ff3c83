//! Every entry of the built-in notebook drawn at 80x24, 120x40, 160x48 and
//! 200x60 (the sizes students use) through the same path as `nnbook render`,
//! compared with committed insta snapshots. Each frame is the part as it
//! opens: the panel in the state the part declares.
//! Snapshots carry no colour; tests/frame_styles.rs checks the styles that
//! carry meaning.

use nnbook::app::App;
use nnbook::content::Source;
use nnbook::headless::render_frame;
use nnbook::layout::Pane;
use ratatui::layout::Rect;

use crate::common;
use common::mask_float_noise;

fn frame(entry: usize, width: u16, height: u16, focus: Pane) -> (String, String) {
    let mut app = common::embedded_app(Rect::new(0, 0, width, height));
    let id = app.notebook.entry_id(app.notebook.entries[entry]);
    app.focus = focus;
    let effect = app.open(entry);
    app.run_inline(effect);
    (id, mask_float_noise(&render_frame(&app, false)))
}

fn entry_count() -> usize {
    App::load(&Source::Embedded, Rect::new(0, 0, 80, 24))
        .notebook
        .entries
        .len()
}

#[test]
fn every_entry_at_80x24() {
    for entry in 0..entry_count() {
        let (id, text) = frame(entry, 80, 24, Pane::Doc);
        insta::assert_snapshot!(format!("frame_80x24_{id}"), text);
    }
}

#[test]
fn every_entry_at_120x40() {
    for entry in 0..entry_count() {
        let (id, text) = frame(entry, 120, 40, Pane::Doc);
        insta::assert_snapshot!(format!("frame_120x40_{id}"), text);
    }
}

#[test]
fn every_entry_at_200x60() {
    for entry in 0..entry_count() {
        let (id, text) = frame(entry, 200, 60, Pane::Doc);
        insta::assert_snapshot!(format!("frame_200x60_{id}"), text);
    }
}

#[test]
fn every_entry_at_160x48() {
    for entry in 0..entry_count() {
        let (id, text) = frame(entry, 160, 48, Pane::Doc);
        insta::assert_snapshot!(format!("frame_160x48_{id}"), text);
    }
}

#[test]
fn live_panels_at_80x24_with_panel_focus() {
    let app = App::load(&Source::Embedded, Rect::new(0, 0, 80, 24));
    for entry in 0..app.notebook.entries.len() {
        let has_panel = app
            .notebook
            .part(app.notebook.entries[entry])
            .is_some_and(|p| p.panel.is_some());
        if has_panel {
            let (id, text) = frame(entry, 80, 24, Pane::Panel);
            insta::assert_snapshot!(format!("panel_80x24_{id}"), text);
        }
    }
}
