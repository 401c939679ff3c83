//! Speed of Problem 5: the facts built at every start, one panel recompute
//! (trace + numeric run + grad check), exact counts at the largest T, the
//! optimal schedule built and counted at T = 10⁶ (with the allocation
//! profiler showing its memory depends on M, not T), and the worst numeric
//! run the CLI allows.

use divan::{Bencher, black_box};
use nnbook::compute::bptt::schedule::{Schedule, count};
use nnbook::compute::bptt::{Problem, facts, numeric};
use nnbook::compute::no_progress;
use nnbook::panels::{PanelKey, create};

/// Counts allocations and the most bytes held at once, per bench: the
/// optimal schedule's should not grow with T.
#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

/// Build the optimal schedule for T = 10⁶ with M slots and count it through
/// the checking tracker: the generator's task stack and the tracker's
/// stored set are both O(M).
#[divan::bench(args = [1, 8, 64, 1024], sample_count = 5, sample_size = 1)]
fn optimal_t1e6_build_and_count(b: Bencher, m: u64) {
    b.bench_local(|| count(Schedule::Optimal, black_box(1_000_000), m));
}

/// The same at M = 8 for growing T: time grows like T·r, memory stays put.
#[divan::bench(args = [10_000, 100_000, 1_000_000], sample_count = 5, sample_size = 1)]
fn optimal_m8_build_and_count(b: Bencher, t: u64) {
    b.bench_local(|| count(Schedule::Optimal, black_box(t), 8));
}

/// All p5 figures.
#[divan::bench]
fn all_facts(b: Bencher) {
    b.bench_local(|| {
        let mut f = nnbook::compute::Facts::new();
        facts(&mut f);
        black_box(f.len())
    });
}

/// A panel key at T=64, fixed M toggled between 2 and 3 so every iteration
/// recomputes (trace + numeric run + grad check).
#[divan::bench]
fn panel_key_t64_fixed_m(b: Bencher) {
    let mut p = create("bptt").expect("registered");
    p.handle(PanelKey::Char('s'));
    for _ in 0..6 {
        p.handle(PanelKey::Char('['));
        p.handle(PanelKey::Char('+'));
    }
    b.bench_local(|| {
        p.handle(PanelKey::Char(']'));
        p.handle(PanelKey::Char('['))
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn counts_recursive_t1e6(b: Bencher) {
    b.bench_local(|| count(Schedule::Recursive, black_box(1_000_000), 0));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn numeric_recursive_t4096_k64_c64(b: Bencher) {
    let p = Problem::seeded(1, 4096, 64, 64);
    b.bench_local(|| numeric(&p, Schedule::Recursive, 13, &mut no_progress));
}
