//! Speed of the layer table: the facts built at every start, one recompute per
//! panel key press, and the bounded worst case of the exact receptive field.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use nnbook::compute::layer_table::{
    Conv, Layer, MIDTERM, Pool, ReplacePool, facts, table, table_replaced,
};
use nnbook::panels::{PanelContext, PanelKey, create};
use nnbook::ui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn benches(c: &mut Criterion) {
    c.bench_function("facts (all p1 figures)", |b| {
        b.iter(|| {
            let mut f = nnbook::compute::Facts::new();
            facts(&mut f);
            black_box(f.len())
        })
    });
    for side in [32, 224] {
        c.bench_function(&format!("table midterm {side}x{side}"), |b| {
            b.iter(|| table_replaced(black_box([side, side, 3]), MIDTERM, ReplacePool::K3S2P1))
        });
    }
    // The largest spatial size with the most layers: 64 layers on 4096x4096,
    // exact receptive-field bitsets at every layer.
    let worst: Vec<Layer> = (0..64)
        .map(|i| {
            if i % 2 == 0 {
                Layer::Conv(Conv::same(8, 3))
            } else {
                Layer::MaxPool(Pool {
                    window: 3,
                    stride: 1,
                    padding: 1,
                })
            }
        })
        .collect();
    let mut group = c.benchmark_group("worst case");
    group.sample_size(10);
    group.bench_function("table 4096x4096, 64 layers", |b| {
        b.iter(|| table(black_box([4096, 4096, 3]), &worst))
    });
    group.finish();

    let theme = Theme::default();
    let ctx = PanelContext {
        theme: &theme,
        focused: true,
        job: None,
    };
    let mut panel = create("layer-table").expect("registered");
    panel.handle(PanelKey::Char('i'));
    panel.handle(PanelKey::Char('i'));
    c.bench_function("panel key + render 80x24 (224 input)", |b| {
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        b.iter(|| {
            panel.handle(PanelKey::Char('o'));
            panel.render(area, &mut buf, &ctx);
        })
    });
}

criterion_group!(layer_table_benches, benches);
criterion_main!(layer_table_benches);
