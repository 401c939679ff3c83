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
