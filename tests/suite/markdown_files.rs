//! Reading ordinary Markdown: one `.md` file, or a folder of them without
//! front matter (mixed with notebook files or not). Each file is an entry,
//! its level-1/2 headings its parts; math, highlighting and search work as
//! in the notebook; the notebook's "not yet written" marker does not apply;
//! hostile text still goes through the one sanitiser and the limits.

use std::path::{Path, PathBuf};

use nnbook::app::App;
use nnbook::content::Source;
use nnbook::headless::render_frame;
use ratatui::layout::Rect;

use crate::common::nnbook;

const NOTES: &str = "# Optimisers\n\nWhat I learnt, with $x^2$.\n\n\
## Gradient descent\n\nStep: $w \\leftarrow w - \\eta \\nabla L$.\n\n\
```rust\nlet name = \"momentum\"; let rate = 0.9;\n```\n\n\
## Momentum {#mom}\n\nKeeps a velocity.\n\n### Why\n\nIt smooths.\n";

fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nnbook-md-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("write");
    }
    dir
}

fn app(path: &Path, w: u16, h: u16) -> App {
    App::load(&Source::Dir(path.to_path_buf()), Rect::new(0, 0, w, h))
}

fn text_of(app: &App) -> String {
    app.doc
        .lines
        .iter()
        .map(|l| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_single_file_is_an_entry_and_its_headings_are_parts() {
    let dir = folder("single", &[("opt.md", NOTES)]);
    let mut a = app(&dir.join("opt.md"), 120, 40);
    assert!(a.errors.is_none(), "{:?}", a.errors);
    assert_eq!(a.notebook.entry_ids(), ["p1", "gradient-descent", "mom"]);
    let part = a.notebook.find_entry("gradient-descent").unwrap();
    let effect = a.open(part);
    a.run_inline(effect);
    let text = text_of(&a);
    assert!(text.contains("w ← w − η∇L"), "math rendered: {text}");
    assert!(!text.contains("not yet written"), "{text}");
    // The code block is highlighted: some span of it has a colour.
    let coloured = a.doc.lines.iter().any(|l| {
        l.spans
            .iter()
            .any(|s| s.content.contains("momentum") && s.style.fg.is_some())
    });
    assert!(coloured, "highlighted code");
    let frame = render_frame(&a, false);
    assert!(frame.contains("Optimisers › Gradient descent"), "{frame}");
    assert!(
        frame.contains("Momentum"),
        "listed in the contents: {frame}"
    );
    assert!(!frame.contains(" pts"), "notes have no points: {frame}");
    // A level-3 heading stays inside its part.
    let mom = a.notebook.find_entry("mom").unwrap();
    a.open(mom);
    assert!(text_of(&a).contains("It smooths."));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_plain_folder_and_a_mixed_one_load_and_search() {
    let dir = folder(
        "plain",
        &[
            ("a.md", NOTES),
            ("b.md", "no heading at all, just $\\alpha$ notes\n"),
            ("c.md", "# Other\n\n## Gradient descent\n\nagain\n"),
        ],
    );
    let a = app(&dir, 120, 40);
    assert!(a.errors.is_none(), "{:?}", a.errors);
    let ids = a.notebook.entry_ids();
    assert_eq!(
        ids,
        [
            "p1",
            "gradient-descent",
            "mom",
            "p2",
            "p3",
            "gradient-descent-2"
        ],
        "one entry per file, in file order; ids made unique"
    );
    assert_eq!(a.notebook.problems[1].title, "b", "titled after the file");
    let hits = nnbook::search::Index::new(&a.notebook).find("gradient");
    let hit_ids: Vec<String> = hits
        .iter()
        .map(|h| a.notebook.entry_id(a.notebook.entries[h.entry]))
        .collect();
    assert_eq!(hit_ids, ["gradient-descent", "gradient-descent-2"]);
    let out = nnbook(&["search", "smooths", "--content", &dir.display().to_string()]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "mom:19: It smooths.\n"
    );

    // With a notebook-format problem beside them: it keeps its number, the
    // notes follow it.
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good/notes.md");
    std::fs::copy(good, dir.join("0-problem.md")).expect("copy");
    let a = app(&dir, 120, 40);
    assert!(a.errors.is_none(), "{:?}", a.errors);
    let numbers: Vec<u32> = a.notebook.problems.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert!(!a.notebook.problems[0].plain && a.notebook.problems[1].plain);
    let out = nnbook(&["check", "--content", &dir.display().to_string()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("a.md:1  Optimisers (ordinary Markdown): 2 sections"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_notes_are_sanitised_and_limited() {
    let nested = format!("# Deep\n\n{}x\n", "> ".repeat(40));
    let dir = folder(
        "hostile",
        &[(
            "evil.md",
            "# Evil \u{1b}[31mred\n\n## Part \u{202e}rtl\n\nbell \u{7} and \u{1b}]52;c;AAAA\u{7}\n",
        )],
    );
    let mut a = app(&dir.join("evil.md"), 100, 30);
    assert!(a.errors.is_none(), "{:?}", a.errors);
    for entry in 0..a.notebook.entries.len() {
        a.open(entry);
        let frame = render_frame(&a, false);
        assert!(
            !frame
                .chars()
                .any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{202e}'),
            "{frame:?}"
        );
    }
    assert!(render_frame(&a, false).contains('␛'), "shown escaped");
    std::fs::write(dir.join("evil.md"), nested).expect("write");
    let a = app(&dir.join("evil.md"), 100, 30);
    let errors = a.errors.expect("too deep is a content error").to_string();
    assert!(errors.contains("evil.md:3:"), "{errors}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Links between a note's headings use the same anchors as the notebook's:
/// a part's id (its slug) and `part-heading` slugs resolve; a missing one is
/// an error at its line.
#[test]
fn links_in_notes_resolve_to_their_headings() {
    let text = "# Notes\n\nSee [m](#mom) and [why](#mom-why).\n\n## Gradient\n\ntext\n\n\
                ## Momentum {#mom}\n\nmore\n\n### Why\n\nx\n";
    let dir = folder("links", &[("a.md", text)]);
    let ok = nnbook(&["check", "--content", &dir.display().to_string()]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    std::fs::write(dir.join("a.md"), text.replace("#mom-why", "#nope")).expect("write");
    let bad = nnbook(&["check", "--content", &dir.display().to_string()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("a.md:3: link to `#nope`"));
    let _ = std::fs::remove_dir_all(&dir);
}
