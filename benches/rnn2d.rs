//! Problem 6 at H = W = C = 64: forward + backward of the cell-by-cell loop and
//! of the batched form, against ndarray's own matrix product (matrixmultiply, no
//! BLAS) at the shapes the batched form multiplies. Throughput is reported in
//! FLOPs per second under the module's convention (a C×C matrix–vector product
//! is C² mul + C(C − 1) add; an m×k by k×n product is mn(2k − 1)), so the
//! "elem/s" criterion prints are FLOP/s.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use ndarray::linalg::general_mat_mul;
use nnbook::compute::rng;
use nnbook::compute::rnn2d::{BENCH_SIZE, Problem, batched, flops, module};

const N: usize = BENCH_SIZE;

fn module_forward_backward(c: &mut Criterion) {
    let p = Problem::random(N, N, N, 1);
    let n = N as u64;
    let work = flops::forward(n, n, n).total() + flops::backward(n, n, n).total();
    let mut g = c.benchmark_group("rnn2d_64x64x64_fwd_bwd");
    g.sample_size(10);
    g.throughput(Throughput::Elements(work));
    g.bench_function("loop", |b| {
        b.iter(|| {
            let f = module::forward(black_box(&p.x), &p.weights);
            module::backward(&p.x, &p.weights, &f, &p.g)
        })
    });
    g.bench_function("batched", |b| {
        b.iter(|| {
            let f = batched::forward(black_box(&p.x), &p.weights);
            batched::backward(&p.x, &p.weights, &f, &p.g)
        })
    });
    g.finish();
    let mut g = c.benchmark_group("rnn2d_64x64x64_batched_parts");
    g.sample_size(10);
    let f = batched::forward(&p.x, &p.weights);
    g.throughput(Throughput::Elements(flops::forward(n, n, n).total()));
    g.bench_function("forward", |b| {
        b.iter(|| batched::forward(black_box(&p.x), &p.weights))
    });
    g.throughput(Throughput::Elements(flops::backward(n, n, n).total()));
    g.bench_function("backward", |b| {
        b.iter(|| batched::backward(black_box(&p.x), &p.weights, &f, &p.g))
    });
    // tanh alone: the module's own (one exp + a division) against libm's.
    let pre: Array2<f64> = rng::uniform(&mut rng::seeded(3), (512, 512), 1.5);
    g.throughput(Throughput::Elements(512 * 512));
    let mut buf = pre.clone();
    g.bench_function("tanh_module_256k", |b| {
        b.iter(|| {
            buf.assign(&pre);
            buf.mapv_inplace(module::tanh);
        })
    });
    g.bench_function("tanh_libm_256k", |b| {
        b.iter(|| {
            buf.assign(&pre);
            buf.mapv_inplace(f64::tanh);
        })
    });
    g.finish();
}

fn matmul(c: &mut Criterion) {
    let mut r = rng::seeded(2);
    let mut g = c.benchmark_group("ndarray_matmul");
    g.sample_size(30);
    // (H×C)(C×C): the "one (H×C)(C×C) product per step".
    // (H×2C)(2C×C): what the batched forward actually multiplies ([h | x] by [W_hh | W_xh]ᵀ).
    for (m, k, n) in [(N, N, N), (N, 2 * N, N), (N, N, 2 * N)] {
        let a: Array2<f64> = rng::uniform(&mut r, (m, k), 1.0);
        let b: Array2<f64> = rng::uniform(&mut r, (k, n), 1.0);
        let mut out = Array2::<f64>::zeros((m, n));
        g.throughput(Throughput::Elements((m * n * (2 * k - 1)) as u64));
        g.bench_function(format!("{m}x{k}x{n}"), |bch| {
            bch.iter(|| general_mat_mul(1.0, black_box(&a), &b, 0.0, &mut out))
        });
    }
    g.finish();
}

/// Facts are built on every start and must stay well under a millisecond.
fn facts(c: &mut Criterion) {
    c.bench_function("rnn2d_facts", |b| {
        b.iter(|| {
            let mut f = nnbook::compute::Facts::new();
            nnbook::compute::rnn2d::facts(&mut f);
            f
        })
    });
}

criterion_group!(benches, module_forward_backward, matmul, facts);
criterion_main!(benches);
