//! The notebook frame's speed targets (issue 2): cold start (load + parse all
//! content + first frame at 160x48) under 25 ms; redraw after a keypress at
//! 200x60 under 1 ms.

use divan::{Bencher, black_box};
use nnbook::app::{Action, App};
use nnbook::content::Source;
use nnbook::headless::render_frame;
use nnbook::ui::frame::draw_buffer;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn main() {
    divan::main();
}

/// Load + parse all content + first frame at 160x48.
#[divan::bench]
fn cold_start_160x48(b: Bencher) {
    b.bench_local(|| {
        let mut app = App::load(&Source::Embedded, Rect::new(0, 0, 160, 48));
        let effect = app.open(0);
        app.run_inline(effect);
        black_box(render_frame(&app, false))
    });
}

fn opened_at_1a(area: Rect) -> App {
    let mut app = App::load(&Source::Embedded, area);
    let entry = app.notebook.find_entry("1a").unwrap_or(0);
    let effect = app.open(entry);
    app.run_inline(effect);
    app
}

#[divan::bench]
fn redraw_after_a_keypress_200x60(b: Bencher) {
    let area = Rect::new(0, 0, 200, 60);
    let mut app = opened_at_1a(area);
    redraw_loop(b, &mut app, area);
}

#[divan::bench]
fn next_part_and_redraw_200x60(b: Bencher) {
    let area = Rect::new(0, 0, 200, 60);
    let mut app = opened_at_1a(area);
    let mut buf = Buffer::empty(area);
    let mut forward = true;
    b.bench_local(|| {
        forward = !forward;
        let effect = app.update(if forward {
            Action::NextEntry
        } else {
            Action::PrevEntry
        });
        app.run_inline(effect);
        buf.reset();
        draw_buffer(&app, area, &mut buf);
        black_box(&buf);
    });
}

/// Every part and statement, for [`open_part_200x60`].
/// Part `2` is named `part 2` because divan 0.1.21's argument sort panics when
/// one name is a whole number and the others are not (it parses `a` twice).
const ENTRIES: &[&str] = &[
    "p1", "1a", "1b", "1c", "p2", "part 2", "p3", "3a", "3b", "p4", "4a", "4b", "4c", "p5", "5a",
    "5b", "p6", "6a", "6b", "6c", "6d", "6e",
];

/// Opening a part as the notebook does (issue 15: under 5 ms for every part):
/// lay it out, build its panel and draw the frame, on a fresh app each time.
/// Highlighting is the TUI's background mode, and a panel's initial job runs
/// off the draw loop there, so neither is timed; the frame drawn is the one a
/// student sees first.
#[divan::bench(args = ENTRIES)]
fn open_part_200x60(b: Bencher, id: &str) {
    nnbook::ui::highlight::highlight_in_background();
    let area = Rect::new(0, 0, 200, 60);
    let mut buf = Buffer::empty(area);
    b.with_inputs(|| {
        let app = App::load(&Source::Embedded, area);
        let id = id.trim_start_matches("part ");
        let entry = app.notebook.find_entry(id).expect("a notebook entry");
        (app, entry)
    })
    .bench_local_values(|(mut app, entry)| {
        let effect = app.open(entry);
        buf.reset();
        draw_buffer(&app, area, &mut buf);
        black_box((&buf, effect));
        app
    });
}

/// Start-up as the TUI does it with a state file present (issue 13: under
/// 25 ms): load the content, read the state file (a record for this content
/// with a place, panel state and marks on every part, and one for another
/// folder), land on the part it names, and draw the first frame at 160x48.
#[divan::bench]
fn start_with_state_file_160x48(b: Bencher) {
    use nnbook::state::{ContentState, EntryState, Place, Store};
    // As the TUI starts: code is highlighted off the draw loop.
    nnbook::ui::highlight::highlight_in_background();
    let dir = std::env::temp_dir().join(format!("nnbook-bench-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let source = Source::Embedded;
    {
        let probe = App::load(&source, Rect::new(0, 0, 160, 48));
        let mut content = ContentState {
            last: Some("6b".into()),
            ..ContentState::default()
        };
        for id in probe.notebook.entry_ids() {
            content.entries.insert(
                id,
                EntryState {
                    place: Some(Place { block: 3, line: 1 }),
                    studied: true,
                    ..EntryState::default()
                },
            );
        }
        let (mut other, _) = Store::open(&dir, "path:/some/notes".into());
        other.save(content.clone()).expect("state written");
        let (mut store, _) = Store::open(&dir, source.identity());
        store.save(content).expect("state written");
    }
    b.bench_local(|| {
        let mut app = App::load(&source, Rect::new(0, 0, 160, 48));
        let (store, _) = Store::open(&dir, source.identity());
        let effect = app.restore_remembered(store.content());
        app.run_inline(effect);
        black_box(render_frame(&app, false))
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// Redraw after a scroll key at 200x60 in every part (issue 15: under 0.5 ms).
#[divan::bench(args = ENTRIES)]
fn redraw_in_part_200x60(b: Bencher, id: &str) {
    let area = Rect::new(0, 0, 200, 60);
    let mut app = App::load(&Source::Embedded, area);
    let entry = app
        .notebook
        .find_entry(id.trim_start_matches("part "))
        .expect("a notebook entry");
    let effect = app.open(entry);
    app.run_inline(effect);
    redraw_loop(b, &mut app, area);
}

fn redraw_loop(b: Bencher, app: &mut App, area: Rect) {
    let mut buf = Buffer::empty(area);
    let mut down = true;
    b.bench_local(|| {
        down = !down;
        app.update(Action::Scroll(if down { 1 } else { -1 }));
        buf.reset();
        draw_buffer(app, area, &mut buf);
        black_box(&buf);
    });
}

/// The shipped content `scale` times over (problems 1-6, then copies numbered
/// 7-12, 13-18, …), in a folder of its own: how start-up and redraw grow with
/// the amount of content.
fn scaled_content(scale: u32) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nnbook-bench-x{scale}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    for file in std::fs::read_dir(&content).expect("content/") {
        let path = file.expect("content file").path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable content");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let number: u32 = text
            .lines()
            .find_map(|l| l.strip_prefix("problem = "))
            .and_then(|n| n.trim().parse().ok())
            .expect("problem = N");
        for copy in 0..scale {
            let n = number + 6 * copy;
            let renumber =
                |t: &str, pre: &str| t.replace(&format!("{pre}{number}"), &format!("{pre}{n}"));
            let mut out =
                text.replacen(&format!("problem = {number}"), &format!("problem = {n}"), 1);
            out = renumber(&out, "id = \"");
            out = renumber(&out, "{#");
            std::fs::write(dir.join(format!("x{copy}-{name}")), out).expect("write copy");
        }
    }
    dir
}

const SCALES: &[u32] = &[1, 10, 50];

/// Load, parse and draw the first frame at 120x40 with the content scaled
/// (issue 15: start-up stays linear in the content).
#[divan::bench(args = SCALES, sample_count = 20)]
fn cold_start_scaled_120x40(b: Bencher, scale: u32) {
    let dir = scaled_content(scale);
    let area = Rect::new(0, 0, 120, 40);
    b.bench_local(|| {
        let mut app = App::load(&Source::Dir(dir.clone()), area);
        assert!(app.errors.is_none(), "scaled content loads");
        let effect = app.open(0);
        app.run_inline(effect);
        let mut buf = Buffer::empty(area);
        draw_buffer(&app, area, &mut buf);
        black_box(buf)
    });
    std::fs::remove_dir_all(&dir).ok();
}

/// Redraw after a scroll key at 200x60 in part 1a with the content scaled
/// (issue 15: under 0.5 ms at 10x and 50x too).
#[divan::bench(args = SCALES)]
fn redraw_scaled_200x60(b: Bencher, scale: u32) {
    let dir = scaled_content(scale);
    let area = Rect::new(0, 0, 200, 60);
    let mut app = App::load(&Source::Dir(dir.clone()), area);
    let entry = app.notebook.find_entry("1a").expect("part 1a");
    let effect = app.open(entry);
    app.run_inline(effect);
    redraw_loop(b, &mut app, area);
    std::fs::remove_dir_all(&dir).ok();
}

/// One keystroke in the search prompt over all content, and the frame after
/// it (issue 13: under 2 ms). Types `softmax` one letter at a time and then
/// erases it, so each sample is a real incremental step of a real query.
#[divan::bench]
fn search_keystroke_and_redraw_200x60(b: Bencher) {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let area = Rect::new(0, 0, 200, 60);
    let mut app = opened_at_1a(area);
    app.update(Action::Search);
    let word: Vec<char> = "softmax".chars().collect();
    let keys: Vec<KeyCode> = word
        .iter()
        .map(|&c| KeyCode::Char(c))
        .chain(std::iter::repeat_n(KeyCode::Backspace, word.len()))
        .collect();
    // The index is built on the first keystroke of a session: not a steady cost.
    app.update(Action::SearchEdit(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::NONE,
    )));
    app.update(Action::SearchEdit(KeyEvent::new(
        KeyCode::Backspace,
        KeyModifiers::NONE,
    )));
    let mut buf = Buffer::empty(area);
    let mut i = 0;
    b.bench_local(|| {
        let key = keys[i % keys.len()];
        i += 1;
        let effect = app.update(Action::SearchEdit(KeyEvent::new(key, KeyModifiers::NONE)));
        app.run_inline(effect);
        buf.reset();
        draw_buffer(&app, area, &mut buf);
        black_box(&buf);
    });
}
