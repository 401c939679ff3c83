//! Central finite differences: the check every hand-written backward pass in
//! nnbook is held to, in tests and live in the panels.

use serde::Serialize;

/// Step for central differences in f64: truncation error ~h², rounding ~ε/h,
/// balanced near ε^(1/3) ≈ 6e-6.
pub const STEP: f64 = 1e-5;

/// Below this magnitude the denominator of the relative error is clamped, so an
/// entry whose true gradient is tiny or zero is judged by its absolute error
/// (central differences leave ~h² ≈ 1e-10 of truncation error there) instead of
/// dividing that noise by a near-zero magnitude.
pub const DENOMINATOR_FLOOR: f64 = 1e-2;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GradCheck {
    /// max over entries of |analytic − numeric| / max(|analytic|, |numeric|, floor)
    pub max_rel_error: f64,
    /// Index (into the flattened input) where that maximum occurs.
    pub worst_index: usize,
    /// How many entries were compared.
    pub checked: usize,
}

impl GradCheck {
    pub const NONE: GradCheck = GradCheck {
        max_rel_error: 0.0,
        worst_index: 0,
        checked: 0,
    };

    /// Combine the checks of several inputs (weights, data) into one figure.
    pub fn merge(self, other: GradCheck) -> GradCheck {
        let worst = if other.max_rel_error > self.max_rel_error {
            other
        } else {
            self
        };
        GradCheck {
            checked: self.checked + other.checked,
            ..worst
        }
    }
}

pub fn relative_error(analytic: f64, numeric: f64) -> f64 {
    let denom = analytic.abs().max(numeric.abs()).max(DENOMINATOR_FLOOR);
    (analytic - numeric).abs() / denom
}

/// Compare `analytic[i]` with (f(x + h eᵢ) − f(x − h eᵢ)) / 2h for every entry of
/// `x`. `x` is perturbed in place and restored exactly before returning.
pub fn check(x: &mut [f64], analytic: &[f64], mut loss: impl FnMut(&[f64]) -> f64) -> GradCheck {
    assert_eq!(x.len(), analytic.len(), "gradient shape must match input");
    let mut result = GradCheck {
        checked: x.len(),
        ..GradCheck::NONE
    };
    for i in 0..x.len() {
        let original = x[i];
        x[i] = original + STEP;
        let plus = loss(x);
        x[i] = original - STEP;
        let minus = loss(x);
        x[i] = original;
        let numeric = (plus - minus) / (2.0 * STEP);
        let err = relative_error(analytic[i], numeric);
        if err > result.max_rel_error || err.is_nan() {
            result.max_rel_error = err;
            result.worst_index = i;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_correct_gradient() {
        // f(x) = Σ sin(xᵢ)·xᵢ², f'(x) = cos(x)x² + 2x sin(x)
        let mut x = vec![0.3, -1.2, 2.0, 0.0];
        let grad: Vec<f64> = x
            .iter()
            .map(|v: &f64| v.cos() * v * v + 2.0 * v * v.sin())
            .collect();
        let r = check(&mut x, &grad, |x| x.iter().map(|v| v.sin() * v * v).sum());
        assert!(r.max_rel_error < 1e-8, "{r:?}");
        assert_eq!(x, vec![0.3, -1.2, 2.0, 0.0]);
    }

    #[test]
    fn rejects_a_wrong_gradient() {
        let mut x = vec![0.5, 1.5];
        let wrong = vec![1.0, 3.0 * 1.01]; // d/dx x² = 2x; second entry off by 1%
        let r = check(&mut x, &wrong, |x| x.iter().map(|v| v * v).sum());
        assert_eq!(r.worst_index, 1);
        assert!(r.max_rel_error > 5e-3, "{r:?}");
    }
}
