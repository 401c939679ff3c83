//! Studying without a mouse: the outline (`o`), link mode (`f`, Enter) with
//! back / forward history, exam mode (`x`, `.`, `X`) and the copy key (`y`),
//! each as key → action → state through the pure key map, and as whole
//! frames (insta) at 80x24 and 120x40.

use std::path::{Path, PathBuf};

use nnbook::app::action::from_key;
use nnbook::app::{Action, App, Effect};
use nnbook::content::Source;
use nnbook::content::markdown::Block;
use nnbook::headless::render_frame;
use nnbook::layout::Pane;
use nnbook::panels::PanelKey;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use crate::common;
use common::mask_float_noise;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

/// Map the key as the event loop does and apply it (jobs run inline).
fn press(app: &mut App, k: KeyEvent) -> Option<Effect> {
    let action = from_key(k, app.key_context())?;
    match app.update(action) {
        Effect::Copy(text) => Some(Effect::Copy(text)),
        effect => {
            app.run_inline(effect);
            None
        }
    }
}

fn opened(id: &str, w: u16, h: u16) -> App {
    let mut app = common::embedded_app(Rect::new(0, 0, w, h));
    let entry = app.notebook.find_entry(id).expect("entry exists");
    let effect = app.open(entry);
    app.run_inline(effect);
    app
}

fn id(app: &App) -> String {
    app.notebook.entry_id(app.current().unwrap())
}

fn frame(app: &App) -> String {
    mask_float_noise(&render_frame(app, false))
}

/// A content folder with one problem of two parts, written for one test.
fn fixture(name: &str, part_a: &str, part_b: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nnbook-nav-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = format!(
        "+++\nproblem = 1\ntitle = \"T\"\npoints = 2\n[[parts]]\nid = \"1a\"\ntitle = \"A\"\npoints = 1\n\
         [[parts]]\nid = \"1b\"\ntitle = \"B\"\npoints = 1\n+++\n# Problem 1\n\nStatement.\n\n\
         ## (a) First {{#1a}}\n\n> (a) question a\n\n### Solution\n\n{part_a}\n\n\
         ## (b) Second {{#1b}}\n\n> (b) question b\n\n### Solution\n\n{part_b}\n"
    );
    std::fs::write(dir.join("p.md"), file).unwrap();
    dir
}

fn fixture_app(dir: &Path, id: &str, w: u16, h: u16) -> App {
    let mut app = App::load(&Source::Dir(dir.to_path_buf()), Rect::new(0, 0, w, h));
    assert!(app.errors.is_none(), "{:?}", app.errors);
    let entry = app.notebook.find_entry(id).unwrap();
    let effect = app.open(entry);
    app.run_inline(effect);
    app
}

#[test]
fn the_keys_map_to_their_actions_and_a_focused_panel_keeps_its_letters() {
    let app = opened("4b", 120, 40);
    let doc = app.key_context();
    assert_eq!(from_key(ch('o'), doc), Some(Action::ToggleOutline));
    assert_eq!(from_key(ch('f'), doc), Some(Action::LinkMode));
    assert_eq!(from_key(ch('x'), doc), Some(Action::ToggleExam));
    assert_eq!(from_key(ch('.'), doc), Some(Action::Reveal { all: false }));
    assert_eq!(from_key(ch('X'), doc), Some(Action::Reveal { all: true }));
    assert_eq!(from_key(ch('y'), doc), Some(Action::Copy));
    assert_eq!(from_key(ch('L'), doc), Some(Action::Forward));
    assert_eq!(from_key(key(KeyCode::Backspace), doc), Some(Action::Back));
    assert_eq!(
        from_key(
            KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL),
            doc
        ),
        Some(Action::Back)
    );
    let panel = nnbook::app::action::KeyContext {
        focus: Pane::Panel,
        ..doc
    };
    for c in ['f', 'o', 'x'] {
        assert_eq!(
            from_key(ch(c), panel),
            Some(Action::Panel(PanelKey::Char(c))),
            "the panel's own `{c}`"
        );
    }
    let links = nnbook::app::action::KeyContext {
        link_mode: true,
        ..doc
    };
    assert_eq!(
        from_key(key(KeyCode::Tab), links),
        Some(Action::LinkStep(true))
    );
    assert_eq!(
        from_key(key(KeyCode::BackTab), links),
        Some(Action::LinkStep(false))
    );
    assert_eq!(from_key(ch('k'), links), Some(Action::LinkStep(false)));
    assert_eq!(
        from_key(key(KeyCode::Enter), links),
        Some(Action::FollowLink)
    );
    assert_eq!(from_key(key(KeyCode::Esc), links), Some(Action::LinkMode));
    assert_eq!(
        from_key(ch('n'), links),
        Some(Action::NextEntry),
        "others still work"
    );
}

#[test]
fn following_a_link_and_coming_back_restores_part_and_scroll() {
    let mut app = opened("4c", 120, 40);
    // Scroll to the paragraph that links to 4(a), so the link is on screen.
    let b = app
        .doc
        .links
        .iter()
        .find(|l| l.dest == "#4a")
        .and_then(|l| l.block)
        .expect("4c links to 4a");
    for _ in 0..app.doc.starts[b] {
        press(&mut app, ch('j'));
    }
    let before = (app.entry, app.doc_scroll);
    press(&mut app, ch('f'));
    let selected = app.link.expect("link mode selects a link on screen");
    let on_screen = app.doc.links[selected].cells[0].0;
    assert!((app.doc_scroll..app.doc_scroll + app.doc_height()).contains(&on_screen));
    while app.doc.links[app.link.unwrap()].dest != "#4a" {
        press(&mut app, key(KeyCode::Tab));
    }
    assert!(
        app.link_status().unwrap().contains("→ 4a"),
        "{:?}",
        app.link_status()
    );
    press(&mut app, key(KeyCode::Enter));
    assert_eq!(id(&app), "4a");
    assert_eq!(app.doc_scroll, 0);
    assert_eq!(app.link, None, "following leaves link mode");
    press(&mut app, key(KeyCode::Backspace));
    assert_eq!(
        (app.entry, app.doc_scroll),
        before,
        "back to the same place"
    );
    press(&mut app, ch('L'));
    assert_eq!(id(&app), "4a", "forward again");
    press(
        &mut app,
        KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL),
    );
    assert_eq!((app.entry, app.doc_scroll), before, "Ctrl-O is back too");
    press(&mut app, key(KeyCode::Backspace));
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .contains("nothing to go back to")
    );
}

#[test]
fn history_is_a_document_position_so_it_survives_a_resize() {
    let mut app = opened("3a", 160, 48);
    for _ in 0..20 {
        press(&mut app, ch('j'));
    }
    press(&mut app, ch('f'));
    let target = app.doc.links.iter().position(|l| l.dest == "#3b").unwrap();
    while app.link != Some(target) {
        press(&mut app, key(KeyCode::Tab));
    }
    // Where the link left from (link mode scrolled to it).
    let place = app.place();
    press(&mut app, key(KeyCode::Enter));
    assert_eq!(id(&app), "3b");
    app.update(Action::Resize {
        width: 100,
        height: 30,
    });
    press(&mut app, key(KeyCode::Backspace));
    assert_eq!(id(&app), "3a");
    let line = app.doc.starts[place.block] + place.offset;
    assert_eq!(app.doc_scroll, line, "laid out again at 100 columns");
    assert_eq!(app.place().block, place.block, "the same block at the top");
}

#[test]
fn external_links_are_shown_never_opened_and_anchors_name_headings() {
    let dir = fixture(
        "external",
        "See [the paper](https://arxiv.org/abs/1505.00393) and [why](#1b-why-zero).",
        "Text.\n\n#### Why zero\n\nBecause.",
    );
    let mut app = fixture_app(&dir, "1a", 120, 40);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(frame(&app).contains("the paper <https://arxiv.org/abs/1505.00393>"));
    press(&mut app, ch('f'));
    assert!(app.link_status().unwrap().contains("external"));
    press(&mut app, key(KeyCode::Enter));
    assert_eq!(id(&app), "1a", "nothing is opened");
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .contains("not opened: https://arxiv.org"),
        "{:?}",
        app.message
    );
    press(&mut app, key(KeyCode::Tab));
    press(&mut app, key(KeyCode::Enter));
    assert_eq!(id(&app), "1b");
    let Block::Heading { .. } = app.notebook.body(app.current().unwrap())[app.place().block] else {
        panic!("the heading anchor scrolls to its heading");
    };
}

#[test]
fn check_reports_a_link_to_a_missing_anchor_at_its_line() {
    let dir = fixture(
        "broken",
        "Fine: [b](#1b).\n\nBroken: see\n[part (c)](#1c).",
        "Text.",
    );
    let out = common::nnbook(&["check", "--content", dir.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // Line 27 of p.md: the second line of the paragraph, where the link is.
    assert!(
        err.contains("p.md:27: link to `#1c`, which is no part, problem or heading anchor"),
        "{err}"
    );
    assert!(err.contains("did you mean"), "{err}");
    assert!(!err.contains("#1b`"), "a good link is not reported: {err}");
}

#[test]
fn the_shipped_cross_references_are_links_that_resolve() {
    let nb = common::embedded_notebook();
    let mut found = Vec::new();
    for &e in &nb.entries {
        nnbook::content::links::links_in(nb.body(e), &mut found);
    }
    assert!(found.len() >= 15, "{found:?}");
    for (dest, _) in &found {
        assert!(nb.resolve(dest).is_some(), "{dest}");
    }
    // None of the "as in 4(a)" kind is left as plain text in the solutions.
    for file in ["p3-widen.md", "p4-seqnorm.md", "p5-bptt.md", "p6-rnn2d.md"] {
        let text = common::content_file(file);
        for (i, line) in text.lines().enumerate() {
            let plain = regex_free_refs(line);
            assert!(plain.is_empty(), "{file}:{}: unlinked {plain:?}", i + 1);
        }
    }
}

/// "4(b)" or "part (c)" in a line that is not a link's text, a heading or the question.
fn regex_free_refs(line: &str) -> Vec<String> {
    if line.starts_with('#') || line.starts_with("> (") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let b = line.as_bytes();
    for i in 0..b.len().saturating_sub(3) {
        let is_ref = b[i].is_ascii_digit()
            && b[i + 1] == b'('
            && b[i + 2].is_ascii_lowercase()
            && b[i + 3] == b')'
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        let linked = i > 0 && b[i - 1] == b'[';
        // "The 5(b) panel" names the part a reader is in.
        let own = b[i..].starts_with(b"5(b) panel");
        if is_ref && !linked && !own {
            out.push(String::from_utf8_lossy(&b[i..i + 4]).into_owned());
        }
    }
    out
}

#[test]
fn the_outline_lists_headings_and_the_answer_and_follows_the_reading() {
    let mut app = opened("4b", 120, 40);
    press(&mut app, ch('o'));
    assert!(app.outline.is_some());
    assert_eq!(app.focus, Pane::Toc);
    assert!(app.rects().toc.is_some(), "the left pane opens for it");
    let items = app.outline_items();
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles[..3],
        [
            "(b) Running estimates: forward and backward",
            "Solution",
            "Answer"
        ]
    );
    assert_eq!(app.outline_reading(), Some(0));
    press(&mut app, ch('j'));
    press(&mut app, ch('j'));
    press(&mut app, key(KeyCode::Enter));
    assert_eq!(app.focus, Pane::Doc);
    assert_eq!(app.doc_scroll, app.doc.starts[items[2].block]);
    assert_eq!(
        app.outline_reading(),
        Some(2),
        "the answer box is being read"
    );
    press(&mut app, ch('G'));
    assert!(app.outline_reading() >= Some(2), "follows the scroll");
    press(&mut app, key(KeyCode::Backspace));
    assert_eq!(app.doc_scroll, 0, "an outline jump is remembered");
    press(&mut app, ch('n'));
    assert_eq!(
        app.outline.map(|o| o.cursor),
        Some(0),
        "a new part, a new outline"
    );
    press(&mut app, ch('o'));
    assert!(app.outline.is_none());
}

#[test]
fn outline_frames() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = opened("2", w, h);
        press(&mut app, ch('o'));
        insta::assert_snapshot!(format!("outline_{w}x{h}_focused"), frame(&app));
        press(&mut app, ch('j'));
        press(&mut app, ch('j'));
        press(&mut app, ch('j'));
        press(&mut app, key(KeyCode::Enter));
        insta::assert_snapshot!(format!("outline_{w}x{h}_after_jump"), frame(&app));
    }
}

#[test]
fn link_mode_frames() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = opened("6e", w, h);
        press(&mut app, ch('f'));
        assert!(app.link.is_some());
        insta::assert_snapshot!(format!("link_mode_{w}x{h}"), frame(&app));
    }
}

#[test]
fn exam_mode_hides_the_solution_and_reveals_it_step_by_step() {
    let mut app = opened("6b", 120, 40);
    let panel_before = common::draw_panel(app.current_panel().unwrap(), 48, 30);
    let full = app.doc.lines.len();
    press(&mut app, ch('x'));
    let v = app.exam_view().expect("6b has a solution to hide");
    assert_eq!(v.shown, 0);
    assert!(v.cut < full && v.total > 3, "{v:?}");
    let text = frame(&app);
    assert!(text.contains("(b) Write pseudocode for the backward pass"));
    assert!(text.contains("Solution"));
    assert!(!text.contains("Answer"), "the answer box is hidden");
    assert!(text.contains("0 of"), "{text}");
    press(&mut app, ch('.'));
    assert_eq!(app.exam_view().unwrap().shown, 1);
    assert!(
        frame(&app).contains("Answer"),
        "the first step is the answer box"
    );
    let panel_after = common::draw_panel(app.current_panel().unwrap(), 48, 30);
    assert_ne!(
        panel_before, panel_after,
        "the trace stepped with the reveal"
    );
    press(&mut app, ch('X'));
    let v = app.exam_view().unwrap();
    assert_eq!((v.shown, v.cut), (v.total, full));
    press(&mut app, ch('.'));
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .contains("every step is shown")
    );
    press(&mut app, ch('p'));
    assert_eq!(app.exam_view().unwrap().shown, 0, "each part starts hidden");
    press(&mut app, ch('n'));
    assert_eq!(
        app.exam_view().unwrap().shown,
        app.exam_view().unwrap().total,
        "6b remembers"
    );
    press(&mut app, ch('x'));
    assert!(app.exam_view().is_none() && app.exam.is_none());
    assert_eq!(app.doc_shown_len(), full);
}

#[test]
fn exam_steps_are_blocks_list_items_or_the_explicit_markers() {
    let dir = fixture(
        "exam",
        "> [!answer]\n> Yes.\n\nFirst paragraph.\n\n- one\n- two\n\n$$x^2$$",
        "Setup.\n\nMore setup.\n\n<!-- step -->\n\nThe rest.\n\nAnd more.",
    );
    let mut app = fixture_app(&dir, "1a", 120, 40);
    let _ = std::fs::remove_dir_all(&dir);
    press(&mut app, ch('x'));
    // The answer box, the paragraph, two list items, the equation.
    assert_eq!(app.exam_view().unwrap().total, 5);
    for (n, shows) in [(1, "Yes."), (2, "First paragraph."), (3, "one"), (4, "two")] {
        press(&mut app, ch('.'));
        let text = frame(&app);
        assert!(text.contains(shows), "step {n}: {text}");
        if n == 3 {
            assert!(!text.contains("• two"), "one list item at a time: {text}");
        }
    }
    press(&mut app, ch('n'));
    // Markers: up to the marker, then the rest.
    assert_eq!(app.exam_view().unwrap().total, 2);
    press(&mut app, ch('.'));
    let text = frame(&app);
    assert!(
        text.contains("More setup.") && !text.contains("The rest."),
        "{text}"
    );
    press(&mut app, ch('.'));
    assert!(frame(&app).contains("And more."));
}

#[test]
fn exam_mode_frames() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = opened("3a", w, h);
        press(&mut app, ch('x'));
        insta::assert_snapshot!(format!("exam_{w}x{h}_hidden"), frame(&app));
        press(&mut app, ch('.'));
        press(&mut app, ch('.'));
        insta::assert_snapshot!(format!("exam_{w}x{h}_two_steps"), frame(&app));
        press(&mut app, ch('X'));
        insta::assert_snapshot!(format!("exam_{w}x{h}_all"), frame(&app));
    }
}

#[test]
fn y_copies_the_equation_on_screen_else_code_else_the_answer() {
    let dir = fixture(
        "copy",
        "> [!answer]\n> Row **18**, with $r = 46$.\n\nWords.\n\n```python\nprint(1)\n```\n\nMore.\n\n$$\\frac{a}{b}$$",
        "Nothing to copy but the answer.",
    );
    let mut app = fixture_app(&dir, "1a", 120, 40);
    let _ = std::fs::remove_dir_all(&dir);
    let Some(Effect::Copy(text)) = press(&mut app, ch('y')) else {
        panic!("y copies");
    };
    assert_eq!(text, "\\frac{a}{b}", "the display equation wins");
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .contains("copied equation LaTeX")
    );
    // Scrolled past the equation's lines: the code block is not visible
    // either at this height, so shrink the view to the code block only.
    let code_block = app
        .notebook
        .body(app.current().unwrap())
        .iter()
        .position(|b| matches!(b, Block::Code { .. }))
        .unwrap();
    app.update(Action::Resize {
        width: 120,
        height: 6,
    });
    app.doc_scroll = app.doc.starts[code_block];
    let Some(Effect::Copy(text)) = press(&mut app, ch('y')) else {
        panic!("y copies");
    };
    assert_eq!(text, "print(1)");
    press(&mut app, ch('n'));
    assert!(
        press(&mut app, ch('y')).is_none(),
        "no equation, code or answer box"
    );
    assert!(app.message.as_deref().unwrap().contains("nothing to copy"));
}

#[test]
fn y_falls_back_to_the_answer_box_and_never_copies_what_exam_mode_hides() {
    let mut app = opened("1b", 120, 40);
    let Some(Effect::Copy(text)) = press(&mut app, ch('y')) else {
        panic!("1b's answer box is copied");
    };
    assert!(
        text.starts_with("Row 18, the Pool after Conv F=96"),
        "{text}"
    );
    press(&mut app, ch('x'));
    assert!(press(&mut app, ch('y')).is_none(), "hidden in exam mode");
    assert!(app.message.as_deref().unwrap().contains("nothing to copy"));
}

#[test]
fn the_selected_link_is_drawn_reversed_where_the_layout_placed_it() {
    let mut app = opened("6e", 120, 40);
    press(&mut app, ch('f'));
    let link = &app.doc.links[app.link.unwrap()];
    let (line, col, width) = link.cells[0];
    let area = Rect::new(0, 0, 120, 40);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    nnbook::ui::frame::draw_buffer(&app, area, &mut buf);
    let text_x = app.rects().doc.unwrap().x + 2;
    let y = app.rects().doc.unwrap().y + 1 + (line - app.doc_scroll) as u16;
    let drawn: String = (0..width as u16)
        .map(|dx| {
            let cell = &buf[(text_x + col as u16 + dx, y)];
            assert!(
                cell.modifier.contains(ratatui::style::Modifier::REVERSED),
                "{cell:?}"
            );
            cell.symbol().to_string()
        })
        .collect();
    assert_eq!(drawn, "part", "the first word of \"part (c)\"");
}

#[test]
fn a_reveal_steps_the_bptt_schedule_too() {
    let mut app = opened("5a", 120, 40);
    let before = common::draw_panel(app.current_panel().unwrap(), 48, 30);
    press(&mut app, ch('x'));
    press(&mut app, ch('.'));
    let after = common::draw_panel(app.current_panel().unwrap(), 48, 30);
    assert_ne!(before, after, "one action further through the schedule");
    press(&mut app, ch('X'));
    let all = common::draw_panel(app.current_panel().unwrap(), 48, 30);
    assert_eq!(
        after, all,
        "X reveals the text, it does not play the schedule"
    );
}

#[test]
fn clicking_a_link_follows_it() {
    let mut app = opened("6e", 120, 40);
    let link = app.doc.links.iter().find(|l| l.dest == "#6c").unwrap();
    let (line, col, _) = link.cells[0];
    let doc = app.rects().doc.unwrap();
    app.update(Action::Click {
        col: doc.x + 2 + col as u16,
        row: doc.y + 1 + (line - app.doc_scroll) as u16,
    });
    assert_eq!(id(&app), "6c");
    press(&mut app, key(KeyCode::Backspace));
    assert_eq!(id(&app), "6e");
}

#[test]
fn in_exam_mode_the_outline_lists_only_what_is_revealed() {
    let mut app = opened("2", 120, 40);
    let all = app.outline_items().len();
    press(&mut app, ch('x'));
    let hidden: Vec<String> = app.outline_items().into_iter().map(|i| i.title).collect();
    assert_eq!(hidden, ["Which activations are poor choices?", "Solution"]);
    press(&mut app, ch('.'));
    assert_eq!(
        app.outline_items().len(),
        3,
        "the answer box, once revealed"
    );
    press(&mut app, ch('X'));
    assert_eq!(app.outline_items().len(), all);
}
