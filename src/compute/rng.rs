//! Seeded random inputs: every random tensor in nnbook is reproducible from a
//! `u64` seed, and the JSON output carries the tensors themselves so nobody has
//! to reproduce our generator to recheck a result.

use ndarray::{Array, Dimension, ShapeBuilder};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub fn seeded(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// An array of the given shape with entries uniform in `[-scale, scale)`.
pub fn uniform<D, Sh>(rng: &mut StdRng, shape: Sh, scale: f64) -> Array<f64, D>
where
    D: Dimension,
    Sh: ShapeBuilder<Dim = D>,
{
    Array::from_shape_simple_fn(shape, || rng.random_range(-scale..scale))
}

/// An array of the given shape with standard normal entries times `scale`
/// (Box–Muller, so we need no extra distribution crate).
pub fn normal<D, Sh>(rng: &mut StdRng, shape: Sh, scale: f64) -> Array<f64, D>
where
    D: Dimension,
    Sh: ShapeBuilder<Dim = D>,
{
    Array::from_shape_simple_fn(shape, || scale * standard_normal(rng))
}

pub fn standard_normal(rng: &mut StdRng) -> f64 {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn same_seed_same_numbers() {
        let a: Array2<f64> = uniform(&mut seeded(7), (3, 4), 1.0);
        let b: Array2<f64> = uniform(&mut seeded(7), (3, 4), 1.0);
        assert_eq!(a, b);
        assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
    }

    #[test]
    fn normal_has_roughly_unit_variance() {
        let a: Array2<f64> = normal(&mut seeded(1), (200, 100), 1.0);
        let mean = a.mean().unwrap();
        let var = a.mapv(|v| (v - mean).powi(2)).mean().unwrap();
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }
}
