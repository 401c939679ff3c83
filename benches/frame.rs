//! The notebook frame's speed targets (issue 2): cold start (load + parse all
//! content + first frame at 160x48) under 25 ms; redraw after a keypress at
//! 200x60 under 1 ms.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use nnbook::app::{Action, App};
use nnbook::content::Source;
use nnbook::headless::render_frame;
use nnbook::ui::frame::draw_buffer;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn cold_start(c: &mut Criterion) {
    c.bench_function("cold start: load + first frame 160x48", |b| {
        b.iter(|| {
            let mut app = App::load(&Source::Embedded, Rect::new(0, 0, 160, 48));
            let effect = app.open(0);
            app.run_inline(effect);
            black_box(render_frame(&app, false))
        })
    });
}

fn redraw(c: &mut Criterion) {
    let area = Rect::new(0, 0, 200, 60);
    let mut app = App::load(&Source::Embedded, area);
    let entry = app.notebook.find_entry("1a").unwrap_or(0);
    let effect = app.open(entry);
    app.run_inline(effect);
    let mut buf = Buffer::empty(area);
    let mut down = true;
    c.bench_function("redraw after a keypress 200x60", |b| {
        b.iter(|| {
            down = !down;
            app.update(Action::Scroll(if down { 1 } else { -1 }));
            buf.reset();
            draw_buffer(&app, area, &mut buf);
            black_box(&buf);
        })
    });
    c.bench_function("next part + redraw 200x60", |b| {
        let mut forward = true;
        b.iter(|| {
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
        })
    });
}

criterion_group!(benches, cold_start, redraw);
criterion_main!(benches);
