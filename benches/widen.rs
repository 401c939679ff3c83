//! Speed of Problem 3: the facts built at every start, the experiment the
//! panel recomputes on each key press (default sizes), and the bounded worst
//! case of `nnbook compute widen`.

use std::ops::ControlFlow;

use divan::{Bencher, black_box};
use nnbook::compute::widen::{
    Config, MAX_BATCH, MAX_C, MAX_D, MAX_DEPTH, MAX_K, MAX_STEPS, Strategy, experiment, facts,
};

fn main() {
    divan::main();
}

/// All p3 figures.
#[divan::bench]
fn all_facts(b: Bencher) {
    b.bench_local(|| {
        let mut f = nnbook::compute::Facts::new();
        facts(&mut f);
        black_box(f.len())
    });
}

#[divan::bench(args = [Strategy::Zero, Strategy::Net2Net])]
fn experiment_default(b: Bencher, strategy: Strategy) {
    let cfg = Config::default().with_strategy(strategy);
    b.bench_local(|| experiment(black_box(&cfg), &mut |_| ControlFlow::Continue(())));
}

/// The panel's longest synchronous recompute: `t` at 300 SGD steps.
#[divan::bench]
fn experiment_default_300_steps(b: Bencher) {
    let cfg = Config {
        steps: 300,
        ..Config::default()
    };
    b.bench_local(|| experiment(black_box(&cfg), &mut |_| ControlFlow::Continue(())));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn worst_case_every_maximum(b: Bencher) {
    let worst = Config {
        c: MAX_C,
        k: MAX_K,
        d: MAX_D,
        depth: MAX_DEPTH,
        batch: MAX_BATCH,
        steps: MAX_STEPS,
        ..Config::default()
    };
    b.bench_local(|| experiment(black_box(&worst), &mut |_| ControlFlow::Continue(())));
}
