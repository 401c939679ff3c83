//! Batch normalisation over a mini-batch, forward and backward side by side.
//!
//! For an input `x` of shape [N][F] (N examples, F features), per feature j:
//!   μⱼ = (1/N) Σᵢ xᵢⱼ,  σ²ⱼ = (1/N) Σᵢ (xᵢⱼ − μⱼ)²  (biased, as in training mode)
//!   x̂ᵢⱼ = (xᵢⱼ − μⱼ) / √(σ²ⱼ + ε),  yᵢⱼ = γⱼ x̂ᵢⱼ + βⱼ.
//! NumPy: `xh = (x - x.mean(0)) / np.sqrt(x.var(0) + eps); y = gamma * xh + beta`.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use crate::compute::gradcheck::{self, GradCheck};
use crate::compute::rng;

/// ε inside the square root, PyTorch's default.
pub const EPS: f64 = 1e-5;

/// What the backward pass needs from the forward pass.
#[derive(Debug, Clone)]
pub struct BnCache {
    /// x̂, [N][F]
    pub xhat: Array2<f64>,
    /// 1/√(σ² + ε), [F]
    pub inv_std: Array1<f64>,
}

/// y = γ x̂ + β with batch statistics; returns y and the cache for backward.
pub fn forward(
    x: ArrayView2<'_, f64>,
    gamma: ArrayView1<'_, f64>,
    beta: ArrayView1<'_, f64>,
    eps: f64,
) -> (Array2<f64>, BnCache) {
    let n = x.nrows().max(1) as f64;
    let mean = x.sum_axis(Axis(0)) / n;
    let centered = &x - &mean;
    let var = centered.mapv(|v| v * v).sum_axis(Axis(0)) / n;
    let inv_std = var.mapv(|v| 1.0 / (v + eps).sqrt());
    let xhat = centered * &inv_std;
    let y = &xhat * &gamma + beta;
    (y, BnCache { xhat, inv_std })
}

/// Gradients of BN's inputs and parameters.
#[derive(Debug, Clone)]
pub struct BnGrads {
    pub dx: Array2<f64>,
    pub dgamma: Array1<f64>,
    pub dbeta: Array1<f64>,
}

/// Backward of [`forward`] given dL/dy:
///   dβ = Σᵢ dy,  dγ = Σᵢ dy ⊙ x̂,  dx̂ = dy ⊙ γ,
///   dx = (1/N)·(1/σ̃)·(N dx̂ − Σᵢ dx̂ − x̂ ⊙ Σᵢ (dx̂ ⊙ x̂)),  σ̃ = √(σ² + ε).
/// The last line is the chain rule through μ and σ², which both depend on every
/// row; it is why dx sums to zero over the batch (BN output ignores a shift of x).
pub fn backward(dy: ArrayView2<'_, f64>, gamma: ArrayView1<'_, f64>, cache: &BnCache) -> BnGrads {
    let n = dy.nrows().max(1) as f64;
    let dbeta = dy.sum_axis(Axis(0));
    let dgamma = (&dy * &cache.xhat).sum_axis(Axis(0));
    let dxhat = &dy * &gamma;
    let sum_dxhat = dxhat.sum_axis(Axis(0));
    let sum_dxhat_xhat = (&dxhat * &cache.xhat).sum_axis(Axis(0));
    let dx = (dxhat * n - &sum_dxhat - &cache.xhat * &sum_dxhat_xhat) * (&cache.inv_std / n);
    BnGrads { dx, dgamma, dbeta }
}

/// The batch statistics of [`forward`] without allocating, for the training
/// loop: `z` is [N][F] row-major, `mean` and `inv_std` ([F]) receive μ and
/// 1/√(σ² + ε). The operations and their order are [`forward`]'s (each sum runs
/// over the rows in order from 0, then is divided by N), so a normalisation
/// `(z − μ) · inv_std` built on them is equal to its x̂ bit for bit; a test
/// holds the two together.
pub(crate) fn batch_stats(z: &[f64], mean: &mut [f64], inv_std: &mut [f64], eps: f64) {
    let f = mean.len();
    let n = (z.len() / f.max(1)).max(1) as f64;
    mean.fill(0.0);
    for row in z.chunks_exact(f) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    // inv_std first holds Σ (z − μ)²
    inv_std.fill(0.0);
    for row in z.chunks_exact(f) {
        for ((acc, &m), &v) in inv_std.iter_mut().zip(&*mean).zip(row) {
            let c = v - m;
            *acc += c * c;
        }
    }
    inv_std
        .iter_mut()
        .for_each(|s| *s = 1.0 / (*s / n + eps).sqrt());
}

/// Scratch sums of [`backward_in_place`], [F] each.
pub(crate) struct BackwardSums {
    pub sum_dxhat: Vec<f64>,
    pub sum_dxhat_xhat: Vec<f64>,
}

impl BackwardSums {
    pub fn new(f: usize) -> Self {
        BackwardSums {
            sum_dxhat: vec![0.0; f],
            sum_dxhat_xhat: vec![0.0; f],
        }
    }
}

/// [`backward`] without allocating: `d` ([N][F] row-major) holds dL/dy on entry
/// and dL/dx on return; `dgamma` and `dbeta` ([F]) are overwritten. Two passes
/// over the rows instead of [`backward`]'s eight array operations, with the
/// same operations in the same order for every entry, so every result is equal
/// to [`backward`]'s bit for bit (a test holds them together).
pub(crate) fn backward_in_place(
    d: &mut [f64],
    gamma: &[f64],
    xhat: &[f64],
    inv_std: &[f64],
    (dgamma, dbeta): (&mut [f64], &mut [f64]),
    sums: &mut BackwardSums,
) {
    let f = gamma.len();
    let n = (d.len() / f.max(1)).max(1) as f64;
    // slices of length F, so the loops below carry no bounds checks and vectorise
    let (dgamma, dbeta, inv_std) = (&mut dgamma[..f], &mut dbeta[..f], &inv_std[..f]);
    let (s1, s2) = (&mut sums.sum_dxhat[..f], &mut sums.sum_dxhat_xhat[..f]);
    for a in [&mut *dgamma, &mut *dbeta, &mut *s1, &mut *s2] {
        a.fill(0.0);
    }
    for (dy, xh) in d.chunks_exact(f).zip(xhat.chunks_exact(f)) {
        let (dy, xh) = (&dy[..f], &xh[..f]);
        for j in 0..f {
            dbeta[j] += dy[j];
            dgamma[j] += dy[j] * xh[j];
            let dxh = dy[j] * gamma[j];
            s1[j] += dxh;
            s2[j] += dxh * xh[j];
        }
    }
    // dx = (N dx̂ − Σ dx̂ − x̂ ⊙ Σ dx̂ x̂) ⊙ (1/σ̃)/N, grouped as in `backward`
    for (dy, xh) in d.chunks_exact_mut(f).zip(xhat.chunks_exact(f)) {
        let (dy, xh) = (&mut dy[..f], &xh[..f]);
        for j in 0..f {
            let dxh = dy[j] * gamma[j];
            dy[j] = (dxh * n - s1[j] - xh[j] * s2[j]) * (inv_std[j] / n);
        }
    }
}

/// Central-difference check of [`backward`] on the loss L = Σ r ⊙ BN(x) with a
/// fixed random r (a plain Σ BN(x) would give dx ≡ 0 and test nothing).
/// Checks x, γ and β; returns the worst relative error over all of them.
pub fn grad_check(
    x: ArrayView2<'_, f64>,
    gamma: ArrayView1<'_, f64>,
    beta: ArrayView1<'_, f64>,
    seed: u64,
) -> GradCheck {
    let (n, f) = x.dim();
    let r: Array2<f64> = rng::normal(&mut rng::seeded(seed ^ 0xB4_7C_4E), (n, f), 1.0);
    let loss = |x: ArrayView2<'_, f64>, g: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>| {
        let (y, _) = forward(x, g, b, EPS);
        (&y * &r).sum()
    };
    let (_, cache) = forward(x, gamma, beta, EPS);
    let grads = backward(r.view(), gamma, &cache);

    let analytic: Vec<f64> = grads.dx.iter().copied().collect();
    let mut flat: Vec<f64> = x.iter().copied().collect();
    let cx = gradcheck::check(&mut flat, &analytic, |v| {
        // `v` always has x's length; a mismatch would show up as a NaN error.
        match ArrayView2::from_shape((n, f), v) {
            Ok(xv) => loss(xv, gamma, beta),
            Err(_) => f64::NAN,
        }
    });

    let mut g: Vec<f64> = gamma.to_vec();
    let cg = gradcheck::check(&mut g, &grads.dgamma.to_vec(), |v| {
        loss(x, ArrayView1::from(v), beta)
    });
    let mut b: Vec<f64> = beta.to_vec();
    let cb = gradcheck::check(&mut b, &grads.dbeta.to_vec(), |v| {
        loss(x, gamma, ArrayView1::from(v))
    });
    cx.merge(cg).merge(cb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn normalises_each_feature() {
        let x: Array2<f64> = rng::normal(&mut rng::seeded(3), (32, 5), 3.0) + 7.0;
        let ones = Array1::ones(5);
        let zeros = Array1::zeros(5);
        let (y, _) = forward(x.view(), ones.view(), zeros.view(), EPS);
        for col in y.columns() {
            let m = col.mean().unwrap();
            let v = col.mapv(|a| (a - m).powi(2)).mean().unwrap();
            assert!(m.abs() < 1e-12, "{m}");
            // biased variance of x̂ is σ²/(σ²+ε), a hair below 1
            assert!((v - 1.0).abs() < 1e-5, "{v}");
        }
    }

    #[test]
    fn gamma_and_beta_set_scale_and_shift() {
        // two examples, one feature: x̂ = ±1·√(1/(1+ε)), y = γ x̂ + β
        let x = array![[1.0], [3.0]];
        let (y, _) = forward(x.view(), array![2.0].view(), array![5.0].view(), 0.0);
        assert!((y[[0, 0]] - 3.0).abs() < 1e-12 && (y[[1, 0]] - 7.0).abs() < 1e-12);
    }

    #[test]
    fn backward_matches_finite_differences() {
        for (seed, n, f) in [(1, 8, 3), (2, 2, 4), (3, 17, 1)] {
            let x: Array2<f64> = rng::normal(&mut rng::seeded(seed), (n, f), 2.0);
            let gamma: Array1<f64> = rng::normal(&mut rng::seeded(seed + 10), f, 1.0);
            let beta: Array1<f64> = rng::normal(&mut rng::seeded(seed + 20), f, 1.0);
            let c = grad_check(x.view(), gamma.view(), beta.view(), seed);
            assert_eq!(c.checked, n * f + 2 * f);
            assert!(c.max_rel_error < 1e-7, "seed {seed}: {c:?}");
        }
    }

    fn bits<'a>(a: impl IntoIterator<Item = &'a f64>) -> Vec<u64> {
        a.into_iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn in_place_kernels_equal_forward_and_backward_bit_for_bit() {
        for (seed, n, f) in [(1, 64, 64), (2, 7, 3), (3, 256, 5), (4, 2, 1), (5, 1, 4)] {
            let x: Array2<f64> = rng::normal(&mut rng::seeded(seed), (n, f), 3.0) + 1.5;
            let gamma: Array1<f64> = rng::normal(&mut rng::seeded(seed + 10), f, 1.0);
            let beta: Array1<f64> = rng::normal(&mut rng::seeded(seed + 20), f, 1.0);
            let dy: Array2<f64> = rng::normal(&mut rng::seeded(seed + 30), (n, f), 1.0);
            let (y, cache) = forward(x.view(), gamma.view(), beta.view(), EPS);
            let want = backward(dy.view(), gamma.view(), &cache);

            let z = x.as_slice().unwrap();
            let (mut mean, mut inv_std) = (vec![0.0; f], vec![0.0; f]);
            batch_stats(z, &mut mean, &mut inv_std, EPS);
            assert_eq!(bits(&inv_std), bits(&cache.inv_std), "n={n} f={f}");
            let xhat: Vec<f64> = z
                .iter()
                .enumerate()
                .map(|(k, v)| (v - mean[k % f]) * inv_std[k % f])
                .collect();
            assert_eq!(bits(&xhat), bits(&cache.xhat), "n={n} f={f}");
            let y2 = xhat
                .iter()
                .enumerate()
                .map(|(k, v)| v * gamma[k % f] + beta[k % f]);
            assert_eq!(y2.map(f64::to_bits).collect::<Vec<_>>(), bits(&y));

            let mut d = dy.as_slice().unwrap().to_vec();
            let (mut dgamma, mut dbeta) = (vec![1.0; f], vec![1.0; f]);
            let mut sums = BackwardSums::new(f);
            let g = gamma.as_slice().unwrap();
            backward_in_place(
                &mut d,
                g,
                &xhat,
                &inv_std,
                (&mut dgamma, &mut dbeta),
                &mut sums,
            );
            assert_eq!(bits(&d), bits(&want.dx), "n={n} f={f}");
            assert_eq!(bits(&dgamma), bits(&want.dgamma));
            assert_eq!(bits(&dbeta), bits(&want.dbeta));
        }
    }

    #[test]
    fn grad_check_catches_a_wrong_backward() {
        // dropping the mean term of dx must be caught: compare against it directly
        let x: Array2<f64> = rng::normal(&mut rng::seeded(5), (6, 2), 1.0);
        let g = Array1::ones(2);
        let (_, cache) = forward(x.view(), g.view(), Array1::zeros(2).view(), EPS);
        let dy: Array2<f64> = rng::normal(&mut rng::seeded(6), (6, 2), 1.0);
        let right = backward(dy.view(), g.view(), &cache);
        let wrong = &dy * &cache.inv_std; // ignores that μ, σ depend on x
        let diff = (&right.dx - &wrong).mapv(f64::abs).sum();
        assert!(diff > 1e-3, "{diff}");
        // and dx sums to zero over the batch: BN is invariant to shifting x
        for s in right.dx.sum_axis(Axis(0)) {
            assert!(s.abs() < 1e-12);
        }
    }
}
