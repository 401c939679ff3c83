//! The deep-stack experiment: D blocks Linear → BatchNorm → act, then a linear
//! output layer, trained on two spirals; forward and backward written by hand,
//! side by side.
//!
//! Block l: z = h Wₗᵀ (no bias: BN's β replaces it), u = BNₗ(z), h' = act(u).
//! Output: s = h W_outᵀ + b_out (one logit), loss = mean BCE(s, y).
//! Batch norm always uses the statistics of the batch it is given (training
//! mode); accuracy is measured on the whole data set as one batch, so no running
//! averages are involved.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use ndarray::linalg::general_mat_mul;
use ndarray::{Array, Array1, Array2, ArrayView2, ArrayViewMut2, Axis, Dimension};
use serde::Serialize;

use super::batchnorm::{self, EPS};
use super::functions::{ALL, Act, sigmoid};
use super::spirals::{self, SpiralSpec, Spirals};
use crate::compute::gradcheck::{self, GradCheck};
use crate::compute::{ComputeError, Progress, ProgressFn, rng};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExperimentConfig {
    pub seed: u64,
    /// Mini-batch size (BN's N) for every training step.
    pub batch: usize,
    pub depth: usize,
    pub width: usize,
    pub steps: usize,
    /// Initial γ and β of every BN layer.
    pub gamma: f64,
    pub beta: f64,
    /// c in ReLU(x − c).
    pub shift: f64,
    /// Adam step size.
    pub learning_rate: f64,
    pub spirals: SpiralSpec,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        ExperimentConfig {
            seed: 1,
            batch: 64,
            depth: 20,
            width: 64,
            steps: 60,
            gamma: 1.0,
            beta: 0.0,
            shift: super::functions::MIDTERM_SHIFT,
            learning_rate: 0.02,
            spirals: SpiralSpec {
                per_class: 128,
                turns: 1.25,
                noise: 0.04,
            },
        }
    }
}

/// Adam's constants (Kingma & Ba defaults).
pub const ADAM_BETA1: f64 = 0.9;
pub const ADAM_BETA2: f64 = 0.999;
pub const ADAM_EPS: f64 = 1e-8;

/// How often (in steps) training accuracy on the whole set is measured.
pub fn eval_every(steps: usize) -> usize {
    (steps / 5).max(1)
}

/// One Linear → BN block's parameters.
#[derive(Debug, Clone)]
pub struct Block {
    /// [out][in]
    pub w: Array2<f64>,
    pub gamma: Array1<f64>,
    pub beta: Array1<f64>,
}

#[derive(Debug, Clone)]
pub struct Net {
    pub blocks: Vec<Block>,
    /// [1][width]
    pub w_out: Array2<f64>,
    /// [1]
    pub b_out: Array1<f64>,
}

/// Gradients, shaped like [`Net`].
#[derive(Debug, Clone)]
pub struct NetGrads {
    pub blocks: Vec<Block>,
    pub w_out: Array2<f64>,
    pub b_out: Array1<f64>,
}

impl Net {
    /// Weights N(0, 1/fan_in) (LeCun), γ and β as given, output bias 0.
    pub fn init(rng: &mut rand::rngs::StdRng, input: usize, c: &ExperimentConfig) -> Net {
        let mut fan_in = input;
        let blocks = (0..c.depth)
            .map(|_| {
                let w = rng::normal(rng, (c.width, fan_in), (fan_in as f64).powf(-0.5));
                fan_in = c.width;
                Block {
                    w,
                    gamma: Array1::from_elem(c.width, c.gamma),
                    beta: Array1::from_elem(c.width, c.beta),
                }
            })
            .collect();
        Net {
            blocks,
            w_out: rng::normal(rng, (1, c.width), (c.width as f64).powf(-0.5)),
            b_out: Array1::zeros(1),
        }
    }

    /// Logits [N] for inputs [N][in].
    pub fn logits(&self, x: ArrayView2<'_, f64>, act: Act, shift: f64) -> Array1<f64> {
        let mut ws = Workspace::new(self, x.nrows(), false);
        ws.forward(self, x, act, shift);
        ws.s
    }

    /// Mean binary cross-entropy of the logits against labels y ∈ {0, 1}:
    /// ℓ = softplus(s) − y·s, written to stay finite for large |s|.
    pub fn loss(&self, x: ArrayView2<'_, f64>, y: &[f64], act: Act, shift: f64) -> f64 {
        bce(&self.logits(x, act, shift), y)
    }

    /// Loss and every parameter's gradient: the forward pass, then the same
    /// blocks in reverse (dℓ/ds = (σ(s) − y)/N at the top).
    pub fn loss_and_grads(
        &self,
        x: ArrayView2<'_, f64>,
        y: &[f64],
        act: Act,
        shift: f64,
    ) -> (f64, NetGrads) {
        let mut ws = Workspace::new(self, x.nrows(), true);
        ws.forward(self, x, act, shift);
        let loss = ws.backward(self, y);
        (loss, ws.grads)
    }
}

/// Every buffer a forward (and backward) pass of a [`Net`] needs for batches of
/// a fixed number of rows, allocated once: training reuses one for every step
/// and another for the accuracy on the whole set, so the step loop allocates
/// nothing (matrixmultiply's small packing buffers aside). Buffers are flat
/// row-major [N][·] vectors viewed at each block's shape.
struct Workspace {
    rows: usize,
    /// Keep what backward needs: every block's input, x̂ and act′(u). Without
    /// it (logits only) the blocks take turns in two input buffers and one x̂.
    train: bool,
    /// h[l] is block l's input; the last one feeds the output layer.
    h: Vec<Vec<f64>>,
    /// x̂ of each block, written over z = h Wᵀ.
    xhat: Vec<Vec<f64>>,
    /// 1/√(σ² + ε) of each block.
    inv_std: Vec<Vec<f64>>,
    /// act′(u) of each block.
    slope: Vec<Vec<f64>>,
    mean: Vec<f64>,
    /// h W_outᵀ as the [N][1] product, then the logits s.
    s_col: Array2<f64>,
    s: Array1<f64>,
    ds: Array1<f64>,
    /// dℓ/dh at the block being worked on, and at its input.
    dh: Vec<f64>,
    dh_below: Vec<f64>,
    sums: batchnorm::BackwardSums,
    grads: NetGrads,
}

/// `buf` as a [rows][cols] matrix.
fn mat(buf: &[f64], rows: usize, cols: usize) -> ArrayView2<'_, f64> {
    ArrayView2::from_shape((rows, cols), &buf[..rows * cols])
        .expect("workspace buffers are sized for the net")
}

fn mat_mut(buf: &mut [f64], rows: usize, cols: usize) -> ArrayViewMut2<'_, f64> {
    ArrayViewMut2::from_shape((rows, cols), &mut buf[..rows * cols])
        .expect("workspace buffers are sized for the net")
}

/// A 1-D parameter as a slice (they are all built contiguous).
fn flat(a: &Array1<f64>) -> &[f64] {
    a.as_slice().expect("parameters are contiguous")
}

fn flat_mut(a: &mut Array1<f64>) -> &mut [f64] {
    a.as_slice_mut().expect("parameters are contiguous")
}

/// `v[i]` to read and `v[j]` to write, i ≠ j.
fn read_write<T>(v: &mut [T], i: usize, j: usize) -> (&T, &mut T) {
    if i < j {
        let (a, b) = v.split_at_mut(j);
        (&a[i], &mut b[0])
    } else {
        let (a, b) = v.split_at_mut(i);
        (&b[0], &mut a[j])
    }
}

impl Workspace {
    fn new(net: &Net, rows: usize, train: bool) -> Workspace {
        let input = net
            .blocks
            .first()
            .map_or(net.w_out.ncols(), |b| b.w.ncols());
        let widths: Vec<usize> = net.blocks.iter().map(|b| b.w.nrows()).collect();
        let widest = widths.iter().copied().fold(input, usize::max);
        let h = if train {
            std::iter::once(input)
                .chain(widths.iter().copied())
                .map(|d| vec![0.0; rows * d])
                .collect()
        } else {
            vec![vec![0.0; rows * widest]; 2]
        };
        let per_block = |d: usize| {
            if train {
                widths.iter().map(|&w| vec![0.0; d * w]).collect()
            } else {
                vec![vec![0.0; d * widest]; 1]
            }
        };
        let zeros = |a: &Array2<f64>| Array2::zeros(a.raw_dim());
        let zeros1 = |a: &Array1<f64>| Array1::zeros(a.raw_dim());
        Workspace {
            rows,
            train,
            h,
            xhat: per_block(rows),
            inv_std: per_block(1),
            slope: if train { per_block(rows) } else { Vec::new() },
            mean: vec![0.0; widest],
            s_col: Array2::zeros((rows, 1)),
            s: Array1::zeros(rows),
            ds: Array1::zeros(rows),
            dh: vec![0.0; if train { rows * widest } else { 0 }],
            dh_below: vec![0.0; if train { rows * widest } else { 0 }],
            sums: batchnorm::BackwardSums::new(widest),
            grads: NetGrads {
                blocks: if train {
                    net.blocks
                        .iter()
                        .map(|b| Block {
                            w: zeros(&b.w),
                            gamma: zeros1(&b.gamma),
                            beta: zeros1(&b.beta),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                w_out: zeros(&net.w_out),
                b_out: zeros1(&net.b_out),
            },
        }
    }

    /// Which buffers block l reads its input from, writes its output to, and
    /// keeps its x̂ in.
    fn slots(&self, l: usize) -> (usize, usize, usize) {
        if self.train {
            (l, l + 1, l)
        } else {
            (l % 2, (l + 1) % 2, 0)
        }
    }

    /// The logits of `x` ([rows][in]) into `self.s`; with `train`, everything
    /// [`Workspace::backward`] reads. Block l: z = h Wₗᵀ, u = BNₗ(z), h' = act(u).
    fn forward(&mut self, net: &Net, x: ArrayView2<'_, f64>, act: Act, shift: f64) {
        let n = self.rows;
        mat_mut(&mut self.h[0], n, x.ncols()).assign(&x);
        let mut dim = x.ncols();
        for (l, b) in net.blocks.iter().enumerate() {
            let out = b.w.nrows();
            let (hi, ho, xi) = self.slots(l);
            let (h_in, h_out) = read_write(&mut self.h, hi, ho);
            let z = &mut self.xhat[xi][..n * out];
            let h_in = &h_in[..n * dim];
            if h_in.iter().all(|&v| v == 0.0) {
                // a dead layer below (ReLU(x − 10)): every z is a sum of
                // products with a zero, +0 exactly, as the product would give
                z.fill(0.0);
            } else {
                general_mat_mul(
                    1.0,
                    &mat(h_in, n, dim),
                    &b.w.t(),
                    0.0,
                    &mut mat_mut(z, n, out),
                );
            }
            let (mean, inv_std) = (&mut self.mean[..out], &mut self.inv_std[xi][..out]);
            batchnorm::batch_stats(z, mean, inv_std, EPS);
            let bn = Normalise {
                mean,
                inv_std,
                gamma: flat(&b.gamma),
                beta: flat(&b.beta),
            };
            let slope = self.slope.get_mut(l).map(|s| &mut s[..n * out]);
            bn.activate(act, shift, z, &mut h_out[..n * out], slope);
            dim = out;
        }
        let (top, _, _) = self.slots(net.blocks.len());
        general_mat_mul(
            1.0,
            &mat(&self.h[top], n, dim),
            &net.w_out.t(),
            0.0,
            &mut self.s_col,
        );
        for (s, &c) in self.s.iter_mut().zip(self.s_col.column(0)) {
            *s = c + net.b_out[0];
        }
    }

    /// After a `train` forward pass: the loss against `y` and every gradient
    /// into `self.grads`, the blocks in reverse. Block l: du = dh' ⊙ act′(u);
    /// BN backward gives dz, dγ, dβ; z = h Wᵀ gives dW = dzᵀ h and dh = dz W.
    fn backward(&mut self, net: &Net, y: &[f64]) -> f64 {
        let rows = self.rows;
        let loss = bce(&self.s, y);
        let n = self.s.len().max(1) as f64;
        for (d, (&s, &y)) in self.ds.iter_mut().zip(self.s.iter().zip(y)) {
            *d = (sigmoid(s) - y) / n;
        }
        let depth = net.blocks.len();
        let dim = |l: usize| net.blocks.get(l).map_or(net.w_out.ncols(), |b| b.w.ncols());
        let ds2 = self.ds.view().insert_axis(Axis(1)); // [N][1]
        let h_last = mat(&self.h[depth], rows, dim(depth));
        general_mat_mul(1.0, &ds2.t(), &h_last, 0.0, &mut self.grads.w_out);
        self.grads.b_out[0] = self.ds.sum();
        let top = dim(depth);
        general_mat_mul(
            1.0,
            &ds2,
            &net.w_out,
            0.0,
            &mut mat_mut(&mut self.dh, rows, top),
        );
        for (l, b) in net.blocks.iter().enumerate().rev() {
            let (out, inp) = b.w.dim();
            let du = &mut self.dh[..rows * out];
            for (d, &s) in du.iter_mut().zip(&self.slope[l]) {
                *d *= s;
            }
            if du.iter().all(|&d| d == 0.0) {
                // Nothing comes back through this block (a dead ReLU(x − 10),
                // sign): with every value finite, each gradient from here down
                // is a sum of products with a zero, +0 exactly, which is what
                // BN's sums (from +0) and the products (from a +0 accumulator)
                // would give, so their passes are skipped.
                for g in &mut self.grads.blocks[..=l] {
                    g.w.fill(0.0);
                    g.gamma.fill(0.0);
                    g.beta.fill(0.0);
                }
                break;
            }
            let g = &mut self.grads.blocks[l];
            batchnorm::backward_in_place(
                du,
                flat(&b.gamma),
                &self.xhat[l],
                &self.inv_std[l],
                (flat_mut(&mut g.gamma), flat_mut(&mut g.beta)),
                &mut self.sums,
            );
            let dz = mat(du, rows, out);
            general_mat_mul(1.0, &dz.t(), &mat(&self.h[l], rows, inp), 0.0, &mut g.w);
            if l > 0 {
                let below = &mut mat_mut(&mut self.dh_below, rows, inp);
                general_mat_mul(1.0, &dz, &b.w, 0.0, below);
                std::mem::swap(&mut self.dh, &mut self.dh_below);
            }
        }
        loss
    }
}

/// One block's batch statistics and affine parameters, [F] each.
struct Normalise<'a> {
    mean: &'a [f64],
    inv_std: &'a [f64],
    gamma: &'a [f64],
    beta: &'a [f64],
}

impl Normalise<'_> {
    /// In one pass over z ([N][F]): x̂ = (z − μ) ⊙ inv_std written over z,
    /// u = γ x̂ + β, act(u) into `out` and, if given, act′(u) into `slope`.
    /// The activation is chosen once, outside the loop; each arm calls
    /// [`Act::apply`] and [`Act::derivative`] on a constant `Act` (so they
    /// reduce to that activation's formula), except the sigmoid, whose
    /// derivative reuses σ(u) as [`Act::for_each_with_derivative`] does.
    fn activate(
        &self,
        act: Act,
        shift: f64,
        z: &mut [f64],
        out: &mut [f64],
        slope: Option<&mut [f64]>,
    ) {
        match act {
            Act::MinZero => self.run(z, out, slope, |u| {
                (
                    Act::MinZero.apply(u, shift),
                    Act::MinZero.derivative(u, shift),
                )
            }),
            Act::Scaled => self.run(z, out, slope, |u| {
                (
                    Act::Scaled.apply(u, shift),
                    Act::Scaled.derivative(u, shift),
                )
            }),
            Act::ShiftedRelu => self.run(z, out, slope, |u| {
                (
                    Act::ShiftedRelu.apply(u, shift),
                    Act::ShiftedRelu.derivative(u, shift),
                )
            }),
            Act::Sigmoid => self.run(z, out, slope, |u| {
                let s = sigmoid(u);
                (s, s * (1.0 - s))
            }),
            Act::Sign => self.run(z, out, slope, |u| {
                (Act::Sign.apply(u, shift), Act::Sign.derivative(u, shift))
            }),
        }
    }

    #[inline(always)]
    fn run(
        &self,
        z: &mut [f64],
        out: &mut [f64],
        slope: Option<&mut [f64]>,
        f: impl Fn(f64) -> (f64, f64),
    ) {
        let w = self.mean.len();
        let (mean, inv_std) = (&self.mean[..w], &self.inv_std[..w]);
        let (gamma, beta) = (&self.gamma[..w], &self.beta[..w]);
        let normalise = |z: &mut [f64], j: usize| {
            let xh = (z[j] - mean[j]) * inv_std[j];
            z[j] = xh;
            xh * gamma[j] + beta[j]
        };
        match slope {
            Some(slope) => {
                let rows = z.chunks_exact_mut(w).zip(out.chunks_exact_mut(w));
                for ((z, o), s) in rows.zip(slope.chunks_exact_mut(w)) {
                    let (z, o, s) = (&mut z[..w], &mut o[..w], &mut s[..w]);
                    for j in 0..w {
                        (o[j], s[j]) = f(normalise(z, j));
                    }
                }
            }
            None => {
                for (z, o) in z.chunks_exact_mut(w).zip(out.chunks_exact_mut(w)) {
                    let (z, o) = (&mut z[..w], &mut o[..w]);
                    for (j, o) in o.iter_mut().enumerate() {
                        *o = f(normalise(z, j)).0;
                    }
                }
            }
        }
    }
}

fn bce(s: &Array1<f64>, y: &[f64]) -> f64 {
    let n = s.len().max(1) as f64;
    s.iter()
        .zip(y)
        .map(|(&s, &y)| s.max(0.0) + (-s.abs()).exp().ln_1p() - y * s)
        .sum::<f64>()
        / n
}

fn accuracy(s: &Array1<f64>, y: &[f64]) -> f64 {
    let right = s
        .iter()
        .zip(y)
        .filter(|&(&s, &y)| (s > 0.0) == (y > 0.5))
        .count();
    right as f64 / s.len().max(1) as f64
}

/// Adam moments for one parameter tensor.
struct Moments<D: Dimension> {
    m: Array<f64, D>,
    v: Array<f64, D>,
    /// m and v are still all zero: no step has seen a nonzero gradient.
    zero: bool,
}

impl<D: Dimension> Moments<D> {
    fn new(like: &Array<f64, D>) -> Self {
        Moments {
            m: Array::zeros(like.raw_dim()),
            v: Array::zeros(like.raw_dim()),
            zero: true,
        }
    }

    /// One Adam step on `p` with gradient `g`; `t` counts from 1.
    fn step(&mut self, p: &mut Array<f64, D>, g: &Array<f64, D>, lr: f64, t: i32) {
        // While m, v and g are all zero a step changes nothing: m and v stay
        // +0 (0.9·0 + 0.1·(±0) = +0) and p −= lr·0/(0 + ε) subtracts +0. The
        // layers below a dead unit (ReLU(x − 10), sign) never get anything
        // else, so their steps, three divisions and a root per weight, are skipped.
        if self.zero {
            if g.iter().all(|&g| g == 0.0) {
                return;
            }
            self.zero = false;
        }
        let c1 = 1.0 - ADAM_BETA1.powi(t);
        let c2 = 1.0 - ADAM_BETA2.powi(t);
        let slices = (
            p.as_slice_mut(),
            g.as_slice(),
            self.m.as_slice_mut(),
            self.v.as_slice_mut(),
        );
        let (Some(p), Some(g), Some(m), Some(v)) = slices else {
            unreachable!("parameters, gradients and moments are built contiguous")
        };
        // plain slices rather than a four-way Zip, so the loop vectorises
        for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
            *m = ADAM_BETA1 * *m + (1.0 - ADAM_BETA1) * g;
            *v = ADAM_BETA2 * *v + (1.0 - ADAM_BETA2) * g * g;
            *p -= lr * (*m / c1) / ((*v / c2).sqrt() + ADAM_EPS);
        }
    }
}

/// One activation's run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActRun {
    #[serde(skip)]
    pub act: Act,
    pub name: String,
    /// ‖dℓ/dWₗ‖ (Frobenius) at initialisation on the first mini-batch, block 1 first.
    pub grad_norm_by_depth: Vec<f64>,
    /// ‖dℓ/dβ‖ over all blocks at initialisation.
    pub beta_grad_norm_at_init: f64,
    /// max |β_final − β_init| over all blocks and units after training.
    pub beta_max_change: f64,
    /// Mini-batch loss before each step.
    pub loss_curve: Vec<f64>,
    /// (step, accuracy on the whole training set), every `eval_every` steps and at the end.
    pub accuracy_curve: Vec<(usize, f64)>,
    pub final_train_accuracy: f64,
    pub final_train_loss: f64,
}

#[derive(Debug, Clone)]
pub struct Experiment {
    pub config: ExperimentConfig,
    pub data: Spirals,
    /// The initial network; every activation starts from it.
    pub initial: Net,
    pub runs: Vec<ActRun>,
}

/// Train the same initial network once per activation. Progress counts steps
/// over all five runs; a `Break` from `progress` stops with `Cancelled`.
///
/// The five runs share nothing but the initial network and the data (each has
/// its own copy of the net, its own Adam moments and its own mini-batch
/// sampler, seeded the same), so they run on their own threads and give the
/// same numbers as one after another. `progress` is called on this thread only:
/// the workers send a message after every step, and a `Break` raises a flag
/// every worker reads before its next step.
pub fn run(
    config: ExperimentConfig,
    progress: &mut ProgressFn<'_>,
) -> Result<Experiment, ComputeError> {
    let data = spirals::generate(config.spirals, config.seed);
    let mut rng = rng::seeded(config.seed);
    let net0 = Net::init(&mut rng, 2, &config);
    let total = (ALL.len() * config.steps) as u64;
    let first = Progress {
        done: 0,
        total,
        label: format!("training {} activations", ALL.len()),
    };
    if progress(first).is_break() {
        return Err(ComputeError::Cancelled);
    }
    let cancelled = AtomicBool::new(false);
    let results: Vec<Result<ActRun, ComputeError>> = std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Act>();
        let workers: Vec<_> = ALL
            .iter()
            .map(|&act| {
                let tx = tx.clone();
                let (net0, data, config, cancelled) = (&net0, &data, &config, &cancelled);
                scope.spawn(move || {
                    train_one(net0, data, act, config, &mut |_step| {
                        if cancelled.load(Ordering::Relaxed) {
                            return ControlFlow::Break(());
                        }
                        // the receiver lives until every worker is done
                        let _ = tx.send(act);
                        ControlFlow::Continue(())
                    })
                })
            })
            .collect();
        drop(tx);
        // ends when the last worker drops its sender
        for (act, done) in rx.into_iter().zip(1..) {
            if cancelled.load(Ordering::Relaxed) {
                continue;
            }
            let p = Progress {
                done,
                total,
                label: format!("training {}", act.name(config.shift)),
            };
            if progress(p).is_break() {
                cancelled.store(true, Ordering::Relaxed);
            }
        }
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    if cancelled.load(Ordering::Relaxed) {
        return Err(ComputeError::Cancelled);
    }
    let runs = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Experiment {
        config,
        data,
        initial: net0,
        runs,
    })
}

/// ‖∂L/∂W‖ of every block (first to last) at initialisation, for one activation:
/// the experiment's first mini-batch, no training step.
pub fn init_grad_norms(config: ExperimentConfig, act: Act) -> Vec<f64> {
    let config = ExperimentConfig { steps: 0, ..config };
    let data = spirals::generate(config.spirals, config.seed);
    let mut rng = rng::seeded(config.seed);
    let net0 = Net::init(&mut rng, 2, &config);
    let mut report = |_| ControlFlow::Continue(());
    train_one(&net0, &data, act, &config, &mut report)
        .map(|r| r.grad_norm_by_depth)
        .unwrap_or_default()
}

impl Experiment {
    /// Initial weights of block 1, [width][2].
    pub fn first_block_w(&self) -> Array2<f64> {
        self.initial
            .blocks
            .first()
            .map(|b| b.w.clone())
            .unwrap_or_else(|| Array2::zeros((0, 2)))
    }
}

fn train_one(
    net0: &Net,
    data: &Spirals,
    act: Act,
    c: &ExperimentConfig,
    report: &mut dyn FnMut(usize) -> ControlFlow<()>,
) -> Result<ActRun, ComputeError> {
    let shift = c.shift;
    let mut net = net0.clone();
    let mut moments: Vec<(Moments<_>, Moments<_>, Moments<_>)> = net
        .blocks
        .iter()
        .map(|b| {
            (
                Moments::new(&b.w),
                Moments::new(&b.gamma),
                Moments::new(&b.beta),
            )
        })
        .collect();
    let mut m_w_out = Moments::new(&net.w_out);
    let mut m_b_out = Moments::new(&net.b_out);
    // the same mini-batch sequence for every activation
    let mut sampler = rng::seeded(c.seed ^ 0x0BA7_C4E5);
    let p = data.y.len();
    let mut loss_curve = Vec::with_capacity(c.steps);
    let mut accuracy_curve = Vec::new();
    let mut grad_norm_by_depth = Vec::new();
    let mut beta_grad_norm_at_init = 0.0;
    let every = eval_every(c.steps);
    let mut xb = Array2::zeros((c.batch, 2));
    let mut yb = vec![0.0; c.batch];
    // every buffer of the step loop, allocated here once
    let mut ws = Workspace::new(&net, c.batch, true);
    let mut whole = Workspace::new(&net, p, false);
    for step in 0..c.steps.max(1) {
        for (mut row, label) in xb.rows_mut().into_iter().zip(yb.iter_mut()) {
            let i = rand::Rng::random_range(&mut sampler, 0..p.max(1));
            row.assign(&data.x.row(i));
            *label = data.y[i];
        }
        ws.forward(&net, xb.view(), act, shift);
        let loss = ws.backward(&net, &yb);
        let g = &ws.grads;
        if step == 0 {
            grad_norm_by_depth = g.blocks.iter().map(|b| frobenius(&b.w)).collect();
            beta_grad_norm_at_init = g
                .blocks
                .iter()
                .map(|b| b.beta.mapv(|v| v * v).sum())
                .sum::<f64>()
                .sqrt();
        }
        if step >= c.steps {
            break; // steps = 0: measure the gradients at initialisation only
        }
        if step % every == 0 {
            whole.forward(&net, data.x.view(), act, shift);
            accuracy_curve.push((step, accuracy(&whole.s, &data.y)));
        }
        loss_curve.push(loss);
        let t = step as i32 + 1;
        for ((b, gb), (mw, mg, mb)) in net.blocks.iter_mut().zip(&g.blocks).zip(&mut moments) {
            mw.step(&mut b.w, &gb.w, c.learning_rate, t);
            mg.step(&mut b.gamma, &gb.gamma, c.learning_rate, t);
            mb.step(&mut b.beta, &gb.beta, c.learning_rate, t);
        }
        m_w_out.step(&mut net.w_out, &g.w_out, c.learning_rate, t);
        m_b_out.step(&mut net.b_out, &g.b_out, c.learning_rate, t);
        if report(step + 1).is_break() {
            return Err(ComputeError::Cancelled);
        }
    }
    whole.forward(&net, data.x.view(), act, shift);
    let s = &whole.s;
    let final_train_accuracy = accuracy(s, &data.y);
    accuracy_curve.push((c.steps, final_train_accuracy));
    let beta_max_change = net
        .blocks
        .iter()
        .zip(&net0.blocks)
        .flat_map(|(a, b)| a.beta.iter().zip(b.beta.iter()).map(|(x, y)| (x - y).abs()))
        .fold(0.0, f64::max);
    Ok(ActRun {
        act,
        name: act.name(shift),
        grad_norm_by_depth,
        beta_grad_norm_at_init,
        beta_max_change,
        loss_curve,
        accuracy_curve,
        final_train_accuracy,
        final_train_loss: bce(s, &data.y),
    })
}

fn frobenius<D: Dimension>(a: &Array<f64, D>) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Central-difference check of [`Net::loss_and_grads`] for one activation on a
/// small network (3 blocks of width 4, batch 6, spiral inputs), over every
/// weight, γ, β and the output layer.
pub fn network_grad_check(act: Act, shift: f64, gamma: f64, beta: f64, seed: u64) -> GradCheck {
    let c = ExperimentConfig {
        seed,
        batch: 6,
        depth: 3,
        width: 4,
        gamma,
        beta,
        shift,
        ..ExperimentConfig::default()
    };
    let mut rng = rng::seeded(seed ^ 0x6C_4EC);
    let net = Net::init(&mut rng, 2, &c);
    let x: Array2<f64> = rng::normal(&mut rng, (6, 2), 1.0);
    let y = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
    let (_, g) = net.loss_and_grads(x.view(), &y, act, shift);
    let mut result = GradCheck::NONE;
    // one closure per tensor: write the perturbed values into a copy of the net
    type Setter = fn(&mut Net, usize, &[f64]);
    let tensors: Vec<(usize, Vec<f64>, Vec<f64>, Setter)> = (0..net.blocks.len())
        .flat_map(|l| {
            let b = &net.blocks[l];
            let gb = &g.blocks[l];
            [
                (
                    l,
                    b.w.iter().copied().collect(),
                    gb.w.iter().copied().collect(),
                    set_w as Setter,
                ),
                (l, b.gamma.to_vec(), gb.gamma.to_vec(), set_gamma as Setter),
                (l, b.beta.to_vec(), gb.beta.to_vec(), set_beta as Setter),
            ]
        })
        .chain([
            (
                0,
                net.w_out.iter().copied().collect(),
                g.w_out.iter().copied().collect(),
                set_w_out as Setter,
            ),
            (0, net.b_out.to_vec(), g.b_out.to_vec(), set_b_out as Setter),
        ])
        .collect();
    for (l, mut values, analytic, set) in tensors {
        let check = gradcheck::check(&mut values, &analytic, |v| {
            let mut n = net.clone();
            set(&mut n, l, v);
            n.loss(x.view(), &y, act, shift)
        });
        result = result.merge(check);
    }
    result
}

fn set_w(n: &mut Net, l: usize, v: &[f64]) {
    n.blocks[l].w.iter_mut().zip(v).for_each(|(a, b)| *a = *b);
}
fn set_gamma(n: &mut Net, l: usize, v: &[f64]) {
    n.blocks[l]
        .gamma
        .iter_mut()
        .zip(v)
        .for_each(|(a, b)| *a = *b);
}
fn set_beta(n: &mut Net, l: usize, v: &[f64]) {
    n.blocks[l]
        .beta
        .iter_mut()
        .zip(v)
        .for_each(|(a, b)| *a = *b);
}
fn set_w_out(n: &mut Net, _: usize, v: &[f64]) {
    n.w_out.iter_mut().zip(v).for_each(|(a, b)| *a = *b);
}
fn set_b_out(n: &mut Net, _: usize, v: &[f64]) {
    n.b_out.iter_mut().zip(v).for_each(|(a, b)| *a = *b);
}

/// min(0, x) is ReLU up to sign: min(0, u) = −ReLU(−u), and −u is what BN gives
/// with (−γ, −β). So a min(0, x) network equals a ReLU network with every γ, β
/// negated and the weights that read each block's output negated. Returns the
/// largest |difference| of the logits of the two networks (0 up to rounding).
pub fn min_zero_relu_equivalence(seed: u64) -> f64 {
    let c = ExperimentConfig {
        seed,
        depth: 3,
        width: 8,
        ..ExperimentConfig::default()
    };
    let mut rng = rng::seeded(seed ^ 0x3E_0E);
    let net = Net::init(&mut rng, 2, &c);
    let x: Array2<f64> = rng::normal(&mut rng, (16, 2), 1.0);
    let mut relu_net = net.clone();
    for (l, b) in relu_net.blocks.iter_mut().enumerate() {
        b.gamma.mapv_inplace(|v| -v);
        b.beta.mapv_inplace(|v| -v);
        if l > 0 {
            b.w.mapv_inplace(|v| -v);
        }
    }
    relu_net.w_out.mapv_inplace(|v| -v);
    // ReLU(x − 0) is the shifted ReLU with c = 0
    let a = net.logits(x.view(), Act::MinZero, 0.0);
    let b = relu_net.logits(x.view(), Act::ShiftedRelu, 0.0);
    (&a - &b).iter().fold(0.0, |m, v| m.max(v.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Zip;

    #[test]
    fn whole_network_backward_matches_finite_differences() {
        for act in ALL {
            for (shift, gamma, beta) in [(10.0, 1.0, 0.0), (0.3, 0.8, 0.2)] {
                let c = network_grad_check(act, shift, gamma, beta, 4);
                assert!(c.checked > 50);
                assert!(c.max_rel_error < 1e-6, "{act:?} c={shift}: {c:?}");
            }
        }
    }

    /// The network's passes written with whole-array operations, as before the
    /// workspace: the oracle the fused in-place passes must equal bit for bit.
    fn array_loss_and_grads(
        net: &Net,
        x: ArrayView2<'_, f64>,
        y: &[f64],
        act: Act,
        shift: f64,
    ) -> (f64, Array1<f64>, NetGrads) {
        let mut h = x.to_owned();
        let mut caches = Vec::new();
        for b in &net.blocks {
            let z = h.dot(&b.w.t());
            let (u, bn) = batchnorm::forward(z.view(), b.gamma.view(), b.beta.view(), EPS);
            let next = u.mapv(|v| act.apply(v, shift));
            caches.push((h, bn, u));
            h = next;
        }
        let s = h.dot(&net.w_out.t()).column(0).to_owned() + net.b_out[0];
        let n = s.len() as f64;
        let ds = Array1::from_iter(s.iter().zip(y).map(|(&s, &y)| (sigmoid(s) - y) / n));
        let ds2 = ds.view().insert_axis(Axis(1));
        let w_out = ds2.t().dot(&h);
        let b_out = Array1::from_elem(1, ds.sum());
        let mut dh = ds2.dot(&net.w_out);
        let mut blocks = Vec::new();
        for (b, (input, bn, u)) in net.blocks.iter().zip(&caches).rev() {
            let mut du = dh;
            Zip::from(&mut du)
                .and(u)
                .for_each(|d, &u| *d *= act.derivative(u, shift));
            let g = batchnorm::backward(du.view(), b.gamma.view(), bn);
            blocks.push(Block {
                w: g.dx.t().dot(input),
                gamma: g.dgamma,
                beta: g.dbeta,
            });
            dh = g.dx.dot(&b.w);
        }
        blocks.reverse();
        let grads = NetGrads {
            blocks,
            w_out,
            b_out,
        };
        (bce(&s, y), s, grads)
    }

    fn bits<'a>(a: impl IntoIterator<Item = &'a f64>) -> Vec<u64> {
        a.into_iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn fused_passes_equal_the_array_formulation_bit_for_bit() {
        for (gamma, beta, shift) in [(1.0, 0.0, 10.0), (0.8, 0.2, 0.3), (-1.5, 2.0, 0.0)] {
            let c = ExperimentConfig {
                depth: 5,
                width: 16,
                gamma,
                beta,
                ..ExperimentConfig::default()
            };
            let mut r = rng::seeded(9);
            let net = Net::init(&mut r, 2, &c);
            let x: Array2<f64> = rng::normal(&mut r, (32, 2), 1.0);
            let y: Vec<f64> = (0..32).map(|i| (i % 3 == 0) as u8 as f64).collect();
            for act in ALL {
                let (loss, g) = net.loss_and_grads(x.view(), &y, act, shift);
                let (want_loss, want_s, want) =
                    array_loss_and_grads(&net, x.view(), &y, act, shift);
                assert_eq!(loss.to_bits(), want_loss.to_bits(), "{act:?}");
                assert_eq!(bits(&net.logits(x.view(), act, shift)), bits(&want_s));
                for (a, b) in g.blocks.iter().zip(&want.blocks) {
                    assert_eq!(bits(&a.w), bits(&b.w), "{act:?} c={shift}");
                    assert_eq!(bits(&a.gamma), bits(&b.gamma));
                    assert_eq!(bits(&a.beta), bits(&b.beta));
                }
                assert_eq!(bits(&g.w_out), bits(&want.w_out));
                assert_eq!(bits(&g.b_out), bits(&want.b_out));
            }
        }
    }

    #[test]
    fn skipped_adam_steps_are_the_steps_they_replace() {
        // p, m, v after `t` steps of the full formula, one entry at a time
        let full = |p: f64, m: f64, v: f64, g: f64, t: i32| {
            let (c1, c2) = (1.0 - ADAM_BETA1.powi(t), 1.0 - ADAM_BETA2.powi(t));
            let m = ADAM_BETA1 * m + (1.0 - ADAM_BETA1) * g;
            let v = ADAM_BETA2 * v + (1.0 - ADAM_BETA2) * g * g;
            (p - 0.02 * (m / c1) / ((v / c2).sqrt() + ADAM_EPS), m, v)
        };
        let p0 = Array1::from(vec![1.5, -0.0, 0.0, -3.25e-7]);
        let mut p = p0.clone();
        let mut moments = Moments::new(&p);
        let mut want: Vec<(f64, f64, f64)> = p0.iter().map(|&p| (p, 0.0, 0.0)).collect();
        let grads = [
            vec![0.0, -0.0, 0.0, -0.0],
            vec![0.0; 4],
            vec![0.5, 0.0, -2.0, 1e-3],
            vec![-0.0; 4],
        ];
        for (t, g) in (1..).zip(&grads) {
            moments.step(&mut p, &Array1::from(g.clone()), 0.02, t);
            for (w, &g) in want.iter_mut().zip(g) {
                *w = full(w.0, w.1, w.2, g, t);
            }
            for (k, w) in want.iter().enumerate() {
                assert_eq!(p[k].to_bits(), w.0.to_bits(), "step {t} entry {k}");
                assert_eq!(moments.m[k].to_bits(), w.1.to_bits());
                assert_eq!(moments.v[k].to_bits(), w.2.to_bits());
            }
        }
    }

    #[test]
    fn min_zero_network_is_a_relu_network_with_negated_parameters() {
        assert!(min_zero_relu_equivalence(1) < 1e-12);
    }

    fn small() -> ExperimentConfig {
        ExperimentConfig {
            depth: 4,
            width: 16,
            steps: 12,
            batch: 32,
            spirals: SpiralSpec {
                per_class: 48,
                ..ExperimentConfig::default().spirals
            },
            ..ExperimentConfig::default()
        }
    }

    #[test]
    fn deterministic_for_a_fixed_seed() {
        let a = run(small(), &mut crate::compute::no_progress).unwrap();
        let b = run(small(), &mut crate::compute::no_progress).unwrap();
        assert_eq!(a.runs, b.runs);
        assert_eq!(a.first_block_w(), b.first_block_w());
        let c = run(
            ExperimentConfig { seed: 2, ..small() },
            &mut crate::compute::no_progress,
        )
        .unwrap();
        assert_ne!(a.runs, c.runs);
    }

    #[test]
    fn dead_and_step_units_send_nothing_back_and_beta_cannot_move() {
        let e = run(small(), &mut crate::compute::no_progress).unwrap();
        for r in [&e.runs[2], &e.runs[4]] {
            assert!(r.grad_norm_by_depth.iter().all(|&g| g == 0.0), "{r:?}");
            assert_eq!(r.beta_grad_norm_at_init, 0.0);
            assert_eq!(r.beta_max_change, 0.0);
        }
        for r in [&e.runs[0], &e.runs[1], &e.runs[3]] {
            assert!(r.grad_norm_by_depth.iter().all(|&g| g > 0.0), "{r:?}");
            assert!(r.beta_max_change > 0.0);
        }
    }

    #[test]
    fn threads_give_the_numbers_of_one_run_after_another() {
        let c = small();
        let e = run(c, &mut crate::compute::no_progress).unwrap();
        let data = spirals::generate(c.spirals, c.seed);
        let net0 = Net::init(&mut rng::seeded(c.seed), 2, &c);
        assert_eq!(e.runs.len(), ALL.len());
        for (r, &act) in e.runs.iter().zip(&ALL) {
            let alone = train_one(&net0, &data, act, &c, &mut |_| ControlFlow::Continue(()));
            let alone = alone.unwrap();
            assert_eq!(r.act, act);
            // every float bit for bit (Debug prints the shortest round-trip form)
            assert_eq!(format!("{r:?}"), format!("{alone:?}"));
        }
    }

    #[test]
    fn progress_counts_every_step_once_up_to_the_total() {
        let mut seen = Vec::new();
        run(small(), &mut |p| {
            seen.push((p.done, p.total));
            ControlFlow::Continue(())
        })
        .unwrap();
        let total = (ALL.len() * small().steps) as u64;
        let done: Vec<u64> = seen.iter().map(|&(d, _)| d).collect();
        assert_eq!(done, (0..=total).collect::<Vec<_>>());
        assert!(seen.iter().all(|&(_, t)| t == total));
    }

    #[test]
    fn cancels_when_asked() {
        let mut calls = 0;
        let r = run(small(), &mut |_| {
            calls += 1;
            if calls > 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(r.unwrap_err(), ComputeError::Cancelled);
    }
}
