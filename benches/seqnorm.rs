//! Speed of Problem 4: the facts built at every start (target well under
//! 0.3 ms), one panel recompute per key press, and the CLI's bounded worst
//! case (T=64, K=16 with all three grad checks).

use divan::{Bencher, black_box};
use nnbook::compute::seqnorm::{
    DEFAULT_EPS, DEFAULT_K, DEFAULT_T, Inputs, MAX_K, MAX_T, Rate, Solution, facts,
};
use nnbook::panels::{PanelKey, create};

const RATE: Rate = Rate::Ema { alpha: 0.25 };

fn main() {
    divan::main();
}

/// All p4 figures.
#[divan::bench]
fn all_facts(b: Bencher) {
    b.bench_local(|| {
        let mut f = nnbook::compute::Facts::new();
        facts(&mut f);
        black_box(f.len())
    });
}

/// The panel's recompute: T=8, K=3.
#[divan::bench]
fn solution_t8_k3(b: Bencher) {
    b.bench_local(|| {
        Solution::new(
            Inputs::seeded(black_box(1), DEFAULT_T, DEFAULT_K, DEFAULT_EPS, RATE),
            4,
        )
    });
}

/// A panel key press (s: reseed).
#[divan::bench]
fn panel_key_reseed(b: Bencher) {
    let mut p = create("seqnorm").expect("registered");
    b.bench_local(|| black_box(p.handle(PanelKey::Char('s'))));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn worst_case_t64_k16(b: Bencher) {
    b.bench_local(|| Solution::new(Inputs::seeded(1, MAX_T, MAX_K, DEFAULT_EPS, RATE), 0));
}
