//! The same module with every row of RNN A (and every column of RNN B) advanced
//! at once. Both RNNs are the same "scan along axis 1 of a [batch][time][C]
//! tensor"; B sees its input and output through views with rows and columns
//! swapped, while every array stays [H][W][C] in memory.
//!
//! Only the recurrent product has to wait for the previous step. Everything
//! else is one product over all H·W cells at once, with exactly the operations
//! the cell-by-cell loop counts, only grouped differently (so results agree to
//! rounding):
//! - forward: P = U W_inᵀ for every cell, written straight into the output;
//!   then per step h_t = tanh(P_t + h_{t−1} W_hhᵀ), the product accumulated into
//!   P_t and tanh applied to it in place (two step buffers for the whole scan);
//! - backward: per step only da_t = (dh_out_t + dh_next) ⊙ (1 − h_t²) and
//!   dh_next = da_t W_hh; then dW_hh = DAᵀ H_prev, dW_in = DAᵀ U and
//!   dU = DA W_in over all cells.
//!
//! The pseudocode in 6(d) shows the plain batched form, one product per step
//! `pre = z @ w_cat.T` with z = [h_prev | input] and w_cat = [W_hh | W_in]: the
//! same sums as here, where the input half of every step's product is taken out
//! of the loop (it does not depend on h_prev) and done once for all steps.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, ArrayView3, ArrayViewMut2, ArrayViewMut3, Axis, Slice, Zip};

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

/// Every cell of a standard-layout image as one row of an (H·W) × C matrix.
fn cells(a: &Image) -> ArrayView2<'_, f64> {
    let (h, w, c) = a.dim();
    a.view()
        .into_shape_with_order((h * w, c))
        .expect("images are built in standard layout")
}

fn cells_mut(a: &mut Image) -> ArrayViewMut2<'_, f64> {
    let (h, w, c) = a.dim();
    a.view_mut()
        .into_shape_with_order((h * w, c))
        .expect("images are built in standard layout")
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
    // RNN B first: its input is Y = H^A, its outside gradient is G.
    let mut d_y = Image::zeros(x.dim());
    let (w_hh_b, w_yh_b) = scan_backward(
        (&h_a, &h_b, &g),
        (&w.w_hh_b, &w.w_yh_b),
        &mut d_y,
        Along::Columns,
    );
    // Then RNN A, whose outside gradient is dY.
    let mut d_x = Image::zeros(x.dim());
    let (w_hh_a, w_xh_a) = scan_backward(
        (&x, &h_a, &d_y),
        (&w.w_hh_a, &w.w_xh_a),
        &mut d_x,
        Along::Rows,
    );
    Grads {
        x: d_x,
        w_hh_a,
        w_xh_a,
        w_hh_b,
        w_yh_b,
    }
}

/// h_t = tanh(W_in u_t + W_hh h_{t−1}) along `along` for every batch row, zero
/// initial state; `u` and `out` in standard layout, `out` zeros.
fn scan(u: &Image, w_hh: &Mat, w_in: &Mat, out: &mut Image, along: Along) {
    if out.is_empty() {
        return;
    }
    general_mat_mul(1.0, &cells(u), &w_in.t(), 0.0, &mut cells_mut(out));
    // Each step works in a contiguous batch × C buffer: the output's step
    // slices of RNN A are rows 32 KiB apart at C = W = 64, which all fall in
    // the same cache sets.
    let mut o = along.view_mut(out);
    let (batch, time, c) = o.dim();
    let mut prev = Array2::<f64>::zeros((batch, c));
    let mut cur = Array2::<f64>::zeros((batch, c));
    let w_hh_t = w_hh.t();
    for t in 0..time {
        let mut o_t = o.index_axis_mut(Axis(1), t);
        cur.assign(&o_t);
        if t > 0 {
            general_mat_mul(1.0, &prev, &w_hh_t, 1.0, &mut cur);
        }
        cur.mapv_inplace(tanh);
        o_t.assign(&cur);
        std::mem::swap(&mut prev, &mut cur);
    }
}

/// Reverse of [`scan`]: given its input `u`, output `h` and the gradient `dh_out`
/// arriving at every h from outside (all standard layout), writes d_u (zeros on
/// entry) and returns (dW_hh, dW_in).
fn scan_backward(
    (u, h, dh_out): (&Image, &Image, &Image),
    (w_hh, w_in): (&Mat, &Mat),
    d_u: &mut Image,
    along: Along,
) -> (Mat, Mat) {
    let c = u.dim().2;
    let mut d_w_hh = Mat::zeros((c, c));
    let mut d_w_in = Mat::zeros((c, c));
    if u.is_empty() {
        return (d_w_hh, d_w_in);
    }
    let mut da = Image::zeros(u.dim());
    {
        let (hv, gv) = (along.view(h), along.view(dh_out));
        let mut dav = along.view_mut(&mut da);
        let (batch, time, _) = hv.dim();
        // contiguous step buffers, as in [`scan`]
        let mut dh_next = Array2::<f64>::zeros((batch, c));
        let mut da_t = Array2::<f64>::zeros((batch, c));
        for t in (0..time).rev() {
            Zip::from(&mut da_t)
                .and(gv.index_axis(Axis(1), t))
                .and(&dh_next)
                .and(hv.index_axis(Axis(1), t))
                .for_each(|da, &g, &n, &h| *da = (g + n) * (1.0 - h * h));
            if t > 0 {
                general_mat_mul(1.0, &da_t, w_hh, 0.0, &mut dh_next);
            }
            dav.index_axis_mut(Axis(1), t).assign(&da_t);
        }
    }
    // h_{t−1} beside every da_t: H shifted one step along the scan, zero at t = 0.
    let mut h_prev = Image::zeros(u.dim());
    {
        let hv = along.view(h);
        let time = hv.len_of(Axis(1));
        along
            .view_mut(&mut h_prev)
            .slice_axis_mut(Axis(1), Slice::from(1..))
            .assign(&hv.slice_axis(Axis(1), Slice::from(..time - 1)));
    }
    let da = cells(&da);
    general_mat_mul(1.0, &da.t(), &cells(&h_prev), 0.0, &mut d_w_hh);
    general_mat_mul(1.0, &da.t(), &cells(u), 0.0, &mut d_w_in);
    general_mat_mul(1.0, &da, w_in, 0.0, &mut cells_mut(d_u));
    (d_w_hh, d_w_in)
}
