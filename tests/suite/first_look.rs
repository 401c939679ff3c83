//! The interactive notebook starts from a first look (only the shown part's
//! file parsed) and completes it after the first frame: what the reader sees
//! must be exactly what the whole parse shows, and content the first look
//! cannot stand in for is loaded whole.

use nnbook::app::{App, LoadPlan, load_content, load_notebook};
use nnbook::content::Source;
use nnbook::headless::render_frame;
use nnbook::ui::doc::MathSettings;
use nnbook::ui::theme::Theme;
use ratatui::layout::Rect;

use crate::common::embedded_notebook;

/// An app opened at `id` from a first look, as the TUI opens it.
fn first_look_app(source: &Source, area: Rect, id: &str) -> App {
    let look = LoadPlan::FirstLook(Some(id));
    let app = App::load_unopened(
        source,
        area,
        Theme::default(),
        MathSettings::default(),
        look,
    );
    opened_at(app, id)
}

/// An app opened at `id` from the whole load.
fn whole_app(source: &Source, area: Rect, id: &str) -> App {
    opened_at(App::load(source, area), id)
}

fn opened_at(mut app: App, id: &str) -> App {
    let entry = app
        .notebook
        .find_entry(id)
        .expect("the entry is in the notebook");
    let effect = app.open(entry);
    app.run_inline(effect);
    app
}

/// Every entry, opened first, looks the same from a first look as from the
/// whole parse, before and after the first look is completed.
#[test]
fn every_entry_first_looks_as_it_does_whole() {
    let ids = embedded_notebook().entry_ids();
    for area in [Rect::new(0, 0, 80, 24), Rect::new(0, 0, 160, 48)] {
        for id in &ids {
            let whole = render_frame(&whole_app(&Source::Embedded, area, id), true);
            let mut app = first_look_app(&Source::Embedded, area, id);
            assert!(
                app.first_look,
                "{id}: the embedded notebook starts from a first look"
            );
            assert_eq!(
                render_frame(&app, true),
                whole,
                "{id} at {area:?}: first frame"
            );
            let effect = app.complete_load(load_notebook(&Source::Embedded));
            app.run_inline(effect);
            assert!(!app.first_look && app.errors.is_none());
            assert_eq!(
                render_frame(&app, true),
                whole,
                "{id} at {area:?}: completed"
            );
        }
    }
}

/// The first look parses the shown entry's section alone and the others'
/// front matter only; completed, it is the whole notebook.
#[test]
fn a_first_look_parses_one_section_and_completes_to_the_whole() {
    let whole = embedded_notebook();
    for (id, problem, part) in [
        ("4b", 4, Some(1)),
        ("p2", 2, None),
        ("1a", 1, Some(0)),
        ("6d", 6, Some(3)),
    ] {
        let loaded = load_content(&Source::Embedded, LoadPlan::FirstLook(Some(id)));
        assert!(loaded.first_look);
        let look = loaded.notebook.expect("loads");
        assert_eq!(look.entry_ids(), whole.entry_ids());
        for (l, w) in look.problems.iter().zip(&whole.problems) {
            assert_eq!(
                (l.number, &l.title, l.points),
                (w.number, &w.title, w.points)
            );
            let shown = l.number == problem;
            assert_eq!(
                !l.statement.is_empty(),
                shown && part.is_none(),
                "{id}: statement of {}",
                l.number
            );
            for (pi, (lp, wp)) in l.parts.iter().zip(&w.parts).enumerate() {
                assert_eq!(
                    (&lp.id, &lp.panel, &lp.panel_state),
                    (&wp.id, &wp.panel, &wp.panel_state)
                );
                if shown && part == Some(pi) {
                    assert_eq!(
                        format!("{:?}", lp.body),
                        format!("{:?}", wp.body),
                        "{id}: parsed as a whole load parses it, lines included"
                    );
                    assert_eq!(lp.has_solution, wp.has_solution);
                } else {
                    assert!(lp.body.is_empty(), "{id}: {} is left for later", lp.id);
                }
            }
            if shown && part.is_none() {
                assert_eq!(
                    format!("{:?}", l.statement),
                    format!("{:?}", w.statement),
                    "{id}"
                );
            }
        }
    }
    let look = load_content(&Source::Embedded, LoadPlan::FirstLook(Some("4b")))
        .notebook
        .expect("loads");
    let mut app = App::unopened_from(
        nnbook::app::Loaded {
            notebook: Ok(look),
            first_look: true,
        },
        &Source::Embedded,
        Rect::new(0, 0, 120, 40),
        Theme::default(),
        MathSettings::default(),
    );
    let effect = app.open(0);
    app.run_inline(effect);
    app.complete_load(load_notebook(&Source::Embedded));
    assert_eq!(
        format!("{:?}", app.notebook.problems),
        format!("{:?}", whole.problems)
    );
    // Completing twice, or without a first look, changes nothing.
    assert!(matches!(
        app.complete_load(Err(nnbook::content::ContentErrors(vec![]))),
        nnbook::app::Effect::None
    ));
    assert!(app.errors.is_none());
}

/// A folder of content files, named by `label` (tests run side by side).
fn folder(label: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("nnbook-first-look-{}-{label}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

const P1: &str = "+++\nproblem = 1\ntitle = \"One\"\npoints = 1\n\n[[parts]]\nid = \"1a\"\ntitle = \"A\"\npoints = 1\n+++\n\n# One\n\n## (a) A {#1a}\n\n### Solution\n\nFine.\n";

/// Content a first look cannot stand in for is loaded whole: ordinary
/// Markdown, broken front matter, a problem number used twice.
#[test]
fn content_a_first_look_cannot_stand_in_for_is_loaded_whole() {
    let plain = folder(
        "plain",
        &[("a.md", P1), ("notes.md", "# Notes\n\nSome text.\n")],
    );
    let dup = folder("dup", &[("a.md", P1), ("b.md", P1)]);
    let broken = folder(
        "broken",
        &[("a.md", P1), ("c.md", "+++\nproblem = \"x\"\n+++\n")],
    );
    for dir in [&plain, &dup, &broken] {
        let source = Source::Dir(dir.clone());
        let loaded = load_content(&source, LoadPlan::FirstLook(None));
        assert!(!loaded.first_look, "{dir:?}");
        assert_eq!(
            loaded
                .notebook
                .as_ref()
                .map(|n| n.entry_ids())
                .map_err(|e| e.to_string()),
            load_notebook(&source)
                .map(|n| n.entry_ids())
                .map_err(|e| e.to_string()),
            "{dir:?}: the same as a whole load"
        );
    }
    for dir in [plain, dup, broken] {
        std::fs::remove_dir_all(dir).ok();
    }
}

/// An error in a file the first look did not parse shows when the first look
/// is completed: the error view, as a whole load would have shown at start.
#[test]
fn an_error_in_another_file_brings_the_error_view_on_completion() {
    let bad_body = P1
        .replace("problem = 1", "problem = 2")
        .replace("1a", "2a")
        .replace("Fine.", "{{p9.no_such_figure}}");
    let dir = folder("bad-body", &[("a.md", P1), ("b.md", &bad_body)]);
    let source = Source::Dir(dir.clone());
    let area = Rect::new(0, 0, 100, 30);
    let mut app = first_look_app(&source, area, "1a");
    assert!(
        app.first_look && app.errors.is_none(),
        "problem 1 alone is fine"
    );
    app.complete_load(load_notebook(&source));
    let errors = app
        .errors
        .as_ref()
        .expect("the whole parse finds the error");
    assert!(errors.to_string().contains("p9.no_such_figure"), "{errors}");
    assert!(app.notebook.entries.is_empty());
    assert_eq!(
        render_frame(&app, false),
        render_frame(&App::load(&source, area), false)
    );
    std::fs::remove_dir_all(dir).ok();
}

/// Headings the cut cannot see or must not take (one after a tab, one in a
/// code fence) still give the whole load's frame: the fence is skipped, and a
/// cut that parses to more than one section falls back to the whole file.
#[test]
fn odd_headings_still_give_the_whole_loads_frame() {
    let two_parts = "+++\nproblem = 1\ntitle = \"One\"\npoints = 2\n\n[[parts]]\nid = \"1a\"\ntitle = \"A\"\npoints = 1\n\n[[parts]]\nid = \"1b\"\ntitle = \"B\"\npoints = 1\n+++\n\n# One\n\nStatement.\n\n## (a) A {#1a}\n\n### Solution\n\n```text\n## not a heading {#1b}\n```\n\nAfter the fence.\n\n##\t(b) B {#1b}\n\n### Solution\n\nB's answer.\n";
    let dir = folder("odd-headings", &[("a.md", two_parts)]);
    let source = Source::Dir(dir.clone());
    let area = Rect::new(0, 0, 100, 30);
    for id in ["p1", "1a", "1b"] {
        let app = first_look_app(&source, area, id);
        assert!(app.first_look, "{id}");
        assert_eq!(
            render_frame(&app, false),
            render_frame(&whole_app(&source, area, id), false),
            "{id}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}
