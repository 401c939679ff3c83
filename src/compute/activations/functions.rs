//! The five candidate activations of Problem 2 and their derivatives.
//!
//! Derivative convention for the non-smooth ones: min(0, x), ReLU(x − c) and
//! sign(x) are differentiable everywhere except at one point (the kink at 0 or c,
//! the jump of sign at 0). We use the almost-everywhere derivative and define it
//! as 0 at that single point, as PyTorch and JAX do for ReLU. For sign(x) the
//! derivative is therefore 0 *everywhere*: nothing below a sign unit ever
//! receives gradient (straight-through estimators, which pretend the derivative
//! is 1 on [−1, 1], are the usual workaround).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    /// (1) min(0, x)
    MinZero,
    /// (2) x/√2
    Scaled,
    /// (3) ReLU(x − c), c = 10 in the midterm
    ShiftedRelu,
    /// (4) exp(x)/(exp(x)+1), the logistic sigmoid
    Sigmoid,
    /// (5) sign(x)
    Sign,
}

/// The midterm's order, (1) to (5).
pub const ALL: [Act; 5] = [
    Act::MinZero,
    Act::Scaled,
    Act::ShiftedRelu,
    Act::Sigmoid,
    Act::Sign,
];

/// The shift c in ReLU(x − c) as the midterm writes it.
pub const MIDTERM_SHIFT: f64 = 10.0;

impl Act {
    /// The name as the midterm writes it (the shift is shown as given).
    pub fn name(self, shift: f64) -> String {
        match self {
            Act::MinZero => "min(0, x)".into(),
            Act::Scaled => "x/sqrt(2)".into(),
            Act::ShiftedRelu => format!("ReLU(x - {})", fmt_shift(shift)),
            Act::Sigmoid => "exp(x)/(exp(x)+1)".into(),
            Act::Sign => "sign(x)".into(),
        }
    }

    /// A short label for chart legends.
    pub fn short(self) -> &'static str {
        match self {
            Act::MinZero => "min0",
            Act::Scaled => "x/√2",
            Act::ShiftedRelu => "relu-c",
            Act::Sigmoid => "sigm",
            Act::Sign => "sign",
        }
    }

    /// act(x); `shift` is the c of ReLU(x − c) and ignored by the others.
    pub fn apply(self, x: f64, shift: f64) -> f64 {
        match self {
            Act::MinZero => x.min(0.0),
            Act::Scaled => x * std::f64::consts::FRAC_1_SQRT_2,
            Act::ShiftedRelu => (x - shift).max(0.0),
            Act::Sigmoid => sigmoid(x),
            Act::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// act'(x), with 0 at the kink or jump (see the module docs).
    pub fn derivative(self, x: f64, shift: f64) -> f64 {
        match self {
            Act::MinZero => {
                if x < 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Act::Scaled => std::f64::consts::FRAC_1_SQRT_2,
            Act::ShiftedRelu => {
                if x > shift {
                    1.0
                } else {
                    0.0
                }
            }
            Act::Sigmoid => {
                let s = sigmoid(x);
                s * (1.0 - s)
            }
            Act::Sign => 0.0,
        }
    }
}

impl Act {
    /// Calls `f(x, act(x), act'(x))` for every x, with the activation chosen
    /// once outside the loop (so each loop is monomorphic and the sigmoid's
    /// exponential is evaluated once per entry, not twice).
    pub fn for_each_with_derivative<'a>(
        self,
        xs: impl IntoIterator<Item = &'a f64>,
        shift: f64,
        mut f: impl FnMut(f64, f64, f64),
    ) {
        let xs = xs.into_iter().copied();
        match self {
            Act::Sigmoid => xs.for_each(|x| {
                let s = sigmoid(x);
                f(x, s, s * (1.0 - s))
            }),
            Act::MinZero => xs.for_each(|x| f(x, x.min(0.0), if x < 0.0 { 1.0 } else { 0.0 })),
            Act::Scaled => xs.for_each(|x| {
                f(
                    x,
                    x * std::f64::consts::FRAC_1_SQRT_2,
                    std::f64::consts::FRAC_1_SQRT_2,
                )
            }),
            Act::ShiftedRelu => xs.for_each(|x| {
                let on = x > shift;
                f(
                    x,
                    if on { x - shift } else { 0.0 },
                    if on { 1.0 } else { 0.0 },
                )
            }),
            Act::Sign => xs.for_each(|x| f(x, self.apply(x, shift), 0.0)),
        }
    }
}

/// Logistic sigmoid, written so that neither branch overflows.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

fn fmt_shift(c: f64) -> String {
    if c.fract() == 0.0 && c.abs() < 1e6 {
        format!("{c:.0}")
    } else {
        format!("{c}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central difference at points away from every kink matches `derivative`;
    /// at the kinks the convention (0) is asserted directly.
    #[test]
    fn derivatives_match_central_differences_away_from_kinks() {
        let h = 1e-6;
        for act in ALL {
            for &x in &[-3.7, -1.1, -0.4, 0.3, 0.9, 2.5, 10.6, 11.3] {
                let numeric = (act.apply(x + h, 10.0) - act.apply(x - h, 10.0)) / (2.0 * h);
                let analytic = act.derivative(x, 10.0);
                assert!(
                    (numeric - analytic).abs() < 1e-7,
                    "{act:?} at {x}: {numeric} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn the_fused_loop_agrees_with_apply_and_derivative() {
        let xs = [-12.0, -3.0, -0.0, 0.0, 0.5, 9.9, 10.0, 10.1, 40.0];
        for act in ALL {
            let mut seen = 0;
            act.for_each_with_derivative(&xs, 10.0, |x, a, g| {
                assert_eq!(a, act.apply(x, 10.0), "{act:?} {x}");
                assert_eq!(g, act.derivative(x, 10.0), "{act:?} {x}");
                seen += 1;
            });
            assert_eq!(seen, xs.len());
        }
    }

    #[test]
    fn conventions_at_the_kinks() {
        assert_eq!(Act::MinZero.derivative(0.0, 0.0), 0.0);
        assert_eq!(Act::ShiftedRelu.derivative(10.0, 10.0), 0.0);
        assert_eq!(Act::Sign.derivative(0.0, 0.0), 0.0);
        assert_eq!(Act::Sign.apply(0.0, 0.0), 0.0);
        // sigmoid'(0) = 1/4 is the largest the sigmoid's slope gets
        assert!((Act::Sigmoid.derivative(0.0, 0.0) - 0.25).abs() < 1e-15);
        assert!(Act::Sigmoid.derivative(3.0, 0.0) < 0.25);
    }

    #[test]
    fn min_zero_is_relu_up_to_sign() {
        // min(0, x) = −ReLU(−x)
        for &x in &[-2.0, -0.5, 0.0, 0.5, 2.0] {
            assert_eq!(Act::MinZero.apply(x, 0.0), -(-x).max(0.0));
        }
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn names_follow_the_midterm() {
        let names: Vec<_> = ALL.iter().map(|a| a.name(10.0)).collect();
        assert_eq!(
            names,
            [
                "min(0, x)",
                "x/sqrt(2)",
                "ReLU(x - 10)",
                "exp(x)/(exp(x)+1)",
                "sign(x)"
            ]
        );
    }
}
