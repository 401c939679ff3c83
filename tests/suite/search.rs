//! Search: the matcher end to end through `nnbook search`, and the prompt in
//! the app (no key runs a command while it is open; Enter, n/N, Esc).

use nnbook::app::Action;
use nnbook::app::action::{KeyContext, from_key};
use nnbook::layout::Pane;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use crate::common;

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn nnbook_search_prints_part_line_text_and_exits_1_on_nothing() {
    let out = common::nnbook(&["search", "Welford"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().all(|l| l.starts_with("4b:")),
        "Welford is only in 4(b): {text}"
    );
    // Smart case: a capital makes it exact.
    let lower = common::nnbook(&["search", "welford"]);
    assert_eq!(lower.stdout, out.stdout);
    let none = common::nnbook(&["search", "wELFORD"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(none.stdout.is_empty() && none.stderr.is_empty());
    // Rendered math is searchable, and so is its LaTeX.
    let greek = common::nnbook(&["search", "σ²"]);
    let latex = common::nnbook(&["search", "\\sigma^2"]);
    assert!(greek.status.success() && latex.status.success());
}

#[test]
fn the_prompt_takes_every_key_until_enter_or_esc() {
    let ctx = KeyContext {
        focus: Pane::Doc,
        overlay_open: false,
        prompt_open: true,
        searching: false,
        link_mode: false,
        outline: false,
    };
    for c in ['q', 'n', 's', '/', 'R'] {
        assert!(
            matches!(from_key(key(c), ctx), Some(Action::SearchEdit(_))),
            "{c} edits the query"
        );
    }
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        from_key(ctrl_c, ctx),
        Some(Action::Quit),
        "Ctrl-C still quits"
    );
}

#[test]
fn typing_jumps_to_hits_and_esc_returns() {
    let mut app = common::embedded_app(Rect::new(0, 0, 120, 40));
    app.update(Action::Search);
    for c in "sequence".chars() {
        let effect = app.update(Action::SearchEdit(key(c)));
        app.run_inline(effect);
    }
    assert!(app.overlay.is_none());
    assert!(!app.search.hits.is_empty());
    let status = app.search_status().expect("a hit is shown");
    assert!(status.starts_with("match 1 of "), "{status}");
    let first = app.entry;
    app.update(Action::SearchEdit(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    assert!(
        app.search.prompt.is_none(),
        "Enter closes the prompt, keeps the hits"
    );
    let effect = app.update(Action::SearchNext(true));
    app.run_inline(effect);
    assert!(app.search_status().unwrap().starts_with("match 2 of "));
    let effect = app.update(Action::SearchNext(false));
    app.run_inline(effect);
    assert_eq!(app.entry, first);
    // A new search, cancelled: back where it started.
    let effect = app.open(3);
    app.run_inline(effect);
    app.update(Action::Search);
    for c in "revolve".chars() {
        let effect = app.update(Action::SearchEdit(key(c)));
        app.run_inline(effect);
    }
    assert_ne!(app.entry, 3);
    let effect = app.update(Action::SearchEdit(KeyEvent::new(
        KeyCode::Esc,
        KeyModifiers::NONE,
    )));
    app.run_inline(effect);
    assert_eq!((app.entry, app.doc_scroll), (3, 0));
    assert!(app.search.hits.is_empty());
}

/// The prompt as a student sees it while typing: the query with its count on
/// the status line, the view moved to the first hit, and every occurrence on
/// screen drawn in the selection style.
#[test]
fn prompt_and_hits_snapshots() {
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut app = common::embedded_app(Rect::new(0, 0, w, h));
        app.update(Action::Search);
        for c in "welford".chars() {
            let effect = app.update(Action::SearchEdit(key(c)));
            app.run_inline(effect);
        }
        let area = Rect::new(0, 0, w, h);
        let mut buf = ratatui::buffer::Buffer::empty(area);
        nnbook::ui::frame::draw_buffer(&app, area, &mut buf);
        let doc = app.rects().doc.expect("the derivation is shown");
        let selected = app.theme.selected;
        assert!(
            !selected.add_modifier.is_empty(),
            "hits are marked by an attribute"
        );
        let marked: Vec<String> = (doc.y..doc.bottom())
            .map(|y| {
                (doc.x..doc.right())
                    .filter(|&x| buf[(x, y)].modifier.contains(selected.add_modifier))
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .filter(|s| !s.trim().is_empty())
            .collect();
        assert!(
            marked.iter().any(|s| s.to_lowercase().contains("welford")),
            "{w}x{h}: the hit is highlighted in place: {marked:?}"
        );
        let text = common::mask_float_noise(&nnbook::headless::render_frame(&app, false));
        insta::assert_snapshot!(format!("prompt_{w}x{h}"), text);
    }
}
