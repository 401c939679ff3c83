//! The same module with every row of RNN A (and every column of RNN B) advanced
//! at once. Both RNNs are the same "scan along axis 1 of a [batch][time][C]
//! tensor"; B sees its input and output through views with rows and columns
//! swapped, while every array stays [H][W][C] in memory.
//!
//! Every step works on contiguous batch × C step buffers and does its
//! products at once over the batch, with the operations the cell-by-cell loop
//! counts, only grouped differently (so results agree to rounding):
//! - forward: pre_t = z_t · w_catᵀ with z_t = [h_{t−1} | u_t] and
//!   w_cat = [W_hh | W_in], one (batch × 2C)(2C × C) product per step as in
//!   6(d)'s pseudocode, then h_t = tanh(pre_t) in the pass that stores h_t
//!   into the output and into z for the next step;
//! - backward: da_t = (dh_out_t + dh_next) ⊙ (1 − h_t²), then two products:
//!   [dh_next | dU_t] = da_t · [W_hh | W_in] and
//!   [dW_hh | dW_in] += da_tᵀ · [h_{t−1} | u_t], all while da_t is in cache,
//!   so no [H][W][C] temporary is made: B writes dY into the buffer that A
//!   then overwrites, step by step, with dX (A reads dY_t before it writes
//!   dX_t, and nothing reads dY_t again).
//!
//! The products are [`gemm`]'s, which packs the weights once per scan, reads
//! and writes the step slices where they lie (RNN A's are rows 32 KiB apart at
//! C = W = 64) and runs on the widest vectors the CPU has. The whole pass is
//! one pulp dispatch: everything in it is inlined into a function compiled
//! for that instruction set, tanh and the elementwise loops included.
//!
//! The zero initial state goes through the products like any other (the
//! FLOP count charges it too): at t = 0 the forward multiplies h_{−1} = 0 and
//! the backward adds da_0ᵀ·0 to dW_hh.

use ndarray::{Array2, ArrayView1, ArrayView3, ArrayViewMut1, ArrayViewMut3, Axis, Zip};
use pulp::{Simd, WithSimd};

use super::gemm::{self, Packed, Scratch};
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
    pulp::Arch::new().dispatch(ForwardPass { x, w })
}

pub fn backward(x: &Image, w: &Weights, fwd: &Forward, g: &Image) -> Grads {
    pulp::Arch::new().dispatch(BackwardPass { x, w, fwd, g })
}

/// [`forward`] and [`backward`] on a SIMD level chosen by the caller, so the
/// tests can run every level this CPU has, not just its best.
#[cfg(test)]
pub(super) fn forward_and_backward_on<S: Simd>(simd: S, p: &super::Problem) -> (Forward, Grads) {
    let f = simd.vectorize(ForwardPass {
        x: &p.x,
        w: &p.weights,
    });
    let g = simd.vectorize(BackwardPass {
        x: &p.x,
        w: &p.weights,
        fwd: &f,
        g: &p.g,
    });
    (f, g)
}

/// The forward pass as a pulp operation: everything it calls is inlined into
/// one function compiled for the level pulp picks.
struct ForwardPass<'a> {
    x: &'a Image,
    w: &'a Weights,
}

impl WithSimd for ForwardPass<'_> {
    type Output = Forward;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Forward {
        let (x, w) = (standard(self.x), self.w);
        let mut h_a = Image::zeros(x.dim());
        let mut h_b = Image::zeros(x.dim());
        scan(simd, &x, (&w.w_hh_a, &w.w_xh_a), &mut h_a, Along::Rows);
        scan(simd, &h_a, (&w.w_hh_b, &w.w_yh_b), &mut h_b, Along::Columns);
        Forward { h_a, h_b }
    }
}

struct BackwardPass<'a> {
    x: &'a Image,
    w: &'a Weights,
    fwd: &'a Forward,
    g: &'a Image,
}

impl WithSimd for BackwardPass<'_> {
    type Output = Grads;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Grads {
        let w = self.w;
        let (x, h_a, h_b, g) = (
            standard(self.x),
            standard(&self.fwd.h_a),
            standard(&self.fwd.h_b),
            standard(self.g),
        );
        // RNN B first: its input is Y = H^A, its outside gradient is G; it
        // writes dY into `d`.
        let mut d = Image::zeros(x.dim());
        let (w_hh_b, w_yh_b) = scan_backward(
            simd,
            (&h_a, &h_b, Some(&g)),
            (&w.w_hh_b, &w.w_yh_b),
            &mut d,
            Along::Columns,
        );
        // Then RNN A, whose outside gradient is dY: read from `d`, which it
        // overwrites with dX.
        let (w_hh_a, w_xh_a) = scan_backward(
            simd,
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
}

/// h_t = tanh(W_in u_t + W_hh h_{t−1}) along `along` for every batch row, zero
/// initial state; `u` and `out` in standard layout.
#[inline(always)]
fn scan<S: Simd>(simd: S, u: &Image, (w_hh, w_in): (&Mat, &Mat), out: &mut Image, along: Along) {
    if out.is_empty() {
        return;
    }
    let uv = along.view(u);
    let mut o = along.view_mut(out);
    let (batch, time, c) = o.dim();
    // pre_t = z_t · w_catᵀ with z_t = [h_{t−1} | u_t] and w_cat = [W_hh | W_in]
    // (C × 2C), as in 6(d)'s pseudocode; the weights are packed once
    let w_cat =
        ndarray::concatenate(Axis(1), &[w_hh.view(), w_in.view()]).expect("both weights are C×C");
    let weights = Packed::of::<S>(&[w_cat.t()]);
    let mut scratch = Scratch::default();
    // one left operand, rows contiguous, so the product broadcasts straight
    // from it; h_{−1} = 0
    let mut z = Array2::<f64>::zeros((batch, 2 * c));
    let mut pre = Array2::<f64>::zeros((batch, c));
    for t in 0..time {
        // u_t into z row by row: `assign` on these shapes is an element-wise Zip
        let u_t = uv.index_axis(Axis(1), t);
        for (mut z, u) in z.rows_mut().into_iter().zip(u_t.rows()) {
            let input = &mut z.as_slice_mut().expect("a row of z")[c..];
            match u.as_slice() {
                Some(u) => input.copy_from_slice(u),
                None => input.iter_mut().zip(u).for_each(|(z, &u)| *z = u),
            }
        }
        gemm::product(
            simd,
            z.view(),
            &weights,
            &mut [pre.view_mut()],
            false,
            &mut scratch,
        );
        // h_t into the output and into z for the next step, in one pass
        let (mut prev, _) = z.view_mut().split_at(Axis(1), c);
        let mut rows = o.index_axis_mut(Axis(1), t);
        let rows = rows
            .rows_mut()
            .into_iter()
            .zip(prev.rows_mut())
            .zip(pre.rows());
        for ((out, prev), pre) in rows {
            tanh_rows(pre, prev, out);
        }
    }
}

/// out[k] = prev[k] = tanh(pre[k]) over one row of C; a loop over slices, so
/// it vectorises (every row here is contiguous).
#[inline(always)]
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
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// Adding 1.5·2^52 rounds to an integer and leaves it in the low mantissa bits.
const ROUNDER: f64 = 6_755_399_441_055_744.0;
/// Beyond this tanh is ±1 to within half an ulp (1 − tanh(20) ≈ 8.5e−18).
const TANH_ONE: f64 = 20.0;

/// tanh within 3 ulp of libm's (tested over its whole range), for the
/// batched form: one formula for every input and no branches, so the loop
/// over a step's outputs vectorises: two lanes on the baseline x86-64 target
/// (where the polynomial costs about what one scalar `exp` does), four with
/// AVX2 (1.8x faster over 256k values), eight with AVX-512 (1.6x faster again:
/// 0.7 ms for 256k values on this project's machine). The
/// arithmetic is the same IEEE operations in the same order at every width
/// (Rust never fuses a·b + c into an FMA unasked), so it gives the same bits
/// on every CPU.
/// libm's `tanh` costs ~57 ns a call on this machine, and tanh, one FLOP by
/// our convention, was half the batched forward's time. The cell-by-cell
/// loop keeps [`super::module::tanh`] (one `exp` and a division): called one
/// value at a time it is the faster of the two, and the figures the text
/// quotes come from the loop, so its last bits stay as they were.
///
/// tanh(a) = e/(e + 2) with e = expm1(2a), a = |x| ≤ 20: with 2a = n ln2 + r,
/// |r| ≤ ln2/2, expm1(2a) = 2ⁿ expm1(r) + (2ⁿ − 1), where 2ⁿ expm1(r) is exact
/// and, for n ≥ 1, the sum cancels at most a bit; for n = 0 (|x| < 0.17) it is
/// expm1(r) itself, exact in its leading term, so small x keep full relative
/// accuracy (no 1 − 2/(e²ˣ + 1) cancellation). The error of e reaches tanh
/// damped by 2/(e + 2) ≤ 1. The sign is copied back (tanh(−0) = −0), ±∞ give
/// ±1, NaN passes through.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    // min also sends NaN to 20; the NaN is put back at the end
    let a = x.abs().min(TANH_ONE);
    let y = 2.0 * a;
    let k = y * std::f64::consts::LOG2_E + ROUNDER;
    let n = k - ROUNDER;
    let r = (y - n * LN2_HI) - n * LN2_LO;
    // q = Σ c_k r^k by Estrin's scheme: pairs, then pairs of pairs, so the
    // chain of dependent operations is four deep instead of Horner's twelve
    // and neighbouring values overlap in the pipeline (1.7x faster here).
    let c = &EXPM1_TAYLOR;
    let (r2, pair) = (r * r, |k: usize| c[k] + c[k + 1] * r);
    let (r4, quad) = (r2 * r2, |k: usize| pair(k) + pair(k + 2) * r2);
    let q = (quad(0) + quad(4) * r4) + quad(8) * (r4 * r4);
    let expm1_r = r + r * r * q;
    // k's low mantissa bits hold n (0 ≤ n ≤ 58); n + 1023 shifted into the
    // exponent field is 2ⁿ (the 1.5·2^52 part shifts out of the word).
    let two_n = f64::from_bits(k.to_bits().wrapping_add(1023) << 52);
    let e = two_n * expm1_r + (two_n - 1.0);
    let t = (e / (e + 2.0)).copysign(x);
    if x.is_nan() { x } else { t }
}

/// v[k] = tanh(v[k]) with the batched form's [`tanh`], as its scans apply it
/// (a loop over a slice, vectorised); for benchmarks and tests.
pub fn tanh_in_place(v: &mut [f64]) {
    pulp::Arch::new().dispatch(
        #[inline(always)]
        || {
            for x in v {
                *x = tanh(*x);
            }
        },
    );
}

/// Reverse of [`scan`]: given its input `u` and output `h` (standard layout),
/// returns (dW_hh, dW_in) and writes d_u into `d`. The gradient arriving at
/// every h from outside is `dh_out`, or, when that is `None`, what `d` holds
/// on entry (read at each step before that step's d_u overwrites it).
#[inline(always)]
fn scan_backward<S: Simd>(
    simd: S,
    (u, h, dh_out): (&Image, &Image, Option<&Image>),
    (w_hh, w_in): (&Mat, &Mat),
    d: &mut Image,
    along: Along,
) -> (Mat, Mat) {
    let c = u.dim().2;
    if u.is_empty() {
        return (Mat::zeros((c, c)), Mat::zeros((c, c)));
    }
    let (uv, hv) = (along.view(u), along.view(h));
    let outside = dh_out.map(|g| along.view(g));
    let mut dv = along.view_mut(d);
    let (batch, time, _) = hv.dim();
    // [dh_next | dU_t] = da_t · [W_hh | W_in], the weights packed once
    let weights = Packed::of::<S>(&[w_hh.view(), w_in.view()]);
    // [dW_hh | dW_in] += da_tᵀ · [h_{t−1} | u_t], packed step by step
    let mut d_w = Mat::zeros((c, 2 * c));
    let mut step = Packed::new::<S>();
    let zero_state = Array2::<f64>::zeros((batch, c));
    let mut scratch = Scratch::default();
    let mut dh_next = Array2::<f64>::zeros((batch, c));
    let mut da = Array2::<f64>::zeros((batch, c));
    for t in (0..time).rev() {
        {
            let g_t = match &outside {
                Some(g) => g.index_axis(Axis(1), t),
                None => dv.index_axis(Axis(1), t),
            };
            let h_t = hv.index_axis(Axis(1), t);
            let rows = da
                .rows_mut()
                .into_iter()
                .zip(g_t.rows())
                .zip(dh_next.rows())
                .zip(h_t.rows());
            for (((da, g), next), h) in rows {
                tanh_gradient_row(da, g, next, h);
            }
        }
        let h_prev = match t {
            0 => zero_state.view(),
            _ => hv.index_axis(Axis(1), t - 1),
        };
        step.fill::<S>(&[h_prev, uv.index_axis(Axis(1), t)]);
        gemm::product(
            simd,
            da.t(),
            &step,
            &mut [d_w.view_mut()],
            true,
            &mut scratch,
        );
        gemm::product(
            simd,
            da.view(),
            &weights,
            &mut [dh_next.view_mut(), dv.index_axis_mut(Axis(1), t)],
            false,
            &mut scratch,
        );
    }
    let (d_w_hh, d_w_in) = d_w.view().split_at(Axis(1), c);
    (d_w_hh.to_owned(), d_w_in.to_owned())
}

/// da[k] = (g[k] + next[k]) · (1 − h[k]²) over one row of C; a loop over
/// slices where the rows are contiguous (they are here), so it vectorises.
#[inline(always)]
fn tanh_gradient_row(
    mut da: ArrayViewMut1<'_, f64>,
    g: ArrayView1<'_, f64>,
    next: ArrayView1<'_, f64>,
    h: ArrayView1<'_, f64>,
) {
    let step = |da: &mut f64, &g: &f64, &n: &f64, &h: &f64| *da = (g + n) * (1.0 - h * h);
    match (
        da.as_slice_mut(),
        g.as_slice(),
        next.as_slice(),
        h.as_slice(),
    ) {
        (Some(da), Some(g), Some(next), Some(h)) => {
            for (((da, g), n), h) in da.iter_mut().zip(g).zip(next).zip(h) {
                step(da, g, n, h);
            }
        }
        _ => Zip::from(da).and(g).and(next).and(h).for_each(step),
    }
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
    fn the_slice_form_gives_the_scalar_values_and_stays_near_the_loop_form() {
        let xs: Vec<f64> = (-5000..5000).map(|k| k as f64 * 0.00731).collect();
        let mut v = xs.clone();
        super::tanh_in_place(&mut v);
        for (&x, t) in xs.iter().zip(&v) {
            assert_eq!(t.to_bits(), tanh(x).to_bits());
            let loop_form = crate::compute::rnn2d::module::tanh(x);
            assert!((t - loop_form).abs() <= 1e-14 * loop_form.abs(), "{x}");
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
