//! Speed of the layer table: the facts built at every start, one recompute per
//! panel key press, and the bounded worst case of the exact receptive field.

use divan::{Bencher, black_box};
use nnbook::compute::layer_table::{
    Conv, Layer, MIDTERM, Pool, ReplacePool, facts, table, table_replaced,
};
use nnbook::panels::{PanelContext, PanelKey, create};
use nnbook::ui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn main() {
    divan::main();
}

/// All p1 figures.
#[divan::bench]
fn all_facts(b: Bencher) {
    b.bench_local(|| {
        let mut f = nnbook::compute::Facts::new();
        facts(&mut f);
        black_box(f.len())
    });
}

#[divan::bench(args = [32, 224])]
fn table_midterm(b: Bencher, side: u64) {
    b.bench_local(|| table_replaced(black_box([side, side, 3]), MIDTERM, ReplacePool::K3S2P1));
}

/// The largest spatial size with the most layers: 64 layers on 4096x4096,
/// exact receptive-field bitsets at every layer.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn worst_case_4096_64_layers(b: Bencher) {
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
    b.bench_local(|| table(black_box([4096, 4096, 3]), &worst));
}

#[divan::bench]
fn panel_key_and_render_80x24_input_224(b: Bencher) {
    let theme = Theme::default();
    let ctx = PanelContext {
        theme: &theme,
        focused: true,
        job: None,
        math: Default::default(),
    };
    let mut panel = create("layer-table").expect("registered");
    panel.handle(PanelKey::Char('i'));
    panel.handle(PanelKey::Char('i'));
    let area = Rect::new(0, 0, 80, 24);
    let mut buf = Buffer::empty(area);
    b.bench_local(|| {
        panel.handle(PanelKey::Char('o'));
        panel.render(area, &mut buf, &ctx);
    });
}
