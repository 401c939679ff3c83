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
    let mut buf = Buffer::empty(area);
    let mut down = true;
    b.bench_local(|| {
        down = !down;
        app.update(Action::Scroll(if down { 1 } else { -1 }));
        buf.reset();
        draw_buffer(&app, area, &mut buf);
        black_box(&buf);
    });
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
