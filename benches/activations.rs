//! Problem 2 speed targets: the whole deep-stack experiment at the defaults
//! (depth 20, width 64, 5 × 60 Adam steps) under 0.5 s of wall time in release
//! (issue 15; its 5 activations run on 5 threads); the statistics (recomputed
//! on every key press) and the facts well under a millisecond.

use divan::{Bencher, black_box};
use nnbook::compute::activations::{self, experiment, stats};
use nnbook::compute::{Facts, no_progress};

fn main() {
    divan::main();
}

#[divan::bench]
fn statistics_at_defaults(b: Bencher) {
    b.bench_local(|| stats::compute(black_box(stats::StatsConfig::default())));
}

#[divan::bench]
fn facts(b: Bencher) {
    b.bench_local(|| {
        let mut f = Facts::new();
        activations::facts(&mut f);
        f
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn experiment_defaults(b: Bencher) {
    b.bench_local(|| {
        experiment::run(
            black_box(experiment::ExperimentConfig::default()),
            &mut no_progress,
        )
    });
}
