//! Problem 2 speed targets: the whole deep-stack experiment at the defaults
//! (depth 20, width 64, 5 × 60 Adam steps) under 2 s of CPU in release; the
//! statistics (recomputed on every key press) and the facts (built on every
//! start) well under a millisecond.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use nnbook::compute::activations::{self, experiment, stats};
use nnbook::compute::{Facts, no_progress};

fn bench(c: &mut Criterion) {
    c.bench_function("p2 statistics at defaults", |b| {
        b.iter(|| stats::compute(black_box(stats::StatsConfig::default())))
    });
    c.bench_function("p2 facts", |b| {
        b.iter(|| {
            let mut f = Facts::new();
            activations::facts(&mut f);
            f
        })
    });
    let mut slow = c.benchmark_group("p2 experiment");
    slow.sample_size(10)
        .measurement_time(Duration::from_secs(12))
        .warm_up_time(Duration::from_secs(1));
    slow.bench_function("defaults (depth 20, width 64, 5x60 steps)", |b| {
        b.iter(|| {
            experiment::run(
                black_box(experiment::ExperimentConfig::default()),
                &mut no_progress,
            )
        })
    });
    slow.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
