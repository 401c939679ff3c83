//! The same module with every row of RNN A (and every column of RNN B) advanced
//! at once. Both RNNs are the same "scan along axis 1 of a [batch][time][C]
//! tensor"; B sees its input and output through views with rows and columns
//! swapped, while every array stays [H][W][C] in memory.
//!
//! Every step works on contiguous batch × C step buffers and does its
//! products at once over the batch (C×C weights, so each is a
//! (batch × C)(C × C) product), with exactly the operations the cell-by-cell
//! loop counts, only grouped differently (so results agree to rounding):
//! - forward: pre_t = u_t W_inᵀ + h_{t−1} W_hhᵀ (the recurrent product added
//!   to the input product, as one product with β = 1 would), then
//!   h_t = tanh(pre_t) in the same pass that stores h_t into the output;
//! - backward: da_t = (dh_out_t + dh_next) ⊙ (1 − h_t²), dh_next = da_t W_hh,
//!   dW_hh += da_tᵀ h_{t−1}, dW_in += da_tᵀ u_t and dU_t = da_t W_in, all while
//!   da_t is in cache, so no [H][W][C] temporary is made: B writes dY into the
//!   buffer that A then overwrites, step by step, with dX (A reads dY_t
//!   before it writes dX_t, and nothing reads dY_t again).
//!
//! Step buffers matter for RNN A, whose step slices are rows 32 KiB apart at
//! C = W = 64 (all in the same cache sets): the products read them once
//! (matrixmultiply packs its operands), everything else touches them once.
//!
//! The pseudocode in 6(d) shows the plain batched form, one product per step
//! `pre = z @ w_cat.T` with z = [h_prev | input] and w_cat = [W_hh | W_in]: the
//! same sums as here, split into its two halves.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView1, ArrayView3, ArrayViewMut1, ArrayViewMut3, Axis, Zip};

use super::module::tanh;
use super::{Forward, Grads, Image, Mat, Weights};

/// Which axis a scan runs along: RNN A along each row (time = j), RNN B along
/// each column (time = i).
#[derive(Clone, Copy)]
enum Along {
    Rows,
    Columns,
}

impl Along {
    /// `a` as [batch][time][C].
    fn view(self, a: &Image) -> ArrayView3<'_, f64> {
        match self {
            Along::Rows => a.view(),
            Along::Columns => a.view().permuted_axes([1, 0, 2]),
        }
    }

    fn view_mut(self, a: &mut Image) -> ArrayViewMut3<'_, f64> {
        match self {
            Along::Rows => a.view_mut(),
            Along::Columns => a.view_mut().permuted_axes([1, 0, 2]),
        }
    }
}

/// A standard-layout copy only if `a` is not one already (callers may build
/// images from transposed views).
fn standard(a: &Image) -> std::borrow::Cow<'_, Image> {
    if a.is_standard_layout() {
        std::borrow::Cow::Borrowed(a)
    } else {
        std::borrow::Cow::Owned(a.as_standard_layout().into_owned())
    }
}

pub fn forward(x: &Image, w: &Weights) -> Forward {
    let x = standard(x);
    let mut h_a = Image::zeros(x.dim());
    let mut h_b = Image::zeros(x.dim());
    scan(&x, &w.w_hh_a, &w.w_xh_a, &mut h_a, Along::Rows);
    scan(&h_a, &w.w_hh_b, &w.w_yh_b, &mut h_b, Along::Columns);
    Forward { h_a, h_b }
}

pub fn backward(x: &Image, w: &Weights, fwd: &Forward, g: &Image) -> Grads {
    let (x, h_a, h_b, g) = (
        standard(x),
        standard(&fwd.h_a),
        standard(&fwd.h_b),
        standard(g),
    );
    // RNN B first: its input is Y = H^A, its outside gradient is G; it
    // writes dY into `d`.
    let mut d = Image::zeros(x.dim());
    let (w_hh_b, w_yh_b) = scan_backward(
        (&h_a, &h_b, Some(&g)),
        (&w.w_hh_b, &w.w_yh_b),
        &mut d,
        Along::Columns,
    );
    // Then RNN A, whose outside gradient is dY: read from `d`, which it
    // overwrites with dX.
    let (w_hh_a, w_xh_a) = scan_backward(
        (&x, &h_a, None),
        (&w.w_hh_a, &w.w_xh_a),
        &mut d,
        Along::Rows,
    );
    Grads {
        x: d,
        w_hh_a,
        w_xh_a,
        w_hh_b,
        w_yh_b,
    }
}

/// h_t = tanh(W_in u_t + W_hh h_{t−1}) along `along` for every batch row, zero
/// initial state; `u` and `out` in standard layout.
fn scan(u: &Image, w_hh: &Mat, w_in: &Mat, out: &mut Image, along: Along) {
    if out.is_empty() {
        return;
    }
    let uv = along.view(u);
    let mut o = along.view_mut(out);
    let (batch, time, c) = o.dim();
    let mut prev = Array2::<f64>::zeros((batch, c));
    let mut pre = Array2::<f64>::zeros((batch, c));
    let (w_hh_t, w_in_t) = (w_hh.t(), w_in.t());
    for t in 0..time {
        general_mat_mul(1.0, &uv.index_axis(Axis(1), t), &w_in_t, 0.0, &mut pre);
        if t > 0 {
            general_mat_mul(1.0, &prev, &w_hh_t, 1.0, &mut pre);
        }
        // h_t into the output and into `prev` for the next step, in one pass
        Zip::from(o.index_axis_mut(Axis(1), t).rows_mut())
            .and(prev.rows_mut())
            .and(pre.rows())
            .for_each(|out, prev, pre| tanh_rows(pre, prev, out));
    }
}

/// out[k] = prev[k] = tanh(pre[k]) over one row of C; a loop over slices, so
/// it vectorises (every row here is contiguous).
fn tanh_rows(
    pre: ArrayView1<'_, f64>,
    mut prev: ArrayViewMut1<'_, f64>,
    mut out: ArrayViewMut1<'_, f64>,
) {
    match (pre.as_slice(), prev.as_slice_mut(), out.as_slice_mut()) {
        (Some(pre), Some(prev), Some(out)) => {
            for ((o, p), &x) in out.iter_mut().zip(prev.iter_mut()).zip(pre) {
                let h = tanh(x);
                *p = h;
                *o = h;
            }
        }
        _ => Zip::from(out).and(prev).and(pre).for_each(|o, p, &x| {
            *p = tanh(x);
            *o = *p;
        }),
    }
}

/// Reverse of [`scan`]: given its input `u` and output `h` (standard layout),
/// returns (dW_hh, dW_in) and writes d_u into `d`. The gradient arriving at
/// every h from outside is `dh_out`, or, when that is `None`, what `d` holds
/// on entry (read at each step before that step's d_u overwrites it).
fn scan_backward(
    (u, h, dh_out): (&Image, &Image, Option<&Image>),
    (w_hh, w_in): (&Mat, &Mat),
    d: &mut Image,
    along: Along,
) -> (Mat, Mat) {
    let c = u.dim().2;
    let mut d_w_hh = Mat::zeros((c, c));
    let mut d_w_in = Mat::zeros((c, c));
    if u.is_empty() {
        return (d_w_hh, d_w_in);
    }
    let (uv, hv) = (along.view(u), along.view(h));
    let outside = dh_out.map(|g| along.view(g));
    let mut dv = along.view_mut(d);
    let (batch, time, _) = hv.dim();
    let mut dh_next = Array2::<f64>::zeros((batch, c));
    let mut da = Array2::<f64>::zeros((batch, c));
    for t in (0..time).rev() {
        {
            let g_t = match &outside {
                Some(g) => g.index_axis(Axis(1), t),
                None => dv.index_axis(Axis(1), t),
            };
            Zip::from(&mut da)
                .and(g_t)
                .and(&dh_next)
                .and(hv.index_axis(Axis(1), t))
                .for_each(|da, &g, &n, &h| *da = (g + n) * (1.0 - h * h));
        }
        if t > 0 {
            general_mat_mul(1.0, &da, w_hh, 0.0, &mut dh_next);
            general_mat_mul(
                1.0,
                &da.t(),
                &hv.index_axis(Axis(1), t - 1),
                1.0,
                &mut d_w_hh,
            );
        }
        general_mat_mul(1.0, &da.t(), &uv.index_axis(Axis(1), t), 1.0, &mut d_w_in);
        general_mat_mul(1.0, &da, w_in, 0.0, &mut dv.index_axis_mut(Axis(1), t));
    }
    (d_w_hh, d_w_in)
}
