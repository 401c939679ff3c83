//! Speed of Problem 5: the facts built at every start, one panel recompute
//! (trace + numeric run + grad check), exact counts at the largest T, and the
//! worst numeric run the CLI allows.

use divan::{Bencher, black_box};
use nnbook::compute::bptt::schedule::{Schedule, count};
use nnbook::compute::bptt::{Problem, facts, numeric};
use nnbook::compute::no_progress;
use nnbook::panels::{PanelKey, create};

fn main() {
    divan::main();
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
