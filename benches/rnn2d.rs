//! Problem 6 at H = W = C = 64: forward + backward of the cell-by-cell loop and
//! of the batched form, against ndarray's own matrix product (matrixmultiply, no
//! BLAS) at the shapes the batched form multiplies. Throughput is counted in
//! FLOPs under the module's convention (a C×C matrix–vector product is C² mul +
//! C(C − 1) add; an m×k by k×n product is mn(2k − 1)), so divan's "item/s"
//! column reads as FLOP/s.

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use ndarray::Array2;
use ndarray::linalg::general_mat_mul;
use nnbook::compute::rng;
use nnbook::compute::rnn2d::{BENCH_SIZE, Problem, batched, flops, module};

const N: usize = BENCH_SIZE;

fn main() {
    divan::main();
}

fn problem() -> Problem {
    Problem::random(N, N, N, 1)
}

fn fwd_bwd_flops_total() -> u64 {
    let n = N as u64;
    flops::forward(n, n, n).total() + flops::backward(n, n, n).total()
}

fn fwd_bwd_flops() -> ItemsCount {
    ItemsCount::new(fwd_bwd_flops_total())
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn fwd_bwd_loop(b: Bencher) {
    let p = problem();
    b.counter(fwd_bwd_flops()).bench_local(|| {
        let f = module::forward(black_box(&p.x), &p.weights);
        module::backward(&p.x, &p.weights, &f, &p.g)
    });
}

#[divan::bench(sample_count = 25, sample_size = 1)]
fn fwd_bwd_batched(b: Bencher) {
    let p = problem();
    b.counter(fwd_bwd_flops()).bench_local(|| {
        let f = batched::forward(black_box(&p.x), &p.weights);
        batched::backward(&p.x, &p.weights, &f, &p.g)
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn batched_forward(b: Bencher) {
    let p = problem();
    let n = N as u64;
    b.counter(ItemsCount::new(flops::forward(n, n, n).total()))
        .bench_local(|| batched::forward(black_box(&p.x), &p.weights));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn batched_backward(b: Bencher) {
    let p = problem();
    let f = batched::forward(&p.x, &p.weights);
    let n = N as u64;
    b.counter(ItemsCount::new(flops::backward(n, n, n).total()))
        .bench_local(|| batched::backward(black_box(&p.x), &p.weights, &f, &p.g));
}

/// tanh alone over 256k values, in place: the loop form's (one exp and a
/// division, called per value), libm's, and the batched form's branch-free one
/// over the slice as its scans apply it (vectorised).
#[divan::bench(args = ["module", "libm", "batched"])]
fn tanh_256k(b: Bencher, which: &str) {
    let pre: Array2<f64> = rng::uniform(&mut rng::seeded(3), (512, 512), 1.5);
    let f: fn(&mut [f64]) = match which {
        "module" => |v| v.iter_mut().for_each(|x| *x = module::tanh(*x)),
        "libm" => |v| v.iter_mut().for_each(|x| *x = x.tanh()),
        _ => batched::tanh_in_place,
    };
    let mut buf = pre.clone();
    b.counter(ItemsCount::new(512u64 * 512)).bench_local(|| {
        buf.assign(&pre);
        f(buf.as_slice_mut().expect("standard layout"));
    });
}

/// (H×C)(C×C): the "one (H×C)(C×C) product per step", the target's
/// reference; (H×2C)(2C×C): the batched forward's product per step
/// ([h_{t−1} | u_t] by [W_hh | W_in]ᵀ); (H×C)(C×2C): each of the backward's two.
#[divan::bench(args = [(N, N, N), (N, 2 * N, N), (N, N, 2 * N)])]
fn ndarray_matmul(bch: Bencher, (m, k, n): (usize, usize, usize)) {
    let mut r = rng::seeded(2);
    let a: Array2<f64> = rng::uniform(&mut r, (m, k), 1.0);
    let b: Array2<f64> = rng::uniform(&mut r, (k, n), 1.0);
    let mut out = Array2::<f64>::zeros((m, n));
    bch.counter(ItemsCount::new((m * n * (2 * k - 1)) as u64))
        .bench_local(|| general_mat_mul(1.0, black_box(&a), &b, 0.0, &mut out));
}

/// The same 64³ product as `ndarray_matmul`, repeated until it has done the
/// FLOPs of one batched forward + backward (768 products), so each sample
/// lasts as long as a `fwd_bwd_batched` sample (~10 ms). On a loaded machine
/// a sample that long is preempted about as often as the 2D RNN's, while
/// 16 µs samples mostly run between preemptions: their median is the
/// throughput of an idle core. Compare `fwd_bwd_batched` with this one when
/// other work is running.
#[divan::bench(sample_count = 25, sample_size = 1)]
fn ndarray_matmul_fwd_bwd_work(bch: Bencher) {
    let mut r = rng::seeded(2);
    let a: Array2<f64> = rng::uniform(&mut r, (N, N), 1.0);
    let b: Array2<f64> = rng::uniform(&mut r, (N, N), 1.0);
    let mut out = Array2::<f64>::zeros((N, N));
    let per_product = (N * N * (2 * N - 1)) as u64;
    let products = fwd_bwd_flops_total().div_ceil(per_product);
    bch.counter(ItemsCount::new(products * per_product))
        .bench_local(|| {
            for _ in 0..products {
                general_mat_mul(1.0, black_box(&a), &b, 0.0, &mut out);
            }
        });
}

/// Facts are built on every start and must stay well under a millisecond.
#[divan::bench]
fn rnn2d_facts(b: Bencher) {
    b.bench_local(|| {
        let mut f = nnbook::compute::Facts::new();
        nnbook::compute::rnn2d::facts(&mut f);
        f
    });
}
