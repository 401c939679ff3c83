//! Problem 6: a module that runs RNN A along the rows of an image and RNN B down
//! the columns of A's output, with its backward pass, a step-by-step trace, the
//! receptive field, FLOP counts and a batched (one matrix product per step) form.
//!
//! Shapes: X, G, H^A, H^B are [H][W][C] (indexed [i, j, c]); every weight is
//! [C][C] with rows = outputs, so h = tanh(W_hh h_prev + W_xh x). No biases: the
//! midterm's equations have none (a bias b would be added to `pre` in each step,
//! and its gradient would be Σ da over all steps).

pub mod batched;
pub mod flops;
mod gemm;
pub mod module;
pub mod receptive;
pub mod trace;

use ndarray::{Array2, Array3, ArrayView1, ArrayViewMut1, Axis};
use serde::Serialize;

use super::gradcheck;
use super::{
    Computation, ComputeError, Facts, ParamSpec, Params, Progress, ProgressFn, Report, rng,
};
use flops::FlopCount;

pub type Image = Array3<f64>;
pub type Mat = Array2<f64>;

/// Which of the two RNNs a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Rnn {
    /// Along each row, left to right, reading X.
    A,
    /// Down each column, top to bottom, reading Y = H^A.
    B,
}

/// The four [C][C] weight matrices (rows = outputs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weights {
    pub w_hh_a: Mat,
    pub w_xh_a: Mat,
    pub w_hh_b: Mat,
    pub w_yh_b: Mat,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    pub h_a: Image,
    pub h_b: Image,
}

/// Gradients of L = Σ G ⊙ H^B.
#[derive(Debug, Clone, PartialEq)]
pub struct Grads {
    pub x: Image,
    pub w_hh_a: Mat,
    pub w_xh_a: Mat,
    pub w_hh_b: Mat,
    pub w_yh_b: Mat,
}

/// Seeded inputs: image, weights and upstream gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub seed: u64,
    pub x: Image,
    pub weights: Weights,
    pub g: Image,
}

impl Problem {
    /// X and G uniform in [−1, 1); weights uniform in [−1/√C, 1/√C), which keeps
    /// pre-activations O(1) (tanh far from saturation) and the weights generic, so
    /// no derivative vanishes by accident.
    pub fn random(h: usize, w: usize, c: usize, seed: u64) -> Problem {
        let mut r = rng::seeded(seed);
        let scale = 1.0 / (c.max(1) as f64).sqrt();
        let x = rng::uniform(&mut r, (h, w, c), 1.0);
        let weights = Weights {
            w_hh_a: rng::uniform(&mut r, (c, c), scale),
            w_xh_a: rng::uniform(&mut r, (c, c), scale),
            w_hh_b: rng::uniform(&mut r, (c, c), scale),
            w_yh_b: rng::uniform(&mut r, (c, c), scale),
        };
        let g = rng::uniform(&mut r, (h, w, c), 1.0);
        Problem {
            seed,
            x,
            weights,
            g,
        }
    }

    /// (H, W, C)
    pub fn dims(&self) -> (usize, usize, usize) {
        self.x.dim()
    }
}

/// Flat row-major data back into [H][W][C]; the length is H·W·C by construction.
pub(crate) fn image_from_vec(dims: (usize, usize, usize), data: Vec<f64>) -> Image {
    Image::from_shape_vec(dims, data).expect("buffer allocated as H·W·C")
}

pub(crate) fn mat_from_vec(c: usize, data: Vec<f64>) -> Mat {
    Mat::from_shape_vec((c, c), data).expect("buffer allocated as C·C")
}

/// The C channels at (i, j) of an [H][W][C] tensor.
pub fn cell(a: &Image, i: usize, j: usize) -> ArrayView1<'_, f64> {
    a.index_axis(Axis(0), i).index_axis_move(Axis(0), j)
}

pub fn cell_mut(a: &mut Image, i: usize, j: usize) -> ArrayViewMut1<'_, f64> {
    a.index_axis_mut(Axis(0), i).index_axis_move(Axis(0), j)
}

/// The scalar the gradients are of: L = Σ G ⊙ H^B, so dL/dH^B = G.
pub fn loss(h_b: &Image, g: &Image) -> f64 {
    h_b.iter().zip(g).map(|(a, b)| a * b).sum()
}

/// Central-difference check of `grads` against the loss, on every entry of X and
/// of the four weights, or on at most `per_tensor` evenly spaced entries of each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GradCheckReport {
    pub max_rel_error: f64,
    /// Which tensor holds the worst entry, and its flat index there.
    pub worst_tensor: &'static str,
    pub worst_index: usize,
    pub checked: usize,
    pub total: usize,
}

impl GradCheckReport {
    /// The acceptance bound for f64 central differences on this module.
    pub const TOLERANCE: f64 = 1e-7;

    pub fn passed(&self) -> bool {
        self.max_rel_error < Self::TOLERANCE
    }
}

pub fn grad_check(
    p: &Problem,
    grads: &Grads,
    per_tensor: Option<usize>,
    progress: &mut ProgressFn<'_>,
) -> Result<GradCheckReport, ComputeError> {
    let dims = p.dims();
    let c = dims.2;
    // Both forms agree to 1e-12; the loop has less overhead on tiny sizes.
    let small = dims.0 * dims.1 * c * c <= 4096;
    let forward = |x: &Image, w: &Weights| {
        if small {
            module::forward(x, w).h_b
        } else {
            batched::forward(x, w).h_b
        }
    };
    let names = ["x", "w_hh_a", "w_xh_a", "w_hh_b", "w_yh_b"];
    let analytic: [Vec<f64>; 5] = [
        grads.x.iter().copied().collect(),
        grads.w_hh_a.iter().copied().collect(),
        grads.w_xh_a.iter().copied().collect(),
        grads.w_hh_b.iter().copied().collect(),
        grads.w_yh_b.iter().copied().collect(),
    ];
    let total: usize = analytic.iter().map(|a| a.len()).sum();
    let mut report = GradCheckReport {
        max_rel_error: 0.0,
        worst_tensor: names[0],
        worst_index: 0,
        checked: 0,
        total,
    };
    for (k, name) in names.iter().enumerate() {
        let n = analytic[k].len();
        let m = per_tensor.map_or(n, |m| m.clamp(1, n.max(1)).min(n));
        for q in (0..m).map(|q| q * n / m.max(1)) {
            let done = report.checked as u64;
            if progress(Progress {
                done,
                total: total as u64,
                label: format!("grad check {name}"),
            })
            .is_break()
            {
                return Err(ComputeError::Cancelled);
            }
            // Perturb entry q of tensor k by ±STEP.
            let eval = |delta: f64| {
                let (mut x, mut w) = (p.x.clone(), p.weights.clone());
                // Entry q in logical (row-major) order, whatever the memory layout.
                let entry = match k {
                    0 => x.iter_mut().nth(q),
                    1 => w.w_hh_a.iter_mut().nth(q),
                    2 => w.w_xh_a.iter_mut().nth(q),
                    3 => w.w_hh_b.iter_mut().nth(q),
                    _ => w.w_yh_b.iter_mut().nth(q),
                };
                if let Some(v) = entry {
                    *v += delta;
                }
                forward(&x, &w)
            };
            let (plus, minus) = (eval(gradcheck::STEP), eval(-gradcheck::STEP));
            // Σ G ⊙ (H⁺ − H⁻): differencing before summing keeps the rounding
            // error of the large sum L out of the small difference.
            let diff: f64 = plus
                .iter()
                .zip(&minus)
                .zip(&p.g)
                .map(|((a, b), g)| g * (a - b))
                .sum();
            let numeric = diff / (2.0 * gradcheck::STEP);
            let err = gradcheck::relative_error(analytic[k][q], numeric);
            if err > report.max_rel_error || err.is_nan() || report.checked == 0 {
                report.max_rel_error = err;
                report.worst_tensor = name;
                report.worst_index = q;
            }
            report.checked += 1;
        }
    }
    Ok(report)
}

/// Everything the panel and the CLI show for one problem.
#[derive(Debug, Clone)]
pub struct Solution {
    pub problem: Problem,
    pub forward: Forward,
    pub grads: Grads,
    /// Operations counted while the cell-by-cell loop ran: (forward, backward).
    pub counted: (FlopCount, FlopCount),
    pub grad_check: GradCheckReport,
}

/// Evaluations a grad check may spend, in forward-pass FLOPs, before it samples
/// entries instead of checking all (keeps the CLI under a second at its bounds).
const GRAD_CHECK_BUDGET: u64 = 200_000_000;

pub fn solve(p: Problem, progress: &mut ProgressFn<'_>) -> Result<Solution, ComputeError> {
    let (hh, ww, c) = p.dims();
    let mut fwd_count = flops::Counter::default();
    let forward = module::forward_with(&p.x, &p.weights, &mut fwd_count);
    let mut bwd_count = flops::Counter::default();
    let grads = module::backward_with(&p.x, &p.weights, &forward, &p.g, &mut bwd_count);
    let per_eval = flops::forward(hh as u64, ww as u64, c as u64)
        .total()
        .max(1);
    let total = (hh * ww * c + 4 * c * c) as u64;
    let per_tensor = if 2 * total * per_eval <= GRAD_CHECK_BUDGET {
        None
    } else {
        Some((GRAD_CHECK_BUDGET / (2 * 5 * per_eval)).max(1) as usize)
    };
    let grad_check = grad_check(&p, &grads, per_tensor, progress)?;
    Ok(Solution {
        problem: p,
        forward,
        grads,
        counted: (fwd_count.0, bwd_count.0),
        grad_check,
    })
}

fn fmt_vec(v: impl IntoIterator<Item = f64>) -> String {
    let parts: Vec<String> = v.into_iter().map(|x| format!("{x:+.4}")).collect();
    format!("[{}]", parts.join(", "))
}

/// The text `nnbook compute rnn2d` prints: the panel's summary.
pub fn summary_text(s: &Solution) -> String {
    let (hh, ww, c) = s.problem.dims();
    let (h, w, cc) = (hh as u64, ww as u64, c as u64);
    let fwd = flops::forward(h, w, cc);
    let bwd = flops::backward(h, w, cc);
    let conv = flops::conv3x3(h, w, cc);
    let ok = |b: bool| if b { "✓" } else { "✗" };
    let mut t = format!(
        "2D RNN module  H={hh} W={ww} C={c}  seed={}\n\n",
        s.problem.seed
    );
    t += &format!(
        "{:<22} {:>14} {:>14}  formula\n",
        "FLOPs", "formula", "counted"
    );
    t += &format!(
        "{:<22} {:>14} {:>14}  8HWC² {}\n",
        "module forward",
        fwd.total(),
        s.counted.0.total(),
        ok(fwd == s.counted.0)
    );
    t += &format!(
        "{:<22} {:>14} {:>14}  HW(16C²+4C) {}\n",
        "module backward",
        bwd.total(),
        s.counted.1.total(),
        ok(bwd == s.counted.1)
    );
    t += &format!(
        "{:<22} {:>14} {:>14}  18HWC²\n",
        "3x3 conv (with bias)", conv, ""
    );
    t += &format!(
        "forward / conv = {:.4} (= 4/9 at every C under this convention)\n\n",
        fwd.total() as f64 / conv as f64
    );
    let gc = &s.grad_check;
    t += &format!(
        "grad check: max relative error {:.1e} {} ({} of {} entries, worst in {}[{}])\n\n",
        gc.max_rel_error,
        ok(gc.passed()),
        gc.checked,
        gc.total,
        gc.worst_tensor,
        gc.worst_index
    );
    let (li, lj) = (hh - 1, ww - 1);
    let cell = |a: &Image, i: usize, j: usize| fmt_vec(cell(a, i, j).iter().copied().take(4));
    let more = if c > 4 { " (first 4 channels)" } else { "" };
    t += &format!("excerpt{more}:\n");
    // labels padded to one column, whatever the size of the last index
    let rows = [
        ("H^A[0,0]".to_string(), cell(&s.forward.h_a, 0, 0)),
        ("H^B[0,0]".to_string(), cell(&s.forward.h_b, 0, 0)),
        (format!("H^B[{li},{lj}]"), cell(&s.forward.h_b, li, lj)),
        ("dL/dX[0,0]".to_string(), cell(&s.grads.x, 0, 0)),
    ];
    let width = rows
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0)
        .max(15);
    for (label, values) in rows {
        t += &format!("  {label:<width$} = {values}\n");
    }
    t += &format!(
        "receptive field of ({li},{lj}): {} positions × {c} channels\n",
        receptive::structural_size(li, lj)
    );
    t
}

/// Upper bound on each of h, w, c.
pub const MAX_SIDE: usize = 256;
/// Upper bound on H·W·C: keeps the JSON (five [H][W][C] tensors) near 40 MB and a
/// run under a second or two.
pub const MAX_ELEMENTS: usize = 1 << 18;

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "h",
        default: "4",
        help: "image height H (1..=256)",
    },
    ParamSpec {
        name: "w",
        default: "5",
        help: "image width W (1..=256)",
    },
    ParamSpec {
        name: "c",
        default: "2",
        help: "channels C (1..=256); H·W·C ≤ 262144",
    },
    ParamSpec {
        name: "seed",
        default: "1",
        help: "seed for X, the weights and G",
    },
    ParamSpec {
        name: "trace",
        default: "0",
        help: "1: --json adds the forward and backward cell by cell (h, w ≤ 10, c ≤ 4: the panel's sizes)",
    },
];

/// Largest sizes `trace=1` records at (the panel's): every step carries its
/// C×C weights, so the trace grows as H·W·C².
pub const TRACE_MAX_HW: usize = 10;
pub const TRACE_MAX_C: usize = 4;

pub const DEFAULT_SEED: u64 = 1;

pub const COMPUTATION: Computation = Computation {
    name: "rnn2d",
    summary: "Problem 6: 2D RNN module forward/backward, grad check, FLOPs vs a 3x3 conv",
    params: PARAMS,
    run,
};

#[derive(Serialize)]
struct Json {
    seed: u64,
    h: usize,
    w: usize,
    c: usize,
    x: serde_json::Value,
    w_hh_a: serde_json::Value,
    w_xh_a: serde_json::Value,
    w_hh_b: serde_json::Value,
    w_yh_b: serde_json::Value,
    g: serde_json::Value,
    h_a: serde_json::Value,
    h_b: serde_json::Value,
    loss: f64,
    grad_x: serde_json::Value,
    grad_w_hh_a: serde_json::Value,
    grad_w_xh_a: serde_json::Value,
    grad_w_hh_b: serde_json::Value,
    grad_w_yh_b: serde_json::Value,
    flops_forward: u64,
    flops_backward: u64,
    flops_conv3x3: u64,
    flops_forward_counted: FlopCount,
    flops_backward_counted: FlopCount,
    flop_convention: &'static str,
    grad_check: GradCheckReport,
}

/// Nested row-major lists, as the JSON convention asks (ndarray's own serde
/// format is a {v, dim, data} object).
fn nested3(a: &Image) -> serde_json::Value {
    serde_json::Value::Array(a.outer_iter().map(|row| nested2(&row.to_owned())).collect())
}

fn nested2(a: &Mat) -> serde_json::Value {
    serde_json::Value::Array(
        a.outer_iter()
            .map(|r| serde_json::Value::from(r.to_vec()))
            .collect(),
    )
}

fn run(params: &mut Params, progress: &mut ProgressFn<'_>) -> Result<Report, ComputeError> {
    let h = params.usize("h", 4, 1..=MAX_SIDE)?;
    let w = params.usize("w", 5, 1..=MAX_SIDE)?;
    let c = params.usize("c", 2, 1..=MAX_SIDE)?;
    let seed = params.u64("seed", DEFAULT_SEED, 0..=u64::MAX)?;
    let with_trace = super::trace::wanted(params)?;
    if with_trace && (h > TRACE_MAX_HW || w > TRACE_MAX_HW || c > TRACE_MAX_C) {
        return Err(ComputeError::Param(super::ParamError::OutOfRange {
            name: "trace".into(),
            value: "1".into(),
            range: format!(
                "0..=0 at h={h} w={w} c={c} (a trace needs h, w ≤ {TRACE_MAX_HW} and c ≤ {TRACE_MAX_C})"
            ),
        }));
    }
    if h * w * c > MAX_ELEMENTS {
        return Err(ComputeError::Shape(format!(
            "h·w·c = {h}·{w}·{c} = {} exceeds {MAX_ELEMENTS} (2^18); lower h, w or c",
            h * w * c
        )));
    }
    let s = solve(Problem::random(h, w, c, seed), progress)?;
    let (hu, wu, cu) = (h as u64, w as u64, c as u64);
    let p = &s.problem;
    let json = Json {
        seed,
        h,
        w,
        c,
        x: nested3(&p.x),
        w_hh_a: nested2(&p.weights.w_hh_a),
        w_xh_a: nested2(&p.weights.w_xh_a),
        w_hh_b: nested2(&p.weights.w_hh_b),
        w_yh_b: nested2(&p.weights.w_yh_b),
        g: nested3(&p.g),
        h_a: nested3(&s.forward.h_a),
        h_b: nested3(&s.forward.h_b),
        loss: loss(&s.forward.h_b, &p.g),
        grad_x: nested3(&s.grads.x),
        grad_w_hh_a: nested2(&s.grads.w_hh_a),
        grad_w_xh_a: nested2(&s.grads.w_xh_a),
        grad_w_hh_b: nested2(&s.grads.w_hh_b),
        grad_w_yh_b: nested2(&s.grads.w_yh_b),
        flops_forward: flops::forward(hu, wu, cu).total(),
        flops_backward: flops::backward(hu, wu, cu).total(),
        flops_conv3x3: flops::conv3x3(hu, wu, cu),
        flops_forward_counted: s.counted.0,
        flops_backward_counted: s.counted.1,
        flop_convention: "mul, add and tanh are 1 FLOP each; CxC matrix-vector = C^2 mul + C(C-1) add; conv3x3 = 2*9*C per output incl. bias",
        grad_check: s.grad_check,
    };
    let mut value = serde_json::to_value(&json).map_err(|e| ComputeError::Shape(e.to_string()))?;
    if with_trace {
        let (_, _, recorded) = trace::record(&s.problem);
        value["trace"] = trace::to_common(&recorded, &s.problem).to_json();
    }
    Ok(Report {
        text: summary_text(&s),
        json: value,
    })
}

/// Example sizes the 6(d) text evaluates its formulas at.
pub const EXAMPLE: (u64, u64, u64) = (32, 32, 64);
/// H = W = C of the criterion bench (`benches/rnn2d.rs`).
pub const BENCH_SIZE: usize = 64;
/// How closely the batched form must reproduce the loop (max abs difference).
pub const BATCHED_TOLERANCE: f64 = 1e-12;
/// The output cell 6(c) works through.
pub const RF_EXAMPLE: (usize, usize) = (2, 3);
/// A small channel count where the lower-order FLOP terms show.
pub const SMALL_C: u64 = 2;
/// A tanh cost some conventions use (FLOPs per element), for the 6(d) comparison.
pub const TANH_COST_EXAMPLE: u64 = 20;
/// Default panel / CLI sizes.
pub const DEFAULT_DIMS: (usize, usize, usize) = (4, 5, 2);

/// Figures the Problem 6 solution quotes.
pub fn facts(out: &mut Facts) {
    let mut put = |k: &str, v: String| {
        out.insert(format!("p6.{k}"), v);
    };
    let (h, w, c) = DEFAULT_DIMS;
    let (hu, wu, cu) = (h as u64, w as u64, c as u64);
    put("default.h", h.to_string());
    put("default.w", w.to_string());
    put("default.c", c.to_string());
    put("default.seed", DEFAULT_SEED.to_string());
    put(
        "default.flops_forward",
        flops::forward(hu, wu, cu).total().to_string(),
    );
    put(
        "default.flops_backward",
        flops::backward(hu, wu, cu).total().to_string(),
    );
    put("default.flops_conv", flops::conv3x3(hu, wu, cu).to_string());
    put("default.steps", (2 * h * w).to_string());
    let (eh, ew, ec) = EXAMPLE;
    put("ex.h", eh.to_string());
    put("ex.w", ew.to_string());
    put("ex.c", ec.to_string());
    let f = flops::forward(eh, ew, ec);
    put("ex.flops_forward", f.total().to_string());
    put("ex.flops_forward_mul", f.mul.to_string());
    put("ex.flops_forward_add", f.add.to_string());
    put("ex.flops_forward_tanh", f.tanh.to_string());
    put(
        "ex.flops_backward",
        flops::backward(eh, ew, ec).total().to_string(),
    );
    put("ex.flops_conv", flops::conv3x3(eh, ew, ec).to_string());
    // A first step from the zero state needs only W_xh·x (C² mults, C(C − 1)
    // adds) and tanh (C): skipping W_hh·0 also skips the C additions of the
    // two products. One such step starts each of the H rows and W columns.
    let per_cell = flops::forward_per_cell(ec).total();
    let first_step = ec * ec + ec * (ec - 1) + ec;
    put(
        "ex.zero_state_saving",
        ((eh + ew) * (per_cell - first_step)).to_string(),
    );
    put(
        "ex.zero_state_per_step",
        (per_cell - first_step).to_string(),
    );
    put("ex.params_module", (4 * ec * ec).to_string());
    put("ex.params_conv", (9 * ec * ec + ec).to_string());
    put(
        "ex.per_cell",
        flops::forward_per_cell(ec).total().to_string(),
    );
    put(
        "ex.per_cell_backward",
        flops::backward_per_cell(ec).total().to_string(),
    );
    put("ex.conv_per_position", flops::conv3x3(1, 1, ec).to_string());
    put(
        "ex.backward_over_forward",
        format!(
            "{:.3}",
            flops::backward(1, 1, ec).total() as f64 / flops::forward(1, 1, ec).total() as f64
        ),
    );
    put("ratio", format!("{:.4}", flops::ratio(ec)));
    put("small_c", SMALL_C.to_string());
    put("bench_size", BENCH_SIZE.to_string());
    put("batched_tolerance", format!("{BATCHED_TOLERANCE:e}"));
    put(
        "grad_tolerance",
        format!("{:e}", GradCheckReport::TOLERANCE),
    );
    put("tanh_k", TANH_COST_EXAMPLE.to_string());
    for (suffix, cc) in [("ex", ec), ("small", SMALL_C)] {
        put(
            &format!("ratio_nobias_{suffix}"),
            format!("{:.4}", flops::ratio_conv_without_bias(cc)),
        );
        put(
            &format!("ratio_tanh_{suffix}"),
            format!("{:.4}", flops::ratio_with_tanh_cost(cc, TANH_COST_EXAMPLE)),
        );
    }
    // Receptive field example, within the default 4×5 grid.
    let (ri, rj) = RF_EXAMPLE;
    put("rf.i", ri.to_string());
    put("rf.j", rj.to_string());
    let positions = receptive::structural_size(ri, rj);
    put("rf.positions", positions.to_string());
    put("rf.entries_ex", (positions as u64 * ec).to_string());
    // Grad check at the default size and seed: 56 entries, microseconds.
    let p = Problem::random(h, w, c, DEFAULT_SEED);
    let fwd = module::forward(&p.x, &p.weights);
    let grads = module::backward(&p.x, &p.weights, &fwd, &p.g);
    if let Ok(gc) = grad_check(&p, &grads, None, &mut super::no_progress) {
        put("default.grad_check", format!("{:.1e}", gc.max_rel_error));
        put("default.grad_check_entries", gc.checked.to_string());
    }
}

#[cfg(test)]
mod tests;
