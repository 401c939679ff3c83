//! The forward and backward passes as ordered lists of steps, for the panel to
//! step through. Recorded by an [`Observer`] on the cell-by-cell loop, so the
//! plain computation never pays for it; [`replay`] re-executes a trace from its
//! step order alone and must reproduce the outputs.

use serde::Serialize;

use super::module::{BackwardView, ForwardView, Observer, backward_with, forward_with};
use super::{Forward, Grads, Image, Mat, Problem, Rnn, Weights, cell, cell_mut};

/// One forward step at cell (i, j): `pre = W_hh h_prev + W_in input`, `h = tanh(pre)`.
/// For A, input = X[i,j] and h_prev = H^A[i,j−1]; for B, input = Y[i,j] = H^A[i,j]
/// and h_prev = H^B[i−1,j] (zero at the start of a row or column).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForwardStep {
    pub rnn: Rnn,
    pub i: usize,
    pub j: usize,
    pub h_prev: Vec<f64>,
    pub input: Vec<f64>,
    pub pre: Vec<f64>,
    pub h: Vec<f64>,
}

/// One backward step at cell (i, j); see [`BackwardView`] for each field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackwardStep {
    pub rnn: Rnn,
    pub i: usize,
    pub j: usize,
    pub dh_out: Vec<f64>,
    pub dh_next: Vec<f64>,
    pub dh: Vec<f64>,
    pub h: Vec<f64>,
    pub da: Vec<f64>,
    pub h_prev: Vec<f64>,
    pub input: Vec<f64>,
    pub dh_prev: Vec<f64>,
    pub d_input: Vec<f64>,
}

impl ForwardStep {
    /// Time index within its scan: the column for A, the row for B.
    pub fn t(&self) -> usize {
        match self.rnn {
            Rnn::A => self.j,
            Rnn::B => self.i,
        }
    }
}

impl BackwardStep {
    pub fn t(&self) -> usize {
        match self.rnn {
            Rnn::A => self.j,
            Rnn::B => self.i,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trace {
    pub forward: Vec<ForwardStep>,
    pub backward: Vec<BackwardStep>,
}

impl Observer for Trace {
    fn forward_step(&mut self, s: &ForwardView<'_>) {
        self.forward.push(ForwardStep {
            rnn: s.rnn,
            i: s.i,
            j: s.j,
            h_prev: s.h_prev.to_vec(),
            input: s.input.to_vec(),
            pre: s.pre.to_vec(),
            h: s.h.to_vec(),
        });
    }

    fn backward_step(&mut self, s: &BackwardView<'_>) {
        self.backward.push(BackwardStep {
            rnn: s.rnn,
            i: s.i,
            j: s.j,
            dh_out: s.dh_out.to_vec(),
            dh_next: s.dh_next.to_vec(),
            dh: s.dh.to_vec(),
            h: s.h.to_vec(),
            da: s.da.to_vec(),
            h_prev: s.h_prev.to_vec(),
            input: s.input.to_vec(),
            dh_prev: s.dh_prev.to_vec(),
            d_input: s.d_input.to_vec(),
        });
    }
}

/// Run forward and backward on `p`, recording every step.
pub fn record(p: &Problem) -> (Forward, Grads, Trace) {
    let mut trace = Trace::default();
    let fwd = forward_with(&p.x, &p.weights, &mut trace);
    let grads = backward_with(&p.x, &p.weights, &fwd, &p.g, &mut trace);
    (fwd, grads, trace)
}

/// What [`replay`] rebuilt, and how far the recorded values were from the
/// recomputed ones (0 when every step recorded exactly what it computed).
#[derive(Debug, Clone)]
pub struct Replay {
    pub forward: Forward,
    pub grads: Grads,
    pub max_recorded_diff: f64,
}

/// Re-execute the trace: take only each step's RNN and cell from it, read every
/// operand from the arrays built so far (X, G, the weights and earlier steps'
/// results), recompute, and compare with what the step recorded. A trace in the
/// wrong order reads unfinished cells and fails to reproduce the outputs.
pub fn replay(trace: &Trace, x: &Image, w: &Weights, g: &Image) -> Replay {
    let (hh, ww, c) = x.dim();
    let mut h_a = Image::zeros((hh, ww, c));
    let mut h_b = Image::zeros((hh, ww, c));
    let mut diff = 0.0f64;
    let mut note = |a: &[f64], b: &[f64]| {
        for (u, v) in a.iter().zip(b) {
            diff = diff.max((u - v).abs());
        }
    };
    let zero = vec![0.0; c];
    let at = |a: &Image, i: usize, j: usize| cell(a, i, j).to_vec();
    for s in &trace.forward {
        let (w_hh, w_in, h_prev, input) = match s.rnn {
            Rnn::A => (
                &w.w_hh_a,
                &w.w_xh_a,
                if s.j == 0 {
                    zero.clone()
                } else {
                    at(&h_a, s.i, s.j - 1)
                },
                at(x, s.i, s.j),
            ),
            Rnn::B => (
                &w.w_hh_b,
                &w.w_yh_b,
                if s.i == 0 {
                    zero.clone()
                } else {
                    at(&h_b, s.i - 1, s.j)
                },
                at(&h_a, s.i, s.j),
            ),
        };
        let pre = mv(w_hh, &h_prev) + mv(w_in, &input);
        let h = pre.mapv(super::module::tanh);
        note(&s.h_prev, h_prev.as_slice());
        note(&s.input, input.as_slice());
        note(&s.pre, &pre.to_vec());
        note(&s.h, &h.to_vec());
        let out = match s.rnn {
            Rnn::A => &mut h_a,
            Rnn::B => &mut h_b,
        };
        cell_mut(out, s.i, s.j).assign(&h);
    }

    let mut d_y = Image::zeros((hh, ww, c));
    let mut d_x = Image::zeros((hh, ww, c));
    let mut d_w = [
        Mat::zeros((c, c)),
        Mat::zeros((c, c)),
        Mat::zeros((c, c)),
        Mat::zeros((c, c)),
    ];
    // The gradient carried along each column (B) and each row (A).
    let mut carry_b = vec![ndarray::Array1::<f64>::zeros(c); ww];
    let mut carry_a = vec![ndarray::Array1::<f64>::zeros(c); hh];
    for s in &trace.backward {
        let (i, j) = (s.i, s.j);
        let (w_hh, w_in, dh_out, h, h_prev, input, carry) = match s.rnn {
            Rnn::B => (
                &w.w_hh_b,
                &w.w_yh_b,
                at(g, i, j),
                at(&h_b, i, j),
                if i == 0 {
                    zero.clone()
                } else {
                    at(&h_b, i - 1, j)
                },
                at(&h_a, i, j),
                &mut carry_b[j],
            ),
            Rnn::A => (
                &w.w_hh_a,
                &w.w_xh_a,
                at(&d_y, i, j),
                at(&h_a, i, j),
                if j == 0 {
                    zero.clone()
                } else {
                    at(&h_a, i, j - 1)
                },
                at(x, i, j),
                &mut carry_a[i],
            ),
        };
        let dh: ndarray::Array1<f64> = &ndarray::Array1::from(dh_out.clone()) + &*carry;
        let da: ndarray::Array1<f64> = ndarray::Zip::from(&dh)
            .and(&h)
            .map_collect(|&d, &h| d * (1.0 - h * h));
        let outer =
            |u: &ndarray::Array1<f64>, v: &[f64]| Mat::from_shape_fn((c, c), |(r, k)| u[r] * v[k]);
        let (k_hh, k_in) = match s.rnn {
            Rnn::A => (0, 1),
            Rnn::B => (2, 3),
        };
        d_w[k_hh] += &outer(&da, &h_prev);
        d_w[k_in] += &outer(&da, &input);
        let dh_prev = w_hh.t().dot(&da);
        let d_input = w_in.t().dot(&da);
        note(&s.dh_out, &dh_out);
        note(&s.dh_next, &carry.to_vec());
        note(&s.da, &da.to_vec());
        note(&s.dh_prev, &dh_prev.to_vec());
        note(&s.d_input, &d_input.to_vec());
        *carry = dh_prev;
        let out = match s.rnn {
            Rnn::B => &mut d_y,
            Rnn::A => &mut d_x,
        };
        cell_mut(out, i, j).assign(&d_input);
        // A new column (row) starts from a zero carry: reset after its last step.
        let last = match s.rnn {
            Rnn::B => i == 0,
            Rnn::A => j == 0,
        };
        if last {
            carry.fill(0.0);
        }
    }
    let [w_hh_a, w_xh_a, w_hh_b, w_yh_b] = d_w;
    Replay {
        forward: Forward { h_a, h_b },
        grads: Grads {
            x: d_x,
            w_hh_a,
            w_xh_a,
            w_hh_b,
            w_yh_b,
        },
        max_recorded_diff: diff,
    }
}

fn mv(w: &Mat, v: &[f64]) -> ndarray::Array1<f64> {
    w.dot(&ndarray::ArrayView1::from(v))
}

// ------------------------------------------------- the common trace ----

use crate::compute::trace::{self as common, Phase, Tensor};

fn names(rnn: Rnn) -> (&'static str, &'static str, &'static str) {
    match rnn {
        Rnn::A => ("A", "x", "W_{in}"),
        Rnn::B => ("B", "y", "W_{in}"),
    }
}

/// The recorded trace as the notebook's common steps (forward then
/// backward), every operand linked to the step that produced it: h_prev to
/// the previous cell of the scan, y to A's step at the cell, dh_next to the
/// later cell's backward step, dh_out of A to B's dy at the cell. The
/// backward steps also output their terms of dW_hh and dW_in, which sum to
/// the weight gradients.
pub fn to_common(trace: &Trace, p: &Problem) -> common::Trace {
    let w = &p.weights;
    let c = p.x.dim().2;
    let zero = Tensor::vector(&vec![0.0; c]);
    let mut out = common::Trace::new("rnn2d");
    let mut fwd_at = std::collections::HashMap::new();
    for s in &trace.forward {
        let (name, inp, w_in_name) = names(s.rnn);
        let (w_hh, w_in) = match s.rnn {
            Rnn::A => (&w.w_hh_a, &w.w_xh_a),
            Rnn::B => (&w.w_hh_b, &w.w_yh_b),
        };
        let (i, j) = (s.i, s.j);
        let prev = match s.rnn {
            Rnn::A => j.checked_sub(1).map(|q| (Rnn::A, i, q)),
            Rnn::B => i.checked_sub(1).map(|q| (Rnn::B, q, j)),
        };
        let prev_text = match prev {
            Some((_, pi, pj)) => format!("h^{name}[{pi},{pj}]"),
            None => "the zero state".into(),
        };
        let label = format!(
            "RNN {name} at ({i},{j}): h^{name}[{i},{j}] from {prev_text} and {inp}[{i},{j}]"
        );
        let latex = format!(
            r"h = \tanh(W_{{hh}}^{name} h_{{prev}} + {w_in_name}^{name} {inp}), \quad \mathrm{{pre}} = W_{{hh}}^{name} h_{{prev}} + {w_in_name}^{name} {inp}"
        );
        let b = out.step(Phase::Forward, "rnn2d.forward", label, latex);
        let b = match prev.and_then(|k| fwd_at.get(&k)) {
            Some(&k) => b.read_as("h_prev", k, "h"),
            None => b.given("h_prev", zero.clone()),
        };
        let b = match s.rnn {
            Rnn::A => b.given("x", Tensor::vector(&s.input)),
            Rnn::B => match fwd_at.get(&(Rnn::A, i, j)) {
                Some(&k) => b.read_as("y", k, "h"),
                None => b.given("y", Tensor::vector(&s.input)),
            },
        };
        let k = b
            .given("W_hh", Tensor::from_array(w_hh))
            .given("W_in", Tensor::from_array(w_in))
            .out("pre", Tensor::vector(&s.pre))
            .out("h", Tensor::vector(&s.h))
            .note(match s.rnn {
                Rnn::A if j == 0 => "the start of row: h_prev is the zero state".to_string(),
                Rnn::B if i == 0 => "the start of column: h_prev is the zero state".to_string(),
                Rnn::A => format!("A scans row {i} left to right"),
                Rnn::B => format!("B scans column {j} top to bottom; y = h^A[{i},{j}]"),
            })
            .push();
        fwd_at.insert((s.rnn, i, j), k);
    }
    let (hh, ww, _) = p.x.dim();
    let mut bwd_at = std::collections::HashMap::new();
    for s in &trace.backward {
        let (name, inp, w_in_name) = names(s.rnn);
        let (w_hh, w_in) = match s.rnn {
            Rnn::A => (&w.w_hh_a, &w.w_xh_a),
            Rnn::B => (&w.w_hh_b, &w.w_yh_b),
        };
        let (i, j) = (s.i, s.j);
        let later = match s.rnn {
            Rnn::A => (j + 1 < ww).then(|| (Rnn::A, i, j + 1)),
            Rnn::B => (i + 1 < hh).then(|| (Rnn::B, i + 1, j)),
        };
        let earlier = match s.rnn {
            Rnn::A => j.checked_sub(1).map(|q| (i, q)),
            Rnn::B => i.checked_sub(1).map(|q| (q, j)),
        };
        let (up, d_in) = match s.rnn {
            Rnn::B => (format!("G[{i},{j}]"), format!("dY[{i},{j}]")),
            Rnn::A => (format!("dY[{i},{j}]"), format!("dX[{i},{j}]")),
        };
        let next_text = match later {
            Some((_, li, lj)) => format!("dh_next from ({li},{lj})"),
            None => "dh_next = 0 (last step of the scan)".into(),
        };
        let label = format!("RNN {name} back at ({i},{j}): dh = {up} + {next_text}");
        let latex = format!(
            r"dh = dh_{{out}} + dh_{{next}}, \quad da = dh \odot (1 - h^2) \\ dh_{{prev}} = (W_{{hh}}^{name})^\top da, \quad d{inp} = ({w_in_name}^{name})^\top da \\ \Delta W_{{hh}}^{name} = da\, h_{{prev}}^\top, \quad \Delta {w_in_name}^{name} = da\, {inp}^\top"
        );
        let b = out.step(Phase::Backward, "rnn2d.backward", label, latex);
        let b = match s.rnn {
            Rnn::B => b.given("dh_out", Tensor::vector(&s.dh_out)),
            Rnn::A => match bwd_at.get(&(Rnn::B, i, j)) {
                Some(&k) => b.read_as("dh_out", k, "d_input"),
                None => b.given("dh_out", Tensor::vector(&s.dh_out)),
            },
        };
        let b = match later.and_then(|k| bwd_at.get(&k)) {
            Some(&k) => b.read_as("dh_next", k, "dh_prev"),
            None => b.given("dh_next", zero.clone()),
        };
        let b = match fwd_at.get(&(s.rnn, i, j)) {
            Some(&k) => b.read("h", k),
            None => b.given("h", Tensor::vector(&s.h)),
        };
        let b = match earlier.and_then(|(ei, ej)| fwd_at.get(&(s.rnn, ei, ej))) {
            Some(&k) => b.read_as("h_prev", k, "h"),
            None => b.given("h_prev", zero.clone()),
        };
        let b = match s.rnn {
            Rnn::A => b.given("input", Tensor::vector(&s.input)),
            Rnn::B => match fwd_at.get(&(Rnn::A, i, j)) {
                Some(&k) => b.read_as("input", k, "h"),
                None => b.given("input", Tensor::vector(&s.input)),
            },
        };
        let outer = |u: &[f64], v: &[f64]| Mat::from_shape_fn((c, c), |(r, q)| u[r] * v[q]);
        let prev_note = match earlier {
            Some((ei, ej)) => format!("dh_prev → ({ei},{ej})"),
            None => "dh_prev unused (first step of the scan)".into(),
        };
        let k = b
            .given("W_hh", Tensor::from_array(w_hh))
            .given("W_in", Tensor::from_array(w_in))
            // Most telling first: a short panel shows the first rows only.
            .out("da", Tensor::vector(&s.da))
            .out("dh_prev", Tensor::vector(&s.dh_prev))
            .out("d_input", Tensor::vector(&s.d_input))
            .out("dh", Tensor::vector(&s.dh))
            .out("ΔW_hh", Tensor::from_array(&outer(&s.da, &s.h_prev)))
            .out("ΔW_in", Tensor::from_array(&outer(&s.da, &s.input)))
            .note(format!("{prev_note}; d{inp} = {d_in}"))
            .push();
        bwd_at.insert((s.rnn, i, j), k);
    }
    out
}

/// Recompute an `rnn2d.*` step from its recorded inputs.
pub fn recompute(s: &common::Step) -> Result<Vec<Tensor>, String> {
    let vecv = |n: &str| common::need(s, n).map(|t| t.data.clone());
    let mat = |n: &str| common::need(s, n).map(Tensor::matrix);
    let mv = |m: &Mat, v: &[f64]| -> Vec<f64> {
        (0..m.nrows())
            .map(|r| (0..m.ncols()).map(|q| m[[r, q]] * v[q]).sum())
            .collect()
    };
    let mtv = |m: &Mat, v: &[f64]| -> Vec<f64> {
        (0..m.ncols())
            .map(|q| (0..m.nrows()).map(|r| m[[r, q]] * v[r]).sum())
            .collect()
    };
    match s.op.as_str() {
        "rnn2d.forward" => {
            let input = vecv("x").or_else(|_| vecv("y"))?;
            let (w_hh, w_in, h_prev) = (mat("W_hh")?, mat("W_in")?, vecv("h_prev")?);
            let pre: Vec<f64> = mv(&w_hh, &h_prev)
                .iter()
                .zip(mv(&w_in, &input))
                .map(|(a, b)| a + b)
                .collect();
            let h: Vec<f64> = pre.iter().map(|v| super::module::tanh(*v)).collect();
            Ok(vec![Tensor::vector(&pre), Tensor::vector(&h)])
        }
        "rnn2d.backward" => {
            let (dh_out, dh_next, h) = (vecv("dh_out")?, vecv("dh_next")?, vecv("h")?);
            let (h_prev, input) = (vecv("h_prev")?, vecv("input")?);
            let (w_hh, w_in) = (mat("W_hh")?, mat("W_in")?);
            let dh: Vec<f64> = dh_out.iter().zip(&dh_next).map(|(a, b)| a + b).collect();
            let da: Vec<f64> = dh.iter().zip(&h).map(|(d, h)| d * (1.0 - h * h)).collect();
            let c = da.len();
            let outer = |u: &[f64], v: &[f64]| {
                Tensor::from_array(&Mat::from_shape_fn((c, c), |(r, q)| u[r] * v[q]))
            };
            Ok(vec![
                Tensor::vector(&da),
                Tensor::vector(&mtv(&w_hh, &da)),
                Tensor::vector(&mtv(&w_in, &da)),
                Tensor::vector(&dh),
                outer(&da, &h_prev),
                outer(&da, &input),
            ])
        }
        op => Err(format!("unknown op {op}")),
    }
}
