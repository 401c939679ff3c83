//! Speed of Problem 4: the facts built at every start (target well under
//! 0.3 ms), one panel recompute per key press, and the CLI's bounded worst
//! case (T=64, K=16 with all three grad checks).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use nnbook::compute::seqnorm::{
    DEFAULT_EPS, DEFAULT_K, DEFAULT_T, Inputs, MAX_K, MAX_T, Rate, Solution, facts,
};
use nnbook::panels::{PanelKey, create};

fn benches(c: &mut Criterion) {
    c.bench_function("facts (all p4 figures)", |b| {
        b.iter(|| {
            let mut f = nnbook::compute::Facts::new();
            facts(&mut f);
            black_box(f.len())
        })
    });
    let rate = Rate::Ema { alpha: 0.25 };
    c.bench_function("solution T=8 K=3 (panel recompute)", |b| {
        b.iter(|| {
            Solution::new(
                Inputs::seeded(black_box(1), DEFAULT_T, DEFAULT_K, DEFAULT_EPS, rate),
                4,
            )
        })
    });
    c.bench_function("panel key press (s: reseed)", |b| {
        let mut p = create("seqnorm").expect("registered");
        b.iter(|| black_box(p.handle(PanelKey::Char('s'))))
    });
    let mut g = c.benchmark_group("worst case");
    g.sample_size(10);
    g.bench_function("solution T=64 K=16", |b| {
        b.iter(|| Solution::new(Inputs::seeded(1, MAX_T, MAX_K, DEFAULT_EPS, rate), 0))
    });
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
