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
