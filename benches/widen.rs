//! Speed of Problem 3: the facts built at every start, the experiment the
//! panel recomputes on each key press (default sizes), and the bounded worst
//! case of `nnbook compute widen`.

use std::hint::black_box;
use std::ops::ControlFlow;

use criterion::{Criterion, criterion_group, criterion_main};
use nnbook::compute::widen::{
    Config, MAX_BATCH, MAX_C, MAX_D, MAX_DEPTH, MAX_K, MAX_STEPS, Strategy, experiment, facts,
};

fn benches(c: &mut Criterion) {
    c.bench_function("widen facts (all p3 figures)", |b| {
        b.iter(|| {
            let mut f = nnbook::compute::Facts::new();
            facts(&mut f);
            black_box(f.len())
        })
    });
    for strategy in [Strategy::Zero, Strategy::Net2Net] {
        c.bench_function(
            &format!("widen experiment default {}", strategy.name()),
            |b| {
                let cfg = Config::default().with_strategy(strategy);
                b.iter(|| experiment(black_box(&cfg), &mut |_| ControlFlow::Continue(())))
            },
        );
    }
    // The panel's longest synchronous recompute: `t` at 300 SGD steps.
    c.bench_function("widen experiment default 300 steps", |b| {
        let cfg = Config {
            steps: 300,
            ..Config::default()
        };
        b.iter(|| experiment(black_box(&cfg), &mut |_| ControlFlow::Continue(())))
    });
    let worst = Config {
        c: MAX_C,
        k: MAX_K,
        d: MAX_D,
        depth: MAX_DEPTH,
        batch: MAX_BATCH,
        steps: MAX_STEPS,
        ..Config::default()
    };
    let mut group = c.benchmark_group("widen worst case");
    group.sample_size(10);
    group.bench_function("experiment at every maximum", |b| {
        b.iter(|| experiment(black_box(&worst), &mut |_| ControlFlow::Continue(())))
    });
    group.finish();
}

criterion_group!(widen, benches);
criterion_main!(widen);
