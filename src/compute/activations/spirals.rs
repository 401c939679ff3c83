//! Two interleaved spirals: a small nonlinear toy task with a fixed generator.
//!
//! Class k ∈ {0, 1}, point i of n per class, t = i / n:
//!   r = 0.1 + 0.9 t,  θ = 2π · turns · t + kπ,
//!   p = r (cos θ, sin θ) + noise · N(0, I).
//! No straight line separates them, so a network that is affine overall (a
//! linear classifier) cannot do much better than chance.

use ndarray::Array2;
use serde::Serialize;

use crate::compute::rng;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpiralSpec {
    /// Points per class.
    pub per_class: usize,
    pub turns: f64,
    pub noise: f64,
}

#[derive(Debug, Clone)]
pub struct Spirals {
    /// [P][2]: class 0 first, then class 1.
    pub x: Array2<f64>,
    /// Labels 0.0 or 1.0, [P].
    pub y: Vec<f64>,
}

pub fn generate(spec: SpiralSpec, seed: u64) -> Spirals {
    let mut rng = rng::seeded(seed ^ 0x5_91_2A_15);
    let n = spec.per_class;
    let mut x = Array2::zeros((2 * n, 2));
    let mut y = Vec::with_capacity(2 * n);
    for k in 0..2 {
        for i in 0..n {
            let t = i as f64 / n.max(1) as f64;
            let r = 0.1 + 0.9 * t;
            let theta = std::f64::consts::TAU * spec.turns * t + k as f64 * std::f64::consts::PI;
            let row = k * n + i;
            x[[row, 0]] = r * theta.cos() + spec.noise * rng::standard_normal(&mut rng);
            x[[row, 1]] = r * theta.sin() + spec.noise * rng::standard_normal(&mut rng);
            y.push(k as f64);
        }
    }
    Spirals { x, y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_point_reflections_without_noise() {
        // θ + π flips both coordinates: class 1 is class 0 rotated by 180°
        let s = generate(
            SpiralSpec {
                per_class: 10,
                turns: 1.5,
                noise: 0.0,
            },
            3,
        );
        for i in 0..10 {
            assert!((s.x[[i, 0]] + s.x[[10 + i, 0]]).abs() < 1e-12);
            assert!((s.x[[i, 1]] + s.x[[10 + i, 1]]).abs() < 1e-12);
        }
        assert_eq!(s.y.iter().filter(|&&v| v == 1.0).count(), 10);
    }
}
