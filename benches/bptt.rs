//! Speed of Problem 5: the facts built at every start, one panel recompute
//! (trace + numeric run + grad check), exact counts at the largest T, and the
//! worst numeric run the CLI allows.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use nnbook::compute::bptt::schedule::{Schedule, count};
use nnbook::compute::bptt::{Problem, facts, numeric};
use nnbook::compute::no_progress;
use nnbook::panels::{PanelKey, create};

fn benches(c: &mut Criterion) {
    c.bench_function("facts (all p5 figures)", |b| {
        b.iter(|| {
            let mut f = nnbook::compute::Facts::new();
            facts(&mut f);
            black_box(f.len())
        })
    });
    c.bench_function(
        "panel key: T=64 fixed M=2 (trace + numeric + grad check)",
        |b| {
            let mut p = create("bptt").expect("registered");
            p.handle(PanelKey::Char('s'));
            for _ in 0..6 {
                p.handle(PanelKey::Char('['));
                p.handle(PanelKey::Char('+'));
            }
            // Toggle M between 2 and 3 so every iteration recomputes.
            b.iter(|| {
                p.handle(PanelKey::Char(']'));
                p.handle(PanelKey::Char('['))
            })
        },
    );
    let mut g = c.benchmark_group("slow");
    g.sample_size(10);
    g.bench_function("counts recursive T=1e6 (instrumented)", |b| {
        b.iter(|| count(Schedule::Recursive, black_box(1_000_000), 0))
    });
    g.bench_function("numeric recursive T=4096 K=64 C=64", |b| {
        let p = Problem::seeded(1, 4096, 64, 64);
        b.iter(|| numeric(&p, Schedule::Recursive, 13, &mut no_progress))
    });
    g.finish();
}

criterion_group!(bptt, benches);
criterion_main!(bptt);
