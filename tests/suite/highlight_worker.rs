//! The notebook hands syntax highlighting to a worker thread (issue 15:
//! opening a part never waits for syntect): the part is laid out plain at
//! once, and laid out again, highlighted, when the worker is done.

use std::time::{Duration, Instant};

use nnbook::app::App;
use nnbook::content::Source;
use nnbook::ui::highlight;
use ratatui::layout::Rect;

#[test]
fn a_part_opens_plain_and_is_relaid_out_highlighted() {
    let dir = std::env::temp_dir().join(format!("nnbook-hl-worker-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good/notes.md");
    let mut notes = std::fs::read_to_string(fixture).unwrap();
    // Code no other test highlights, so the process-wide cache cannot have it.
    let code = "def seen_only_by_the_worker_test(x):\n    return x * 1234";
    notes = notes.replace(
        "Text with *emphasis*",
        &format!("```python\n{code}\n```\n\nText with *emphasis*"),
    );
    std::fs::write(dir.join("notes.md"), notes).unwrap();

    highlight::highlight_in_background();
    let mut app = App::load(&Source::Dir(dir.clone()), Rect::new(0, 0, 160, 48));
    let entry = app.notebook.find_entry("1a").expect("part 1a");
    app.open(entry);
    let code_line = |app: &App| {
        app.doc
            .lines
            .iter()
            .find(|l| l.spans.iter().any(|s| s.content.contains("seen_only_by")))
            .cloned()
            .expect("the code block is laid out")
    };
    let coloured = |line: &ratatui::text::Line<'_>| line.spans.iter().any(|s| s.style.fg.is_some());
    assert!(
        !coloured(&code_line(&app)),
        "first layout is plain: {:?}",
        code_line(&app)
    );

    let deadline = Instant::now() + Duration::from_secs(60);
    while !app.highlights_landed() {
        assert!(Instant::now() < deadline, "the worker never delivered");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(coloured(&code_line(&app)), "{:?}", code_line(&app));
    // Nothing is left waiting: no more relayouts.
    assert!(!app.highlights_landed());
    std::fs::remove_dir_all(&dir).ok();
}
