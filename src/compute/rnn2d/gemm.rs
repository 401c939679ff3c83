//! The matrix product the batched scans do at every step, written for their
//! shapes: a batch of rows times a C×C or 2C×C weight that stays the same for
//! all steps.
//!
//! ndarray's product (matrixmultiply) packs both operands on every call and
//! runs four-lane FMA kernels. Here:
//! - the right operand is packed once ([`Packed`]) when it is a weight, and
//!   reused by every step of a scan; a packing may gather several blocks side
//!   by side (`[h_{t−1} | u_t]` from two images);
//! - the left operand is read where it lies when its rows are contiguous (a
//!   step buffer), and packed only when they are not (`da_tᵀ`);
//! - a product may write several output blocks side by side, so
//!   `[dh_next | dU_t]` lands in its two arrays without a copy;
//! - the kernel is written once over pulp's [`Simd`] and runs on the widest
//!   vectors the CPU has: 8 lanes with AVX-512, 4 with AVX2, else scalar.
//!
//! Each output is Σ_p a[i][p]·b[p][j] summed in order of p with fused
//! multiply–adds where the CPU has them (as matrixmultiply does), so results
//! agree with ndarray's product to rounding, not to the bit.

use ndarray::{ArrayView2, ArrayViewMut2};
use pulp::Simd;

/// The right operand of a product, k × n, in column panels `nr` wide: panel q
/// holds columns q·nr .. q·nr + nr, row after row, zero past column n.
pub(super) struct Packed {
    data: Vec<f64>,
    k: usize,
    n: usize,
    nr: usize,
}

impl Packed {
    /// An empty packing for products on `S`, filled by [`Packed::fill`].
    pub(super) fn new<S: Simd>() -> Packed {
        Packed {
            data: Vec::new(),
            k: 0,
            n: 0,
            nr: panel_width::<S>(),
        }
    }

    /// Packs `blocks` side by side (all with the same number of rows),
    /// reusing the allocation.
    #[inline(always)]
    pub(super) fn fill<S: Simd>(&mut self, blocks: &[ArrayView2<'_, f64>]) {
        assert_eq!(self.nr, panel_width::<S>(), "packed for another SIMD width");
        let k = blocks.first().map_or(0, |b| b.nrows());
        let n: usize = blocks.iter().map(|b| b.ncols()).sum();
        let nr = self.nr;
        let panels = n.div_ceil(nr);
        if !n.is_multiple_of(nr) || self.data.len() != panels * k * nr {
            // the last panel's padding must be zero; otherwise every value is
            // written below, so a step's refill skips this pass
            self.data.clear();
            self.data.resize(panels * k * nr, 0.0);
        }
        let mut col0 = 0;
        for block in blocks {
            assert_eq!(block.nrows(), k, "blocks of a packing differ in rows");
            let width = block.ncols();
            for (p, row) in block.rows().into_iter().enumerate() {
                // copy the row a panel's share at a time
                let mut jj = 0;
                while jj < width {
                    let (q, off) = ((col0 + jj) / nr, (col0 + jj) % nr);
                    let len = (nr - off).min(width - jj);
                    let dst = &mut self.data[q * k * nr + p * nr + off..][..len];
                    match row.as_slice() {
                        // a whole panel row: two vector moves (a copy of a
                        // length known only at run time calls memmove)
                        Some(src) if len == nr => {
                            let (dst, _) = S::as_mut_simd_f64s(dst);
                            let (src, _) = S::as_simd_f64s(&src[jj..jj + nr]);
                            dst[0] = src[0];
                            dst[1] = src[1];
                        }
                        Some(src) => dst.copy_from_slice(&src[jj..jj + len]),
                        None => dst
                            .iter_mut()
                            .zip(row.iter().skip(jj))
                            .for_each(|(d, &v)| *d = v),
                    }
                    jj += len;
                }
            }
            col0 += width;
        }
        (self.k, self.n) = (k, n);
    }

    /// `blocks` packed side by side, as [`Packed::fill`] does.
    #[inline(always)]
    pub(super) fn of<S: Simd>(blocks: &[ArrayView2<'_, f64>]) -> Packed {
        let mut p = Packed::new::<S>();
        p.fill::<S>(blocks);
        p
    }
}

/// Columns per panel: two vectors, so a tile's row is two FMAs per step of p.
fn panel_width<S: Simd>() -> usize {
    2 * S::F64_LANES
}

/// Scratch kept across the products of a scan.
#[derive(Default)]
pub(super) struct Scratch {
    /// The left operand packed, when its rows are not contiguous.
    a: Vec<f64>,
    /// Zeros standing in for the rows past m in the last row block.
    zeros: Vec<f64>,
    /// A tile on its way to an output it does not fit in one piece.
    tile: Vec<f64>,
}

/// `out = a · b`, or `out += a · b` when `accumulate`, where `a` may have any
/// strides and the `out` blocks (rows contiguous) lie side by side along n.
///
/// Inlined, like everything it calls, so that it is compiled for the
/// instruction set of the pulp dispatch it is called from.
#[inline(always)]
pub(super) fn product<S: Simd>(
    simd: S,
    a: ArrayView2<'_, f64>,
    b: &Packed,
    out: &mut [ArrayViewMut2<'_, f64>],
    accumulate: bool,
    scratch: &mut Scratch,
) {
    assert_eq!(b.nr, panel_width::<S>(), "packed for another SIMD width");
    // Tiles of MR rows × two vectors: 16 accumulators of 32 registers with
    // AVX-512, 12 of 16 with AVX2 (with the two of b and the broadcast of a
    // this fills the register file without spilling).
    match S::F64_LANES {
        8 => tiles::<S, 8>(simd, a, b, out, accumulate, scratch),
        4 => tiles::<S, 6>(simd, a, b, out, accumulate, scratch),
        _ => tiles::<S, 4>(simd, a, b, out, accumulate, scratch),
    }
}

#[inline(always)]
fn tiles<S: Simd, const MR: usize>(
    simd: S,
    a: ArrayView2<'_, f64>,
    b: &Packed,
    out: &mut [ArrayViewMut2<'_, f64>],
    accumulate: bool,
    scratch: &mut Scratch,
) {
    let (m, k) = a.dim();
    let n: usize = out.iter().map(|o| o.ncols()).sum();
    assert_eq!(k, b.k, "inner dimensions differ");
    assert_eq!(n, b.n, "output columns differ from the packing's");
    assert!(out.iter().all(|o| o.nrows() == m), "output rows differ");
    let nr = b.nr;
    if m == 0 || n == 0 {
        return;
    }
    scratch.tile.resize(MR * nr, 0.0);
    if k == 0 {
        // an empty sum: the product is zero
        scratch.tile.fill(0.0);
        for col0 in (0..n).step_by(nr) {
            for i0 in (0..m).step_by(MR) {
                write_tile(
                    simd,
                    &scratch.tile,
                    (i0, MR.min(m - i0)),
                    col0,
                    out,
                    accumulate,
                );
            }
        }
        return;
    }
    // Rows contiguous (every product but the weight gradients'): broadcast
    // straight from them. Otherwise pack each block of MR rows as
    // apack[p·MR + r] once, and broadcast from that.
    let direct = a.row(0).as_slice().is_some();
    if direct {
        scratch.zeros.clear();
        scratch.zeros.resize(k, 0.0);
    } else {
        pack::<MR>(a, &mut scratch.a);
    }
    let b_vecs = S::as_simd_f64s(&b.data).0;
    // panel by panel, so a panel (k × nr) stays in L1 while every row block
    // of a goes past it
    for (q, panel) in b_vecs.chunks_exact(k * 2).enumerate() {
        for i0 in (0..m).step_by(MR) {
            let rows = MR.min(m - i0);
            let acc = if direct {
                let mut lines = [&scratch.zeros[..]; MR];
                for (r, line) in lines.iter_mut().enumerate().take(rows) {
                    *line = a.row(i0 + r).to_slice().expect("rows contiguous");
                }
                accumulate_rows(simd, &lines, panel)
            } else {
                accumulate_packed(simd, &scratch.a[(i0 / MR) * MR * k..][..MR * k], panel)
            };
            // Out of the registers by constant index (an index known only at
            // run time would keep every accumulator on the stack), then into
            // the output from memory.
            let (tile, _) = S::as_mut_simd_f64s(&mut scratch.tile);
            for r in 0..MR {
                tile[2 * r] = acc[r][0];
                tile[2 * r + 1] = acc[r][1];
            }
            write_tile(simd, &scratch.tile, (i0, rows), q * nr, out, accumulate);
        }
    }
}

/// Σ_p lines[r][p] · panel[p] for every row r of a tile, with one broadcast
/// and two FMAs per row at every p.
#[inline(always)]
fn accumulate_rows<S: Simd, const MR: usize>(
    simd: S,
    lines: &[&[f64]; MR],
    panel: &[S::f64s],
) -> [[S::f64s; 2]; MR] {
    let kb = panel.len() / 2;
    // sliced to their lengths, so the indexing below needs no bounds checks
    // (in a loop LLVM unrolls: `array::map` is not inlined, and the
    // lengths it sliced to would be forgotten)
    let mut lines = *lines;
    for line in &mut lines {
        *line = &line[..kb];
    }
    let panel = &panel[..2 * kb];
    let mut acc = [[simd.splat_f64s(0.0); 2]; MR];
    for p in 0..kb {
        let (b0, b1) = (panel[2 * p], panel[2 * p + 1]);
        for r in 0..MR {
            let a = simd.splat_f64s(lines[r][p]);
            acc[r][0] = simd.mul_add_e_f64s(a, b0, acc[r][0]);
            acc[r][1] = simd.mul_add_e_f64s(a, b1, acc[r][1]);
        }
    }
    acc
}

/// The same from a packed block of MR rows.
#[inline(always)]
fn accumulate_packed<S: Simd, const MR: usize>(
    simd: S,
    apack: &[f64],
    panel: &[S::f64s],
) -> [[S::f64s; 2]; MR] {
    let mut acc = [[simd.splat_f64s(0.0); 2]; MR];
    for (a, b) in apack.chunks_exact(MR).zip(panel.chunks_exact(2)) {
        let (b0, b1) = (b[0], b[1]);
        for r in 0..MR {
            let a = simd.splat_f64s(a[r]);
            acc[r][0] = simd.mul_add_e_f64s(a, b0, acc[r][0]);
            acc[r][1] = simd.mul_add_e_f64s(a, b1, acc[r][1]);
        }
    }
    acc
}

/// Packs every block of MR rows of `a` as apack[p·MR + r] (zero past m): a
/// copy of MR values per p when the columns are contiguous (`da_tᵀ`, the
/// transpose of a step buffer), element by element otherwise.
fn pack<const MR: usize>(a: ArrayView2<'_, f64>, apack: &mut Vec<f64>) {
    let (m, k) = a.dim();
    apack.clear();
    apack.resize(m.div_ceil(MR) * MR * k, 0.0);
    for (i0, dst) in (0..m).step_by(MR).zip(apack.chunks_exact_mut(MR * k)) {
        let rows = MR.min(m - i0);
        for (column, dst) in a.columns().into_iter().zip(dst.chunks_exact_mut(MR)) {
            match column.to_slice() {
                Some(col) if rows == MR => {
                    let col: &[f64; MR] = col[i0..i0 + MR].try_into().expect("MR values");
                    dst.copy_from_slice(col);
                }
                _ => dst
                    .iter_mut()
                    .zip(column.iter().skip(i0).take(rows))
                    .for_each(|(d, &v)| *d = v),
            }
        }
    }
}

/// Stores (or adds) a tile's rows × nr values at row i0, column col0 into the
/// output blocks: two vectors a row when the tile lies in one block, value by
/// value where it straddles blocks or passes n.
#[inline(always)]
fn write_tile<S: Simd>(
    simd: S,
    tile: &[f64],
    (i0, rows): (usize, usize),
    col0: usize,
    out: &mut [ArrayViewMut2<'_, f64>],
    accumulate: bool,
) {
    let nr = panel_width::<S>();
    let mut block0 = 0;
    for block in out.iter_mut() {
        let width = block.ncols();
        if col0 >= block0 && col0 + nr <= block0 + width {
            let tile = S::as_simd_f64s(tile).0;
            for r in 0..rows {
                let mut row = block.row_mut(i0 + r);
                let dst = row.as_slice_mut().expect("output rows are contiguous");
                let (dst, _) = S::as_mut_simd_f64s(&mut dst[col0 - block0..][..nr]);
                for v in 0..2 {
                    let value = tile[2 * r + v];
                    dst[v] = match accumulate {
                        true => simd.add_f64s(dst[v], value),
                        false => value,
                    };
                }
            }
            return;
        }
        block0 += width;
    }
    let mut block0 = 0;
    for block in out.iter_mut() {
        let width = block.ncols();
        let (lo, hi) = (col0.max(block0), (col0 + nr).min(block0 + width));
        if lo < hi {
            for r in 0..rows {
                let vals = &tile[r * nr + (lo - col0)..r * nr + (hi - col0)];
                let mut row = block.row_mut(i0 + r);
                let dst = row.as_slice_mut().expect("output rows are contiguous");
                let dst = &mut dst[lo - block0..hi - block0];
                if accumulate {
                    dst.iter_mut().zip(vals).for_each(|(d, v)| *d += v);
                } else {
                    dst.copy_from_slice(vals);
                }
            }
        }
        block0 += width;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::rng;
    use ndarray::linalg::general_mat_mul;
    use ndarray::{Array2, Array3, Axis};
    use pulp::WithSimd;

    /// How the left operand lies in memory.
    #[derive(Clone, Copy, Debug)]
    enum Layout {
        /// Rows contiguous: read directly.
        Rows,
        /// Columns contiguous (a transpose): packed a column at a time.
        Columns,
        /// Neither: packed element by element.
        Strided,
    }

    struct Case<'a> {
        a: &'a Array2<f64>,
        layout: Layout,
        b: &'a Array2<f64>,
        split_n: usize,
        start: &'a Array2<f64>,
        accumulate: bool,
    }

    impl WithSimd for Case<'_> {
        type Output = Array2<f64>;
        fn with_simd<S: Simd>(self, simd: S) -> Array2<f64> {
            let (a, b) = (self.a, self.b);
            let (b0, b1) = b.view().split_at(Axis(1), self.split_n);
            let packed = Packed::of::<S>(&[b0, b1]);
            let mut out = self.start.clone();
            let (left, right) = out.view_mut().split_at(Axis(1), self.split_n);
            let transposed = a.t().as_standard_layout().into_owned();
            let mut spread = Array3::<f64>::zeros((a.nrows(), a.ncols(), 2));
            spread.index_axis_mut(Axis(2), 1).assign(a);
            let a = match self.layout {
                Layout::Rows => a.view(),
                Layout::Columns => transposed.t(),
                Layout::Strided => spread.index_axis(Axis(2), 1),
            };
            let mut scratch = Scratch::default();
            product(
                simd,
                a,
                &packed,
                &mut [left, right],
                self.accumulate,
                &mut scratch,
            );
            out
        }
    }

    fn check<S: Simd>(simd: S) {
        let mut r = rng::seeded(11);
        for (m, k, n) in [
            (1, 1, 1),
            (3, 5, 7),
            (8, 16, 16),
            (9, 17, 33),
            (64, 128, 64),
            (13, 0, 5),
            (0, 4, 4),
            (6, 64, 128),
        ] {
            let a: Array2<f64> = rng::uniform(&mut r, (m, k), 1.0);
            let b: Array2<f64> = rng::uniform(&mut r, (k, n), 1.0);
            let start: Array2<f64> = rng::uniform(&mut r, (m, n), 1.0);
            for accumulate in [false, true] {
                for layout in [Layout::Rows, Layout::Columns, Layout::Strided] {
                    for split_n in [0, n / 3, n] {
                        let case = Case {
                            a: &a,
                            layout,
                            b: &b,
                            split_n,
                            start: &start,
                            accumulate,
                        };
                        let got = simd.vectorize(case);
                        let mut want = start.clone();
                        let beta = if accumulate { 1.0 } else { 0.0 };
                        general_mat_mul(1.0, &a, &b, beta, &mut want);
                        let err = (&got - &want).iter().fold(0.0f64, |e, d| e.max(d.abs()));
                        assert!(
                            err < 1e-14 * (k as f64 + 1.0),
                            "{m}x{k}x{n} {layout:?} accumulate {accumulate} split {split_n}: {err}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn products_match_ndarrays_on_every_simd_level_this_cpu_has() {
        check(pulp::Scalar::new());
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(v3) = pulp::x86::V3::try_new() {
                check(v3);
            }
            if let Some(v4) = pulp::x86::V4::try_new() {
                check(v4);
            }
        }
    }
}
