//! Problem 1's trace: the forward pass layer by layer, each step giving the
//! tensor's shape, the parameters and FLOPs (every scalar op, the midterm's
//! convention) the layer adds, the running totals, the analytic receptive
//! field r and jump, and the exact receptive field of the corner output
//! (0, 0) on the input map (rows and columns seen), growing layer by layer.
//!
//! The recorder reads the figures from [`super::table`] and
//! [`super::Table::probe`]; replay recomputes each step from its recorded
//! inputs (the incoming shape, the layer's hyperparameters, the geometry of
//! every layer so far) with its own formulas.

use super::{Layer, Location, Table};
use crate::compute::trace::{Phase, Step, Tensor, Trace, need};

/// `[kind, filters, kernel, stride, padding]`, kind 0 conv, 1 ReLU, 2 max pool.
fn layer_code(l: &Layer) -> [f64; 5] {
    match *l {
        Layer::Conv(c) => [
            0.0,
            c.filters as f64,
            c.kernel as f64,
            c.stride as f64,
            c.padding as f64,
        ],
        Layer::Relu => [1.0, 0.0, 1.0, 1.0, 0.0],
        Layer::MaxPool(p) => [2.0, 0.0, p.window as f64, p.stride as f64, p.padding as f64],
    }
}

/// `[first, last, count]` of the `true` positions (`[-1, -1, 0]` if none).
fn span_of(m: &[bool]) -> Tensor {
    let first = m.iter().position(|b| *b);
    let last = m.iter().rposition(|b| *b);
    let count = m.iter().filter(|b| **b).count();
    match (first, last) {
        (Some(a), Some(b)) => Tensor::vector(&[a as f64, b as f64, count as f64]),
        _ => Tensor::vector(&[-1.0, -1.0, 0.0]),
    }
}

fn latex(l: &Layer) -> &'static str {
    match l {
        Layer::Conv(_) => {
            r"n' = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1, \quad P = (k^2 C + 1) F, \quad \mathrm{FLOPs} = 2 k^2 C \cdot H' W' F \\ r' = r + (k - 1) j, \quad j' = j s"
        }
        Layer::Relu => r"\mathrm{FLOPs} = H W C, \quad P = 0, \quad r' = r",
        Layer::MaxPool(_) => {
            r"n' = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1, \quad \mathrm{FLOPs} = (k^2 - 1) H' W' C \\ r' = r + (k - 1) j, \quad j' = j s"
        }
    }
}

/// Record the table's forward pass.
pub fn record(t: &Table) -> Trace {
    let mut tr = Trace::new("layer-table");
    let mut geometry: Vec<[f64; 5]> = Vec::new();
    let [h0, w0, _] = t.input;
    let (mut nh, mut nw) = (h0, w0);
    let mut params = 0u64;
    let mut flops = 0u64;
    for (i, layer) in t.layers.iter().enumerate() {
        let row = &t.rows[i + 1];
        let prev = &t.rows[i];
        let axis = layer.axis();
        geometry.push([
            axis.kernel as f64,
            axis.stride as f64,
            axis.padding as f64,
            nh as f64,
            nw as f64,
        ]);
        let probe = t.probe(i + 1, Location::Corner);
        params += row.params;
        flops += row.ops.all;
        let b = tr.step(
            Phase::Forward,
            "layer.forward",
            format!("layer {}: {}", i + 1, row.name),
            latex(layer),
        );
        let b = if i == 0 {
            b.given("in shape", Tensor::vector(&prev.out.map(|v| v as f64)))
                .given("totals in", Tensor::vector(&[0.0, 0.0]))
                .given("RF in", Tensor::vector(&[1.0, 1.0]))
        } else {
            b.read_as("in shape", i - 1, "shape")
                .read_as("totals in", i - 1, "totals")
                .read_as("RF in", i - 1, "RF")
        };
        let seen = probe.seen();
        let full = probe.full();
        b.given("layer", Tensor::vector(&layer_code(layer)))
            .given(
                "geometry",
                Tensor {
                    shape: vec![geometry.len(), 5],
                    data: geometry.iter().flatten().copied().collect(),
                },
            )
            // Most telling first: a short panel shows the first rows only.
            .out("shape", Tensor::vector(&row.out.map(|v| v as f64)))
            .out("params", Tensor::scalar(row.params as f64))
            .out("FLOPs", Tensor::scalar(row.ops.all as f64))
            .out(
                "RF",
                Tensor::vector(&[row.rf.size as f64, row.rf.jump as f64]),
            )
            .out("corner rows lo,hi,n", span_of(&probe.rows))
            .out("corner cols lo,hi,n", span_of(&probe.cols))
            .out("corner seen", Tensor::scalar(seen as f64))
            .out("totals", Tensor::vector(&[params as f64, flops as f64]))
            .note(format!(
                "corner (0,0) sees {} of {} input pixels{}",
                super::thousands(seen),
                super::thousands(h0 * w0),
                if full {
                    ": full receptive field"
                } else if row.rf.size >= h0.max(w0) {
                    " although r ≥ the input: its window hangs over the padding"
                } else {
                    ""
                }
            ))
            .push();
        let (h2, w2) = (row.out[0], row.out[1]);
        (nh, nw) = (h2, w2);
    }
    tr
}

fn out_len(n: f64, k: f64, s: f64, p: f64) -> f64 {
    ((n + 2.0 * p - k) / s).floor() + 1.0
}

/// The input positions along one axis output 0 of the last layer depends
/// on, walking back through `geometry` rows `(k, s, p, n_in)`.
fn corner_mask(geometry: &[(f64, f64, f64, f64)]) -> Vec<bool> {
    // Positions of the last layer's output: only 0.
    let Some(&(k, s, p, n)) = geometry.last() else {
        return Vec::new();
    };
    let mut set = vec![false; out_len(n, k, s, p).max(1.0) as usize];
    set[0] = true;
    for &(k, s, p, n) in geometry.iter().rev() {
        let n = n as usize;
        let mut prev = vec![false; n];
        for (q, _) in set.iter().enumerate().filter(|(_, b)| **b) {
            let a = q as f64 * s - p;
            for x in 0..k as usize {
                let pos = a + x as f64;
                if pos >= 0.0 && (pos as usize) < n {
                    prev[pos as usize] = true;
                }
            }
        }
        set = prev;
    }
    set
}

/// Recompute a `layer.*` step from its recorded inputs.
pub fn recompute(s: &Step) -> Result<Vec<Tensor>, String> {
    if s.op != "layer.forward" {
        return Err(format!("unknown op {}", s.op));
    }
    let d = |n: &str| need(s, n).map(|t| t.data.clone());
    let shape = d("in shape")?;
    let l = d("layer")?;
    let totals = d("totals in")?;
    let rf = d("RF in")?;
    let g = need(s, "geometry")?;
    let (h, w, c) = (shape[0], shape[1], shape[2]);
    let (kind, f, k, st, p) = (l[0], l[1], l[2], l[3], l[4]);
    let (h2, w2) = (out_len(h, k, st, p), out_len(w, k, st, p));
    let c2 = if kind == 0.0 { f } else { c };
    let (params, flops) = match kind as u8 {
        0 => ((k * k * c + 1.0) * f, 2.0 * k * k * c * h2 * w2 * f),
        1 => (0.0, h * w * c),
        _ => (0.0, (k * k - 1.0) * h2 * w2 * c),
    };
    let rows: Vec<(f64, f64, f64, f64)> =
        g.data.chunks(5).map(|r| (r[0], r[1], r[2], r[3])).collect();
    let cols: Vec<(f64, f64, f64, f64)> =
        g.data.chunks(5).map(|r| (r[0], r[1], r[2], r[4])).collect();
    let mr = corner_mask(&rows);
    let mc = corner_mask(&cols);
    let count = |m: &[bool]| m.iter().filter(|b| **b).count() as f64;
    let seen = count(&mr) * count(&mc);
    Ok(vec![
        Tensor::vector(&[h2, w2, c2]),
        Tensor::scalar(params),
        Tensor::scalar(flops),
        Tensor::vector(&[rf[0] + (k - 1.0) * rf[1], rf[1] * st]),
        span_of(&mr),
        span_of(&mc),
        Tensor::scalar(seen),
        Tensor::vector(&[totals[0] + params, totals[1] + flops]),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::{Conv, MIDTERM, MIDTERM_INPUT, POOL_2X2, table};
    use super::*;
    use crate::compute::trace::replay;

    #[test]
    fn replays_and_ends_at_the_table_totals() {
        let nets: Vec<([u64; 3], Vec<Layer>)> = vec![
            (MIDTERM_INPUT, MIDTERM.to_vec()),
            ([7, 5, 2], vec![Layer::Conv(Conv::same(4, 3)), Layer::Relu]),
            (
                [16, 16, 1],
                vec![
                    Layer::Conv(Conv {
                        filters: 2,
                        kernel: 1,
                        stride: 2,
                        padding: 0,
                    }),
                    Layer::MaxPool(POOL_2X2),
                    Layer::Conv(Conv::same(3, 5)),
                ],
            ),
        ];
        for (input, layers) in nets {
            let t = table(input, &layers).unwrap();
            let tr = record(&t);
            replay(&tr).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(tr.len(), layers.len());
            let last = tr.steps.last().unwrap();
            assert_eq!(
                last.output("totals").unwrap().data,
                vec![t.total_params as f64, t.total_ops.all as f64]
            );
        }
    }

    /// 1(b): the first step whose corner sees every pixel is the table's
    /// first full-receptive-field row.
    #[test]
    fn the_corner_fills_the_input_at_the_first_full_layer() {
        let t = table(MIDTERM_INPUT, MIDTERM).unwrap();
        let tr = record(&t);
        let all = (MIDTERM_INPUT[0] * MIDTERM_INPUT[1]) as f64;
        let first = tr
            .steps
            .iter()
            .position(|s| s.output("corner seen").unwrap().as_scalar() == all)
            .unwrap();
        assert_eq!(Some(first + 1), t.first_full_rf_layer);
    }
}
