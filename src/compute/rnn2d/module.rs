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

/// Odd Taylor coefficients of tanh, c_n = 2^{2n}(2^{2n} − 1) B_{2n} / (2n)!.
const TANH_TAYLOR: [f64; 7] = [
    1.0,
    -0.3333333333333333,
    0.13333333333333333,
    -0.05396825396825397,
    0.021869488536155203,
    -0.008863235529902197,
    0.003592128036572481,
];

/// tanh to within a few ulp, used by both forms of the module. This machine's
/// libm `tanh` costs ~57 ns a call (it goes through expm1), which made tanh, one
/// FLOP by our convention, most of the batched forward's time; one `exp` and a
/// division cost ~20 ns. Below |x| = 1/16, where 1 − 2/(e^{2x} + 1) would cancel,
/// seven Taylor terms are exact to well below an ulp (the next is 2e−20 relative).
pub fn tanh(x: f64) -> f64 {
    let a = x.abs();
    let t = if a < 0.0625 {
        let a2 = a * a;
        a * TANH_TAYLOR.iter().rev().fold(0.0, |acc, &c| acc * a2 + c)
    } else if a < 20.0 {
        1.0 - 2.0 / ((2.0 * a).exp() + 1.0)
    } else if a.is_nan() {
        return x;
    } else {
        // 1 − tanh(20) ≈ 8e−18 is below half an ulp of 1.
        1.0
    };
    t.copysign(x)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tanh_matches_libm_to_a_few_ulp() {
        let mut worst = 0.0f64;
        for k in -400_000..=400_000 {
            let x = k as f64 * 6.1e-5;
            let (ours, libm) = (super::tanh(x), x.tanh());
            let rel = if libm == 0.0 {
                ours.abs()
            } else {
                ((ours - libm) / libm).abs()
            };
            worst = worst.max(rel);
        }
        // Just above 1/16 the subtraction loses about four bits.
        assert!(worst < 1e-14, "{worst:e}");
        assert_eq!(super::tanh(0.0), 0.0);
        assert_eq!(super::tanh(50.0), 1.0);
        assert_eq!(super::tanh(-50.0), -1.0);
        assert!(super::tanh(f64::NAN).is_nan());
        assert_eq!(super::tanh(f64::INFINITY), 1.0);
    }
}
