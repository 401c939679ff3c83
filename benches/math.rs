//! Rendering every math expression in `content/` once, inline and as display blocks at 80
//! columns (what a cold cache costs for one frame that shows all the content's math).

use divan::{Bencher, black_box};
use nnbook::math::corpus::math_in_markdown;
use nnbook::math::{Glyphs, render_display, render_inline};

fn main() {
    divan::main();
}

fn corpus() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("content dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| math_in_markdown(&std::fs::read_to_string(p).expect("read")))
        .map(|m| m.latex)
        .collect()
}

#[divan::bench]
fn content_inline_and_display_80(b: Bencher) {
    let exprs = corpus();
    b.bench_local(|| {
        for e in &exprs {
            black_box(render_inline(e, Glyphs::Unicode));
            black_box(render_display(e, 80, Glyphs::Unicode));
        }
    });
}

#[divan::bench]
fn content_inline_only(b: Bencher) {
    let exprs = corpus();
    b.bench_local(|| {
        for e in &exprs {
            black_box(render_inline(e, Glyphs::Unicode));
        }
    });
}

#[divan::bench]
fn one_aligned_display_80(b: Bencher) {
    let aligned = r"\begin{aligned}\mathbf{h}_t^A &= \tanh \left( \mathbf{W}_{(hh)}^A \mathbf{h}_{t-1}^A + \mathbf{W}_{(xh)}^A \mathbf{x}_t \right) \\ \mathbf{h}_t^B &= \tanh \left( \mathbf{W}_{(hh)}^B \mathbf{h}_{t-1}^B + \mathbf{W}_{(yh)}^B \mathbf{y}_t \right)\end{aligned}";
    b.bench_local(|| black_box(render_display(black_box(aligned), 80, Glyphs::Unicode)));
}
