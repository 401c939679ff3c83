//! Floating-point operation counts: exact formulas, and a counter that tallies
//! the operations the cell-by-cell loop actually executes.
//!
//! Convention: a multiplication, an addition or a subtraction is one FLOP each; a
//! C×C matrix times a C-vector is C² multiplications + C(C − 1) additions; tanh
//! is one FLOP per element (other conventions charge it 10–20 for the
//! exponentials; see [`ratio_with_tanh_cost`]). The zero initial state is
//! multiplied like any other (the loop does not special-case t = 0).

use serde::Serialize;

use super::module::{Observer, Ops};
use super::{Image, Problem, Weights, module};

/// Multiplications, additions and tanh evaluations, with their total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FlopCount {
    pub mul: u64,
    pub add: u64,
    pub tanh: u64,
}

impl FlopCount {
    pub fn total(&self) -> u64 {
        self.mul + self.add + self.tanh
    }

    fn scaled(self, n: u64) -> FlopCount {
        FlopCount {
            mul: self.mul * n,
            add: self.add * n,
            tanh: self.tanh * n,
        }
    }
}

/// One forward step of one RNN: two matrix–vector products (2C² mul,
/// 2C(C − 1) add), their sum (C add) and tanh (C): 4C² in total.
pub fn forward_per_cell(c: u64) -> FlopCount {
    FlopCount {
        mul: 2 * c * c,
        add: 2 * c * (c - 1) + c,
        tanh: c,
    }
}

/// One backward step of one RNN: dh = dh_out + dh_next (C add), da = dh ⊙ (1 − h²)
/// (2C mul, C add), two outer-product accumulations (2C² mul, 2C² add) and two
/// transposed matrix–vector products (2C² mul, 2C(C − 1) add): 8C² + 2C.
pub fn backward_per_cell(c: u64) -> FlopCount {
    FlopCount {
        mul: 4 * c * c + 2 * c,
        add: 2 * c + 2 * c * c + 2 * c * (c - 1),
        tanh: 0,
    }
}

/// Forward pass: both RNNs visit all H·W cells, so 2·H·W·4C² = 8HWC².
pub fn forward(h: u64, w: u64, c: u64) -> FlopCount {
    forward_per_cell(c).scaled(2 * h * w)
}

/// Backward pass: 2·H·W·(8C² + 2C) = HW(16C² + 4C).
pub fn backward(h: u64, w: u64, c: u64) -> FlopCount {
    backward_per_cell(c).scaled(2 * h * w)
}

/// A 3×3 convolution, C in and C out channels, same padding, at H×W, counted as
/// in Problem 1: 2·9·C FLOPs per output element (9C multiplications, 9C − 1
/// additions and the bias addition), H·W·C outputs: 18HWC².
pub fn conv3x3(h: u64, w: u64, c: u64) -> u64 {
    2 * 9 * c * h * w * c
}

/// Forward FLOPs of the module over the conv's: 8HWC² / 18HWC² = 4/9 for every C.
pub fn ratio(c: u64) -> f64 {
    forward(1, 1, c).total() as f64 / conv3x3(1, 1, c) as f64
}

/// The same ratio without the conv's bias (18C − 1 per output): 8C / (18C − 1).
pub fn ratio_conv_without_bias(c: u64) -> f64 {
    forward(1, 1, c).total() as f64 / (c * (18 * c - 1)) as f64
}

/// The ratio if one tanh costs `k` FLOPs: (8C² + 2(k − 1)C) / 18C² = 4/9 + (k − 1)/(9C).
pub fn ratio_with_tanh_cost(c: u64, k: u64) -> f64 {
    let f = forward(1, 1, c);
    (f.mul + f.add + k * f.tanh) as f64 / conv3x3(1, 1, c) as f64
}

/// Tallies the operations the loop reports.
#[derive(Debug, Default)]
pub struct Counter(pub FlopCount);

impl Observer for Counter {
    fn ops(&mut self, ops: Ops) {
        self.0.mul += ops.mul;
        self.0.add += ops.add;
        self.0.tanh += ops.tanh;
    }
}

/// Run the cell-by-cell module once, counting what it executes:
/// (forward count, backward count).
pub fn counted(p: &Problem) -> (FlopCount, FlopCount) {
    counted_parts(&p.x, &p.weights, &p.g)
}

fn counted_parts(x: &Image, w: &Weights, g: &Image) -> (FlopCount, FlopCount) {
    let mut fwd_count = Counter::default();
    let fwd = module::forward_with(x, w, &mut fwd_count);
    let mut bwd_count = Counter::default();
    module::backward_with(x, w, &fwd, g, &mut bwd_count);
    (fwd_count.0, bwd_count.0)
}
