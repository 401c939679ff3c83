//! Recording each trace (target: under 16 ms, one frame, at the default
//! sizes), at the default sizes and at the largest a panel or `trace=1`
//! allows. Recording is all a panel does synchronously when its knobs change.

use divan::{Bencher, black_box};
use nnbook::compute::activations::functions::Act;
use nnbook::compute::activations::trace::{self as block, BlockSpec};
use nnbook::compute::rnn2d::{self, Problem};
use nnbook::compute::seqnorm::{self, Inputs, Rate};
use nnbook::compute::widen::{self, Config, Setup, Strategy};

fn main() {
    divan::main();
}

/// Problem 2: one Linear → BN → act block, 8×3 → 3 (the panel's).
#[divan::bench]
fn activations_block_default(b: Bencher) {
    let spec = BlockSpec::small(Act::ShiftedRelu, 1.0, 0.0, 10.0, 1);
    b.bench_local(|| black_box(block::record(&spec).len()));
}

/// Problem 4: the running layer, T=8, K=3 (the panel's).
#[divan::bench]
fn seqnorm_default(b: Bencher) {
    let inp = Inputs::seeded(1, 8, 3, 1e-5, Rate::Ema { alpha: 0.25 });
    b.bench_local(|| black_box(seqnorm::trace::record(&inp).len()));
}

/// Problem 4 at the CLI's largest T=64, K=16.
#[divan::bench]
fn seqnorm_largest(b: Bencher) {
    let inp = Inputs::seeded(1, seqnorm::MAX_T, seqnorm::MAX_K, 1e-5, Rate::Cumulative);
    b.bench_local(|| black_box(seqnorm::trace::record(&inp).len()));
}

fn widen_at(cfg: Config) -> (widen::Widened, Setup) {
    let setup = Setup::new(&cfg);
    (setup.widen(cfg.strategy, cfg.noise), setup)
}

/// Problem 3: the default network (K=6 → 12, n=3, B=8).
#[divan::bench]
fn widen_default(b: Bencher) {
    let cfg = Config::default().with_strategy(Strategy::Zero);
    let (wide, setup) = widen_at(cfg);
    b.bench_local(|| black_box(widen::trace::record(&wide, &setup.x, &setup.t, 0.0).len()));
}

/// Problem 3 at the largest sizes (K=16 → 32, n=5, B=16, C=16, D=8).
#[divan::bench]
fn widen_largest(b: Bencher) {
    let cfg = Config {
        c: widen::MAX_C,
        k: widen::MAX_K,
        d: widen::MAX_D,
        depth: widen::MAX_DEPTH,
        batch: widen::MAX_BATCH,
        ..Config::default()
    };
    let (wide, setup) = widen_at(cfg);
    b.bench_local(|| black_box(widen::trace::record(&wide, &setup.x, &setup.t, 0.0).len()));
}

/// Problem 6: record and convert, 4×5×2 (the panel's default).
#[divan::bench]
fn rnn2d_default(b: Bencher) {
    let p = Problem::random(4, 5, 2, 1);
    b.bench_local(|| {
        let (_, _, t) = rnn2d::trace::record(&p);
        black_box(rnn2d::trace::to_common(&t, &p).len())
    });
}

/// Problem 6 at the panel's largest, 10×10×4.
#[divan::bench]
fn rnn2d_largest(b: Bencher) {
    let p = Problem::random(10, 10, 4, 1);
    b.bench_local(|| {
        let (_, _, t) = rnn2d::trace::record(&p);
        black_box(rnn2d::trace::to_common(&t, &p).len())
    });
}

/// Problem 1: the midterm's 21 layers on 32×32×3.
#[divan::bench]
fn layer_table_default(b: Bencher) {
    use nnbook::compute::layer_table::{MIDTERM, MIDTERM_INPUT, table, trace};
    let t = table(MIDTERM_INPUT, MIDTERM).unwrap();
    b.bench_local(|| black_box(trace::record(&t).len()));
}

/// Problem 1 at the panel's largest input, 224×224×3.
#[divan::bench]
fn layer_table_224(b: Bencher) {
    use nnbook::compute::layer_table::{MIDTERM, table, trace};
    let t = table([224, 224, 3], MIDTERM).unwrap();
    b.bench_local(|| black_box(trace::record(&t).len()));
}

/// Problem 5: the recursive halving at T = 16 (the panel's opening).
#[divan::bench]
fn bptt_default(b: Bencher) {
    use nnbook::compute::bptt::schedule::{Schedule, trace};
    let frames = trace(Schedule::Recursive, 16, 5).unwrap();
    b.bench_local(|| black_box(nnbook::compute::bptt::trace::to_common(&frames, 16).len()));
}

/// Problem 5's longest trace: evenly spaced with M = 2 at the largest traced
/// T = 256 (tens of thousands of actions).
#[divan::bench]
fn bptt_largest(b: Bencher) {
    use nnbook::compute::bptt::schedule::{MAX_TRACE_T, Schedule, trace};
    let frames = trace(Schedule::Fixed, MAX_TRACE_T, 2).unwrap();
    b.bench_local(|| {
        black_box(nnbook::compute::bptt::trace::to_common(&frames, MAX_TRACE_T).len())
    });
}

/// Problem 5 at the panel's largest: evenly spaced with M = 1 at T = 64.
#[divan::bench]
fn bptt_panel_largest(b: Bencher) {
    use nnbook::compute::bptt::schedule::{Schedule, trace};
    let frames = trace(Schedule::Fixed, 64, 1).unwrap();
    b.bench_local(|| black_box(nnbook::compute::bptt::trace::to_common(&frames, 64).len()));
}
