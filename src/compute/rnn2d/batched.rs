//! The same module with every row of RNN A (and every column of RNN B) advanced
//! at once: one matrix product per time step instead of H (or W) matrix–vector
//! products. Both RNNs are the same "scan along axis 1 of a [batch][time][C]
//! tensor"; B sees H^A through a view with rows and columns swapped.
//!
//! Each step multiplies the concatenation z = [h_prev | u_t] (batch × 2C) by
//! [W_hh | W_in]ᵀ (2C × C): one product that does both matrix–vector products of
//! every batch row and their sum, with exactly the operations the cell-by-cell
//! loop counts (2C multiplications and 2C − 1 additions per output entry).

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView3, ArrayViewMut3, Axis, Slice, Zip};

use super::{Forward, Grads, Image, Mat, Weights, module};

/// [W_hh | W_in], C × 2C.
fn cat(w_hh: &Mat, w_in: &Mat) -> Mat {
    let c = w_hh.nrows();
    let mut out = Mat::zeros((c, 2 * c));
    out.slice_axis_mut(Axis(1), Slice::from(..c)).assign(w_hh);
    out.slice_axis_mut(Axis(1), Slice::from(c..)).assign(w_in);
    out
}

/// [H][W][C] viewed as [W][H][C], so a column scan is a row scan.
fn columns(a: &Image) -> ArrayView3<'_, f64> {
    a.view().permuted_axes([1, 0, 2])
}

fn columns_mut(a: &mut Image) -> ArrayViewMut3<'_, f64> {
    a.view_mut().permuted_axes([1, 0, 2])
}

pub fn forward(x: &Image, w: &Weights) -> Forward {
    let mut h_a = Image::zeros(x.dim());
    let mut h_b = Image::zeros(x.dim());
    scan(x.view(), &cat(&w.w_hh_a, &w.w_xh_a), h_a.view_mut());
    scan(
        columns(&h_a),
        &cat(&w.w_hh_b, &w.w_yh_b),
        columns_mut(&mut h_b),
    );
    Forward { h_a, h_b }
}

pub fn backward(x: &Image, w: &Weights, fwd: &Forward, g: &Image) -> Grads {
    let c = x.dim().2;
    // RNN B first: its input is Y = H^A, its outside gradient is G.
    let mut d_y = Image::zeros(x.dim());
    let d_b = scan_backward(
        columns(&fwd.h_a),
        columns(&fwd.h_b),
        columns(g),
        &cat(&w.w_hh_b, &w.w_yh_b),
        columns_mut(&mut d_y),
    );
    // Then RNN A, whose outside gradient is dY.
    let mut d_x = Image::zeros(x.dim());
    let d_a = scan_backward(
        x.view(),
        fwd.h_a.view(),
        d_y.view(),
        &cat(&w.w_hh_a, &w.w_xh_a),
        d_x.view_mut(),
    );
    Grads {
        x: d_x,
        w_hh_a: d_a.slice_axis(Axis(1), Slice::from(..c)).to_owned(),
        w_xh_a: d_a.slice_axis(Axis(1), Slice::from(c..)).to_owned(),
        w_hh_b: d_b.slice_axis(Axis(1), Slice::from(..c)).to_owned(),
        w_yh_b: d_b.slice_axis(Axis(1), Slice::from(c..)).to_owned(),
    }
}

/// h_t = tanh([W_hh | W_in] [h_{t−1}; u_t]) along axis 1 of `u` for every batch row.
fn scan(u: ArrayView3<'_, f64>, w_cat: &Mat, mut out: ArrayViewMut3<'_, f64>) {
    let (batch, time, c) = u.dim();
    let mut z = Array2::<f64>::zeros((batch, 2 * c));
    let mut pre = Array2::<f64>::zeros((batch, c));
    let w_cat_t = w_cat.t();
    for t in 0..time {
        z.slice_axis_mut(Axis(1), Slice::from(c..))
            .assign(&u.index_axis(Axis(1), t));
        general_mat_mul(1.0, &z, &w_cat_t, 0.0, &mut pre);
        pre.mapv_inplace(module::tanh);
        out.index_axis_mut(Axis(1), t).assign(&pre);
        z.slice_axis_mut(Axis(1), Slice::from(..c)).assign(&pre);
    }
}

/// Reverse of [`scan`]: given its input `u`, output `h` and the gradient `dh_out`
/// arriving at every h from outside, writes d_u and returns d[W_hh | W_in].
fn scan_backward(
    u: ArrayView3<'_, f64>,
    h: ArrayView3<'_, f64>,
    dh_out: ArrayView3<'_, f64>,
    w_cat: &Mat,
    mut d_u: ArrayViewMut3<'_, f64>,
) -> Mat {
    let (batch, time, c) = u.dim();
    let mut d_w = Mat::zeros((c, 2 * c));
    let mut dh_next = Array2::<f64>::zeros((batch, c));
    let mut da = Array2::<f64>::zeros((batch, c));
    let mut z = Array2::<f64>::zeros((batch, 2 * c));
    let mut dz = Array2::<f64>::zeros((batch, 2 * c));
    for t in (0..time).rev() {
        // da = (dh_out + dh_next) ⊙ (1 − h²)
        Zip::from(&mut da)
            .and(&dh_out.index_axis(Axis(1), t))
            .and(&dh_next)
            .and(&h.index_axis(Axis(1), t))
            .for_each(|da, &g, &n, &h| *da = (g + n) * (1.0 - h * h));
        if t == 0 {
            z.slice_axis_mut(Axis(1), Slice::from(..c)).fill(0.0);
        } else {
            z.slice_axis_mut(Axis(1), Slice::from(..c))
                .assign(&h.index_axis(Axis(1), t - 1));
        }
        z.slice_axis_mut(Axis(1), Slice::from(c..))
            .assign(&u.index_axis(Axis(1), t));
        // d[W_hh | W_in] += daᵀ [h_prev | u_t]; [dh_prev | d_u_t] = da [W_hh | W_in]
        general_mat_mul(1.0, &da.t(), &z, 1.0, &mut d_w);
        general_mat_mul(1.0, &da, w_cat, 0.0, &mut dz);
        dh_next.assign(&dz.slice_axis(Axis(1), Slice::from(..c)));
        d_u.index_axis_mut(Axis(1), t)
            .assign(&dz.slice_axis(Axis(1), Slice::from(c..)));
    }
    d_w
}
