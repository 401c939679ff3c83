//! What an autograd check of a receptive field sees: backpropagate from one
//! output location of a layer through the real network (random weights and
//! input) and count the input pixels whose gradient is non-zero.
//!
//! Through max pools this under-counts: a max pool sends the gradient of each
//! output to one entry of its window (the maximum), although the output depends
//! on all of them. Average pools send it to every entry, and then the count is
//! the receptive field (here equal to the boolean dependency sets of
//! `receptive_field`; a test checks it).

use ndarray::{Array2, ArrayView2};

use super::{Layer, Pool};
use crate::compute::rng;

/// How the network's pools are evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    Max,
    Average,
}

/// A tensor `[C][H][W]`, row-major.
#[derive(Debug, Clone)]
struct Tensor {
    c: usize,
    h: usize,
    w: usize,
    v: Vec<f64>,
}

impl Tensor {
    fn zeros(c: usize, h: usize, w: usize) -> Tensor {
        Tensor {
            c,
            h,
            w,
            v: vec![0.0; c * h * w],
        }
    }

    fn at(&self, c: usize, y: usize, x: usize) -> usize {
        (c * self.h + y) * self.w + x
    }
}

/// What the backward pass of one layer needs from its forward pass.
enum Saved {
    /// Weights `[F][C][k][k]` and the layer input.
    Conv {
        w: Vec<f64>,
        k: usize,
        s: usize,
        p: usize,
        input: Tensor,
    },
    /// The layer input (the gradient passes where it is positive).
    Relu(Tensor),
    /// Per output entry, the input entries it reads and their weights in the
    /// backward pass (1 for the maximum of a max pool, 1/n for an average).
    Pool {
        input_shape: (usize, usize, usize),
        routes: Vec<Vec<(usize, f64)>>,
    },
}

fn out_len(n: usize, k: usize, s: usize, p: usize) -> usize {
    (n + 2 * p).saturating_sub(k) / s.max(1) + 1
}

/// Input index read by output `o` at window offset `d`, if it is not padding.
fn src(o: usize, d: usize, s: usize, p: usize, n: usize) -> Option<usize> {
    (o * s + d).checked_sub(p).filter(|i| *i < n)
}

/// Output positions `o` whose window offset `d` reads a real input (not padding).
fn valid(d: usize, s: usize, p: usize, n_in: usize, n_out: usize) -> std::ops::Range<usize> {
    let lo = p.saturating_sub(d).div_ceil(s);
    // o·s + d − p ≤ n_in − 1  ⇔  o ≤ (n_in − 1 + p − d)/s
    let hi = (n_in + p)
        .checked_sub(d + 1)
        .map_or(0, |m| m / s + 1)
        .min(n_out);
    lo..hi.max(lo)
}

/// The convolution as one matrix product (im2col): row `f` of the weights,
/// `[F][C·k·k]`, times the column of window entries of each output position,
/// padding entries zero. The same sums as the textbook loop (a test compares
/// them); one product keeps this cheap enough to run at every start-up.
fn conv(x: &Tensor, f: usize, k: usize, s: usize, p: usize, w: &[f64], b: &[f64]) -> Tensor {
    let (oh, ow) = (out_len(x.h, k, s, p), out_len(x.w, k, s, p));
    let taps = x.c * k * k;
    let mut cols = Array2::<f64>::zeros((taps, oh * ow));
    for c in 0..x.c {
        for dy in 0..k {
            for dx in 0..k {
                let row = (c * k + dy) * k + dx;
                let mut line = cols.row_mut(row);
                for y in valid(dy, s, p, x.h, oh) {
                    let iy = y * s + dy - p;
                    for xo in valid(dx, s, p, x.w, ow) {
                        line[y * ow + xo] = x.v[x.at(c, iy, xo * s + dx - p)];
                    }
                }
            }
        }
    }
    let wm = ArrayView2::from_shape((f, taps), w).expect("weights are [F][C·k·k]");
    let mut out = wm.dot(&cols);
    for (mut plane, bias) in out.rows_mut().into_iter().zip(b) {
        plane += *bias;
    }
    Tensor {
        c: f,
        h: oh,
        w: ow,
        v: out.into_raw_vec_and_offset().0,
    }
}

fn pool(x: &Tensor, pl: Pool, mode: PoolMode) -> (Tensor, Vec<Vec<(usize, f64)>>) {
    let (k, s, p) = (pl.window as usize, pl.stride as usize, pl.padding as usize);
    let (oh, ow) = (out_len(x.h, k, s, p), out_len(x.w, k, s, p));
    let mut out = Tensor::zeros(x.c, oh, ow);
    let mut routes = Vec::with_capacity(out.v.len());
    for c in 0..x.c {
        for y in 0..oh {
            for xo in 0..ow {
                let window: Vec<usize> = (0..k)
                    .filter_map(|dy| src(y, dy, s, p, x.h))
                    .flat_map(|iy| {
                        (0..k)
                            .filter_map(move |dx| src(xo, dx, s, p, x.w))
                            .map(move |ix| x.at(c, iy, ix))
                    })
                    .collect();
                let (value, route) = match mode {
                    PoolMode::Max => {
                        let best = window
                            .iter()
                            .copied()
                            .max_by(|a, b| x.v[*a].total_cmp(&x.v[*b]));
                        match best {
                            Some(i) => (x.v[i], vec![(i, 1.0)]),
                            None => (0.0, Vec::new()),
                        }
                    }
                    PoolMode::Average => {
                        let n = window.len().max(1) as f64;
                        let mean = window.iter().map(|i| x.v[*i]).sum::<f64>() / n;
                        (mean, window.iter().map(|i| (*i, 1.0 / n)).collect())
                    }
                };
                let i = out.at(c, y, xo);
                out.v[i] = value;
                routes.push(route);
            }
        }
    }
    (out, routes)
}

/// Input pixels (of `input[0] × input[1]`) with a non-zero gradient of one
/// unit, channel 0 at location (0, 0), of layer `row` (numbered as in the
/// table), for each `row` in `rows`, stopping after the first row whose count
/// is every pixel. Weights are He-normal, biases and input
/// standard normal times 0.1 and 1, all from `seed`.
pub fn pixels_with_gradient(
    input: [u64; 3],
    layers: &[Layer],
    rows: &[usize],
    mode: PoolMode,
    seed: u64,
) -> Vec<usize> {
    let mut r = rng::seeded(seed);
    let [h, w, c] = input.map(|v| v as usize);
    let mut x = Tensor::zeros(c, h, w);
    for v in &mut x.v {
        *v = rng::standard_normal(&mut r);
    }
    let deepest = rows.iter().copied().max().unwrap_or(0).min(layers.len());
    let mut saved = Vec::with_capacity(deepest);
    for layer in &layers[..deepest] {
        let next = match *layer {
            Layer::Conv(cv) => {
                let (f, k) = (cv.filters as usize, cv.kernel as usize);
                let (s, p) = (cv.stride as usize, cv.padding as usize);
                let scale = (2.0 / (k * k * x.c) as f64).sqrt();
                let wts: Vec<f64> = (0..f * x.c * k * k)
                    .map(|_| scale * rng::standard_normal(&mut r))
                    .collect();
                let b: Vec<f64> = (0..f).map(|_| 0.1 * rng::standard_normal(&mut r)).collect();
                let out = conv(&x, f, k, s, p, &wts, &b);
                saved.push(Saved::Conv {
                    w: wts,
                    k,
                    s,
                    p,
                    input: x,
                });
                out
            }
            Layer::Relu => {
                let mut out = x.clone();
                out.v.iter_mut().for_each(|v| *v = v.max(0.0));
                saved.push(Saved::Relu(x));
                out
            }
            Layer::MaxPool(pl) => {
                let (out, routes) = pool(&x, pl, mode);
                saved.push(Saved::Pool {
                    input_shape: (x.c, x.h, x.w),
                    routes,
                });
                out
            }
        };
        x = next;
    }
    let all = h * w;
    let mut full_seen = false;
    rows.iter()
        .map_while(|&row| {
            if full_seen {
                return None; // deeper rows keep the full set; not needed
            }
            let row = row.min(deepest);
            // Shape of layer `row`'s output, then the seed gradient at (0, 0).
            let shape = |i: usize| -> (usize, usize, usize) {
                match saved.get(i) {
                    Some(Saved::Conv { input, .. } | Saved::Relu(input)) => {
                        (input.c, input.h, input.w)
                    }
                    Some(Saved::Pool { input_shape, .. }) => *input_shape,
                    None => (x.c, x.h, x.w),
                }
            };
            let (gc, gh, gw) = shape(row);
            let mut g = Tensor::zeros(gc, gh, gw);
            // One unit: channel 0 at (0, 0), as a receptive-field check probes it.
            g.v[0] = 1.0;
            for step in saved[..row].iter().rev() {
                g = backward(step, &g);
            }
            let seen = (0..all)
                .filter(|pix| (0..c).any(|ch| g.v[ch * all + pix] != 0.0))
                .count();
            full_seen = seen == all;
            Some(seen)
        })
        .collect()
}

fn backward(step: &Saved, g: &Tensor) -> Tensor {
    match step {
        Saved::Relu(input) => {
            let mut out = g.clone();
            for (o, x) in out.v.iter_mut().zip(&input.v) {
                if *x <= 0.0 {
                    *o = 0.0;
                }
            }
            out
        }
        Saved::Pool {
            input_shape: (c, h, w),
            routes,
        } => {
            let mut out = Tensor::zeros(*c, *h, *w);
            for (gv, route) in g.v.iter().zip(routes) {
                if *gv != 0.0 {
                    for (i, f) in route {
                        out.v[*i] += gv * f;
                    }
                }
            }
            out
        }
        Saved::Conv { w, k, s, p, input } => {
            let (k, s, p) = (*k, *s, *p);
            let mut out = Tensor::zeros(input.c, input.h, input.w);
            // The transpose of the forward's row walk; rows of g that are all
            // zero are skipped (one unit's gradient is sparse).
            for fo in 0..g.c {
                for y in 0..g.h {
                    let g_row = &g.v[g.at(fo, y, 0)..g.at(fo, y, 0) + g.w];
                    if g_row.iter().all(|v| *v == 0.0) {
                        continue;
                    }
                    for c in 0..input.c {
                        for dy in 0..k {
                            let Some(iy) = src(y, dy, s, p, input.h) else {
                                continue;
                            };
                            let start = out.at(c, iy, 0);
                            let dst = &mut out.v[start..start + input.w];
                            for dx in 0..k {
                                let wt = w[((fo * input.c + c) * k + dy) * k + dx];
                                for xo in valid(dx, s, p, input.w, g.w) {
                                    dst[xo * s + dx - p] += wt * g_row[xo];
                                }
                            }
                        }
                    }
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::layer_table::{Conv, POOL_2X2};

    #[test]
    fn the_matrix_product_is_the_textbook_convolution() {
        // Direct sum over taps, padding skipped, against the im2col product.
        let mut r = rng::seeded(5);
        for (h, k, s, p) in [
            (7, 3, 1, 1),
            (8, 5, 1, 2),
            (9, 3, 2, 1),
            (6, 2, 2, 0),
            (5, 1, 1, 0),
        ] {
            let mut x = Tensor::zeros(2, h, h);
            x.v.iter_mut()
                .for_each(|v| *v = rng::standard_normal(&mut r));
            let w: Vec<f64> = (0..3 * 2 * k * k)
                .map(|_| rng::standard_normal(&mut r))
                .collect();
            let b = [0.5, -0.25, 1.0];
            let out = conv(&x, 3, k, s, p, &w, &b);
            let n = out_len(h, k, s, p);
            for f in 0..3 {
                for y in 0..n {
                    for xo in 0..n {
                        let mut acc = b[f];
                        for c in 0..2 {
                            for dy in 0..k {
                                for dx in 0..k {
                                    if let (Some(iy), Some(ix)) =
                                        (src(y, dy, s, p, h), src(xo, dx, s, p, h))
                                    {
                                        acc += w[((f * 2 + c) * k + dy) * k + dx]
                                            * x.v[x.at(c, iy, ix)];
                                    }
                                }
                            }
                        }
                        assert!(
                            (out.v[out.at(f, y, xo)] - acc).abs() < 1e-12,
                            "{h} {k} {s} {p}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn average_pools_see_the_dependency_sets_and_max_pools_fewer() {
        // conv 3x3 same, then a 2x2 pool: the pool's corner output reads conv
        // outputs (0..=1, 0..=1), which read input rows and columns −1..=2; the
        // padding leaves 0..=2, so 3 × 3 = 9 pixels.
        let net = [Layer::Conv(Conv::same(4, 3)), Layer::MaxPool(POOL_2X2)];
        let avg = pixels_with_gradient([8, 8, 1], &net, &[2], PoolMode::Average, 3);
        assert_eq!(avg, [9]);
        // A max pool routes each channel's gradient to one conv output, whose
        // window (clipped) is 4 to 9 pixels: the union over channels is at
        // most the dependency set.
        let max = pixels_with_gradient([8, 8, 1], &net, &[2], PoolMode::Max, 3);
        assert!(max[0] <= 9 && max[0] >= 4, "{max:?}");
    }
}
