//! The module cell by cell: the reference implementation, written in the same
//! loop order as the pseudocode in `content/p6-rnn2d.md`.
//!
//! Every loop reports what it does to an [`Observer`]: the plain functions pass
//! `()` (whose methods are empty and compile away), the trace records each step
//! ([`super::trace`]) and the FLOP counter counts each arithmetic operation as it
//! is executed ([`super::flops::Counter`]).

use super::{Forward, Grads, Image, Rnn, Weights, image_from_vec, mat_from_vec};

/// Arithmetic operations executed by one primitive, reported to the observer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ops {
    pub mul: u64,
    pub add: u64,
    pub tanh: u64,
}

/// One forward step: `pre = W_hh h_prev + W_in input`, `h = tanh(pre)` at cell (i, j).
#[derive(Debug)]
pub struct ForwardView<'a> {
    pub rnn: Rnn,
    pub i: usize,
    pub j: usize,
    pub h_prev: &'a [f64],
    pub input: &'a [f64],
    pub pre: &'a [f64],
    pub h: &'a [f64],
}

/// One backward step at cell (i, j) of one RNN.
#[derive(Debug)]
pub struct BackwardView<'a> {
    pub rnn: Rnn,
    pub i: usize,
    pub j: usize,
    /// Gradient arriving at h from outside this scan: G[i,j] for B, dY[i,j] for A.
    pub dh_out: &'a [f64],
    /// Gradient arriving at h from the next time step of the same scan.
    pub dh_next: &'a [f64],
    /// dh = dh_out + dh_next.
    pub dh: &'a [f64],
    pub h: &'a [f64],
    /// da = dh ⊙ (1 − h²), the gradient at the pre-activation.
    pub da: &'a [f64],
    pub h_prev: &'a [f64],
    pub input: &'a [f64],
    /// W_hhᵀ da: becomes dh_next of the previous time step.
    pub dh_prev: &'a [f64],
    /// W_inᵀ da: dX[i,j] for A, dY[i,j] for B.
    pub d_input: &'a [f64],
}

/// Receives what the loops do. Every method defaults to doing nothing.
pub trait Observer {
    fn ops(&mut self, _ops: Ops) {}
    fn forward_step(&mut self, _step: &ForwardView<'_>) {}
    fn backward_step(&mut self, _step: &BackwardView<'_>) {}
}

impl Observer for () {}

pub fn forward(x: &Image, w: &Weights) -> Forward {
    forward_with(x, w, &mut ())
}

pub fn backward(x: &Image, w: &Weights, fwd: &Forward, g: &Image) -> Grads {
    backward_with(x, w, fwd, g, &mut ())
}

/// Flat row-major copies, so a cell is a contiguous slice `[cell(i, j)]`.
struct Grid {
    width: usize,
    c: usize,
}

impl Grid {
    fn cell(&self, i: usize, j: usize) -> std::ops::Range<usize> {
        let start = (i * self.width + j) * self.c;
        start..start + self.c
    }
}

fn flat<'a>(a: impl IntoIterator<Item = &'a f64>) -> Vec<f64> {
    a.into_iter().copied().collect()
}

/// Forward pass. `x` is [H][W][C]; every weight is [C][C].
pub fn forward_with<O: Observer>(x: &Image, w: &Weights, obs: &mut O) -> Forward {
    let (hh, ww, c) = x.dim();
    let grid = Grid { width: ww, c };
    let x = flat(x);
    let (w_hh_a, w_xh_a) = (flat(&w.w_hh_a), flat(&w.w_xh_a));
    let (w_hh_b, w_yh_b) = (flat(&w.w_hh_b), flat(&w.w_yh_b));
    let zero = vec![0.0; c];
    let mut pre = vec![0.0; c];
    let mut h = vec![0.0; c];

    // RNN A: along each row i, left to right (t = j), zero initial state.
    let mut h_a = vec![0.0; hh * ww * c];
    for i in 0..hh {
        for j in 0..ww {
            let h_prev = if j == 0 {
                &zero[..]
            } else {
                &h_a[grid.cell(i, j - 1)]
            };
            let input = &x[grid.cell(i, j)];
            step(&w_hh_a, &w_xh_a, h_prev, input, &mut pre, &mut h, obs);
            obs.forward_step(&ForwardView {
                rnn: Rnn::A,
                i,
                j,
                h_prev,
                input,
                pre: &pre,
                h: &h,
            });
            h_a[grid.cell(i, j)].copy_from_slice(&h);
        }
    }

    // RNN B: along each column j of Y = H^A, top to bottom (t = i), zero initial state.
    let y = &h_a;
    let mut h_b = vec![0.0; hh * ww * c];
    for j in 0..ww {
        for i in 0..hh {
            let h_prev = if i == 0 {
                &zero[..]
            } else {
                &h_b[grid.cell(i - 1, j)]
            };
            let input = &y[grid.cell(i, j)];
            step(&w_hh_b, &w_yh_b, h_prev, input, &mut pre, &mut h, obs);
            obs.forward_step(&ForwardView {
                rnn: Rnn::B,
                i,
                j,
                h_prev,
                input,
                pre: &pre,
                h: &h,
            });
            h_b[grid.cell(i, j)].copy_from_slice(&h);
        }
    }
    let dims = (hh, ww, c);
    Forward {
        h_a: image_from_vec(dims, h_a),
        h_b: image_from_vec(dims, h_b),
    }
}

/// Backward pass: both scans in reverse order, B first (it is the last thing the
/// forward pass did), then A, which receives dY = dH^A from B.
pub fn backward_with<O: Observer>(
    x: &Image,
    w: &Weights,
    fwd: &Forward,
    g: &Image,
    obs: &mut O,
) -> Grads {
    let (hh, ww, c) = x.dim();
    let grid = Grid { width: ww, c };
    let x = flat(x);
    let g = flat(g);
    let h_a = flat(&fwd.h_a);
    let h_b = flat(&fwd.h_b);
    let (w_hh_a, w_xh_a) = (flat(&w.w_hh_a), flat(&w.w_xh_a));
    let (w_hh_b, w_yh_b) = (flat(&w.w_hh_b), flat(&w.w_yh_b));
    let zero = vec![0.0; c];
    let mut scratch = Scratch::new(c);

    // RNN B backward: each column j, t = i from H−1 down to 0.
    let mut d_w_hh_b = vec![0.0; c * c];
    let mut d_w_yh_b = vec![0.0; c * c];
    let mut d_y = vec![0.0; hh * ww * c];
    for j in 0..ww {
        scratch.dh_next.fill(0.0);
        for i in (0..hh).rev() {
            let h_prev = if i == 0 {
                &zero[..]
            } else {
                &h_b[grid.cell(i - 1, j)]
            };
            let cell = CellInputs {
                dh_out: &g[grid.cell(i, j)],
                h: &h_b[grid.cell(i, j)],
                h_prev,
                input: &h_a[grid.cell(i, j)],
            };
            backward_step(
                (&w_hh_b, &w_yh_b),
                (&mut d_w_hh_b, &mut d_w_yh_b),
                &cell,
                &mut scratch,
                obs,
            );
            obs.backward_step(&scratch.view(Rnn::B, i, j, &cell));
            d_y[grid.cell(i, j)].copy_from_slice(&scratch.d_input);
            std::mem::swap(&mut scratch.dh_next, &mut scratch.dh_prev);
        }
    }

    // RNN A backward: each row i, t = j from W−1 down to 0; the gradient from
    // outside the scan is dY[i,j], everything B sent back into its input.
    let mut d_w_hh_a = vec![0.0; c * c];
    let mut d_w_xh_a = vec![0.0; c * c];
    let mut d_x = vec![0.0; hh * ww * c];
    for i in 0..hh {
        scratch.dh_next.fill(0.0);
        for j in (0..ww).rev() {
            let h_prev = if j == 0 {
                &zero[..]
            } else {
                &h_a[grid.cell(i, j - 1)]
            };
            let cell = CellInputs {
                dh_out: &d_y[grid.cell(i, j)],
                h: &h_a[grid.cell(i, j)],
                h_prev,
                input: &x[grid.cell(i, j)],
            };
            backward_step(
                (&w_hh_a, &w_xh_a),
                (&mut d_w_hh_a, &mut d_w_xh_a),
                &cell,
                &mut scratch,
                obs,
            );
            obs.backward_step(&scratch.view(Rnn::A, i, j, &cell));
            d_x[grid.cell(i, j)].copy_from_slice(&scratch.d_input);
            std::mem::swap(&mut scratch.dh_next, &mut scratch.dh_prev);
        }
    }

    let dims = (hh, ww, c);
    Grads {
        x: image_from_vec(dims, d_x),
        w_hh_a: mat_from_vec(c, d_w_hh_a),
        w_xh_a: mat_from_vec(c, d_w_xh_a),
        w_hh_b: mat_from_vec(c, d_w_hh_b),
        w_yh_b: mat_from_vec(c, d_w_yh_b),
    }
}

/// One RNN step: pre = W_hh h_prev + W_in input; h = tanh(pre).
fn step<O: Observer>(
    w_hh: &[f64],
    w_in: &[f64],
    h_prev: &[f64],
    input: &[f64],
    pre: &mut [f64],
    h: &mut [f64],
    obs: &mut O,
) {
    let mut ops = Ops::default();
    let c = h.len();
    for r in 0..c {
        let recurrent = dot(&w_hh[r * c..(r + 1) * c], h_prev, &mut ops);
        let from_input = dot(&w_in[r * c..(r + 1) * c], input, &mut ops);
        pre[r] = recurrent + from_input;
        ops.add += 1;
        h[r] = tanh(pre[r]);
        ops.tanh += 1;
    }
    obs.ops(ops);
}

/// The values one backward step reads from the forward pass and from outside.
struct CellInputs<'a> {
    dh_out: &'a [f64],
    h: &'a [f64],
    h_prev: &'a [f64],
    input: &'a [f64],
}

/// Per-step buffers of the backward pass, reused across cells.
struct Scratch {
    dh_next: Vec<f64>,
    dh: Vec<f64>,
    da: Vec<f64>,
    dh_prev: Vec<f64>,
    d_input: Vec<f64>,
}

impl Scratch {
    fn new(c: usize) -> Self {
        Scratch {
            dh_next: vec![0.0; c],
            dh: vec![0.0; c],
            da: vec![0.0; c],
            dh_prev: vec![0.0; c],
            d_input: vec![0.0; c],
        }
    }

    fn view<'a>(&'a self, rnn: Rnn, i: usize, j: usize, cell: &CellInputs<'a>) -> BackwardView<'a> {
        BackwardView {
            rnn,
            i,
            j,
            dh_out: cell.dh_out,
            dh_next: &self.dh_next,
            dh: &self.dh,
            h: cell.h,
            da: &self.da,
            h_prev: cell.h_prev,
            input: cell.input,
            dh_prev: &self.dh_prev,
            d_input: &self.d_input,
        }
    }
}

/// Backward through one step h = tanh(W_hh h_prev + W_in input):
/// dh = dh_out + dh_next; da = dh ⊙ (1 − h²);
/// dW_hh += da h_prevᵀ; dW_in += da inputᵀ; dh_prev = W_hhᵀ da; d_input = W_inᵀ da.
fn backward_step<O: Observer>(
    (w_hh, w_in): (&[f64], &[f64]),
    (d_w_hh, d_w_in): (&mut [f64], &mut [f64]),
    cell: &CellInputs<'_>,
    s: &mut Scratch,
    obs: &mut O,
) {
    let mut ops = Ops::default();
    let c = s.dh.len();
    for r in 0..c {
        s.dh[r] = cell.dh_out[r] + s.dh_next[r];
        s.da[r] = s.dh[r] * (1.0 - cell.h[r] * cell.h[r]);
    }
    ops.add += 2 * c as u64;
    ops.mul += 2 * c as u64;
    outer_acc(d_w_hh, &s.da, cell.h_prev, &mut ops);
    outer_acc(d_w_in, &s.da, cell.input, &mut ops);
    matvec_t(w_hh, &s.da, &mut s.dh_prev, &mut ops);
    matvec_t(w_in, &s.da, &mut s.d_input, &mut ops);
    obs.ops(ops);
}

/// Σ_k a[k] b[k], counting C multiplications and C − 1 additions.
fn dot(a: &[f64], b: &[f64], ops: &mut Ops) -> f64 {
    let (Some(a0), Some(b0)) = (a.first(), b.first()) else {
        return 0.0;
    };
    let mut acc = a0 * b0;
    ops.mul += 1;
    for k in 1..a.len().min(b.len()) {
        acc += a[k] * b[k];
        ops.mul += 1;
        ops.add += 1;
    }
    acc
}

/// out = Wᵀ v for a row-major C×C `w`: out[k] = Σ_r W[r,k] v[r], built row by row
/// (C² multiplications, C(C − 1) additions).
fn matvec_t(w: &[f64], v: &[f64], out: &mut [f64], ops: &mut Ops) {
    let c = v.len();
    for (o, &wk) in out.iter_mut().zip(&w[..c]) {
        *o = wk * v[0];
        ops.mul += 1;
    }
    for r in 1..c {
        for (o, &wk) in out.iter_mut().zip(&w[r * c..(r + 1) * c]) {
            *o += wk * v[r];
            ops.mul += 1;
            ops.add += 1;
        }
    }
}

/// acc += u vᵀ (C² multiplications and C² additions).
fn outer_acc(acc: &mut [f64], u: &[f64], v: &[f64], ops: &mut Ops) {
    let c = v.len();
    for (r, &ur) in u.iter().enumerate() {
        for (a, &vk) in acc[r * c..(r + 1) * c].iter_mut().zip(v) {
            *a += ur * vk;
            ops.mul += 1;
            ops.add += 1;
        }
    }
}

/// 1/k! for k = 2..=13: expm1(r) = r + r²(1/2 + r(1/6 + …)), whose first
/// term left out, r¹⁴/14!, is below 4e−18 at |r| = ln2/2 (a twentieth of an ulp
/// of expm1(r) ≈ r).
const EXPM1_TAYLOR: [f64; 12] = [
    0.5,
    0.16666666666666666,
    0.041666666666666664,
    0.008333333333333333,
    0.001388888888888889,
    0.0001984126984126984,
    2.48015873015873e-05,
    2.7557319223985893e-06,
    2.755731922398589e-07,
    2.505210838544172e-08,
    2.08767569878681e-09,
    1.6059043836821613e-10,
];

/// ln 2 split so that n·LN2_HI is exact for |n| < 2^20 (fdlibm's constants).
const LN2_HI: f64 = 6.931_471_803_691_238_2e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// Adding 1.5·2^52 rounds to an integer and leaves it in the low mantissa bits.
const ROUNDER: f64 = 6_755_399_441_055_744.0;
/// Beyond this tanh is ±1 to within half an ulp (1 − tanh(20) ≈ 8.5e−18).
const TANH_ONE: f64 = 20.0;

/// tanh within 2 ulp of libm's (tested over its whole range), used by both
/// forms of the module. One formula for every input and no branches, so a
/// loop over a step's outputs vectorises: libm's `tanh` costs ~57 ns a call on
/// this machine, and tanh, one FLOP by our convention, was half the batched
/// forward's time.
///
/// tanh(a) = e/(e + 2) with e = expm1(2a), a = |x| ≤ 20: with 2a = n ln2 + r,
/// |r| ≤ ln2/2, expm1(2a) = 2ⁿ expm1(r) + (2ⁿ − 1), where 2ⁿ expm1(r) is exact
/// and, for n ≥ 1, both terms are positive or the second dominates, so
/// nothing cancels; for n = 0 (|x| < 0.17) it is expm1(r) itself, exact in its
/// leading term, so small x keep full relative accuracy (no 1 − 2/(e²ˣ + 1)
/// cancellation). The error of e reaches tanh damped by 2/(e + 2) ≤ 1. The
/// sign is copied back (tanh(−0) = −0), ±∞ give ±1, NaN passes through.
pub fn tanh(x: f64) -> f64 {
    // min also sends NaN to 20; the NaN is put back at the end
    let a = x.abs().min(TANH_ONE);
    let y = 2.0 * a;
    let k = y * std::f64::consts::LOG2_E + ROUNDER;
    let n = k - ROUNDER;
    let r = (y - n * LN2_HI) - n * LN2_LO;
    let q = EXPM1_TAYLOR.iter().rev().fold(0.0, |acc, &c| acc * r + c);
    let expm1_r = r + r * r * q;
    // k's low mantissa bits hold n (0 ≤ n ≤ 58); n + 1023 shifted into the
    // exponent field is 2ⁿ (the 1.5·2^52 part shifts out of the word).
    let two_n = f64::from_bits(k.to_bits().wrapping_add(1023) << 52);
    let e = two_n * expm1_r + (two_n - 1.0);
    let t = (e / (e + 2.0)).copysign(x);
    if x.is_nan() { x } else { t }
}

#[cfg(test)]
mod tests {
    use super::tanh;

    /// Distance in units in the last place between two finite values.
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0; // also +0 against −0
        }
        // map the floats onto the integers in order, so the difference counts ulps
        let ordered = |v: f64| {
            let i = v.to_bits() as i64;
            if i < 0 { i64::MIN - i } else { i }
        };
        ordered(a).abs_diff(ordered(b))
    }

    fn worst(xs: impl Iterator<Item = f64>) -> (u64, f64) {
        xs.map(|x| (ulps(tanh(x), x.tanh()), x))
            .fold((0, 0.0), |w, d| if d.0 > w.0 { d } else { w })
    }

    /// The bound the module's doc states, against libm, over the whole range.
    const ULP_BOUND: u64 = 3;

    #[test]
    fn tanh_is_within_three_ulp_of_libm_over_its_whole_range() {
        // every multiple of 2^−12 on [−21, 21]: both sides of every switch of
        // n, the clamp at 20 and past it
        let grid = (-21 * 4096..=21 * 4096).map(|k| k as f64 / 4096.0);
        let (w, at) = worst(grid);
        assert!(w <= ULP_BOUND, "{w} ulp at {at}");
        // odd multiples of an irrational step, so no point is a dyadic rational
        let dense = (-400_000..=400_000).map(|k| k as f64 * 5.123_456_789e-5);
        let (w, at) = worst(dense);
        assert!(w <= ULP_BOUND, "{w} ulp at {at}");
        // from the subnormals to the largest values, both signs
        let logs = (-3080..=3080).flat_map(|k| {
            let x = 10f64.powf(k as f64 / 10.0) * 1.000_000_1;
            [x, -x]
        });
        let (w, at) = worst(logs.filter(|x| x.is_finite()));
        assert!(w <= ULP_BOUND, "{w} ulp at {at}");
        // where tanh(x) rounds to x, so does ours
        for x in [
            f64::MIN_POSITIVE,
            5e-324,
            1e-310,
            -1e-310,
            1e-300,
            -1e-200,
            1e-20,
        ] {
            assert_eq!(tanh(x), x, "{x:e}");
        }
    }

    #[test]
    fn tanh_special_values() {
        assert_eq!(tanh(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f64).to_bits());
        for (x, t) in [
            (f64::INFINITY, 1.0),
            (f64::NEG_INFINITY, -1.0),
            (f64::MAX, 1.0),
            (-f64::MAX, -1.0),
            (20.0, 1.0),
            (50.0, 1.0),
            (-50.0, -1.0),
        ] {
            assert_eq!(tanh(x), t, "{x}");
        }
        assert!(tanh(f64::NAN).is_nan());
        assert!(tanh(-f64::NAN).is_nan());
        // odd exactly
        for k in 1..2000 {
            let x = k as f64 * 0.0171;
            assert_eq!(tanh(-x).to_bits(), (-tanh(x)).to_bits());
        }
    }
}
