//! Styles that carry meaning, which text snapshots cannot see: the current part
//! in the contents, the focused pane's border, and the "not yet written" banner.

use nnbook::app::{Action, App};
use nnbook::content::Source;
use nnbook::ui::frame::draw_buffer;
use nnbook::ui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn drawn(app: &App) -> Buffer {
    let mut buf = Buffer::empty(app.area);
    draw_buffer(app, app.area, &mut buf);
    buf
}

fn row_text(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

#[test]
fn current_part_is_highlighted_in_the_contents() {
    let theme = Theme::default();
    let mut app = App::load(&Source::Embedded, Rect::new(0, 0, 160, 48));
    app.update(Action::NextEntry);
    let buf = drawn(&app);
    // Row 2 (inside the border) is the second entry: part 1a.
    assert!(
        row_text(&buf, 2).contains("(a) Complete"),
        "{}",
        row_text(&buf, 2)
    );
    let highlighted = theme.current.patch(theme.selected);
    assert_eq!(buf[(3, 2)].style().add_modifier, highlighted.add_modifier);
    assert_eq!(buf[(3, 2)].fg, highlighted.fg.unwrap_or_default());
    assert_ne!(
        buf[(3, 3)].style().add_modifier,
        highlighted.add_modifier,
        "other rows are not"
    );
}

#[test]
fn focused_pane_border_is_coloured() {
    let theme = Theme::default();
    let mut app = App::load(&Source::Embedded, Rect::new(0, 0, 160, 48));
    let doc = app.rects().doc.unwrap();
    let toc = app.rects().toc.unwrap();
    let buf = drawn(&app);
    assert_eq!(buf[(doc.x, doc.y)].fg, theme.border_focused.fg.unwrap());
    assert_ne!(buf[(toc.x, toc.y)].fg, theme.border_focused.fg.unwrap());
    app.update(Action::FocusPrev);
    let buf = drawn(&app);
    assert_eq!(buf[(toc.x, toc.y)].fg, theme.border_focused.fg.unwrap());
}

#[test]
fn not_written_banner_has_its_own_style() {
    let theme = Theme::default();
    let good = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
    let mut app = App::load(&Source::Dir(good), Rect::new(0, 0, 160, 48));
    let entry = app
        .notebook
        .find_entry("1b")
        .expect("fixture part without a solution");
    app.open(entry);
    let buf = drawn(&app);
    let (x, y) = (0..buf.area.height)
        .find_map(|y| {
            row_text(&buf, y)
                .find("Solution: not yet written")
                .map(|i| (row_text(&buf, y)[..i].chars().count() as u16, y))
        })
        .expect("banner on screen");
    assert_eq!(buf[(x, y)].fg, theme.not_written.fg.unwrap());
}

/// The help overlay fits 80x24 with its closing line inside the box, and
/// scrolls to its last key.
#[test]
fn help_overlay_scrolls_and_closes_inside_its_box_at_80x24() {
    use nnbook::headless::render_frame;
    for size in [(80u16, 24u16), (120, 40), (200, 60), (40, 12)] {
        let mut app = crate::common::embedded_app(Rect::new(0, 0, size.0, size.1));
        let entry = app.notebook.find_entry("6b").unwrap();
        let effect = app.open(entry);
        app.run_inline(effect);
        app.update(Action::ToggleHelp);
        let frame = render_frame(&app, false);
        let box_lines: Vec<&str> = frame.lines().filter(|l| l.contains('│')).collect();
        assert!(
            frame.contains("closes this help"),
            "{size:?}: closing line shown\n{frame}"
        );
        let closing = frame
            .lines()
            .find(|l| l.contains("closes this help"))
            .unwrap();
        assert!(closing.contains('│'), "{size:?}: inside the box: {closing}");
        assert!(!box_lines.is_empty());
        let last_key = app.help_rows().last().unwrap().0.unwrap().to_string();
        if !frame.contains(&last_key) {
            app.update(Action::Bottom);
            let scrolled = render_frame(&app, false);
            assert!(
                scrolled.contains(&last_key),
                "{size:?}: reaches the end\n{scrolled}"
            );
        }
        app.update(Action::CloseOverlay);
        assert!(app.overlay.is_none());
    }
}
