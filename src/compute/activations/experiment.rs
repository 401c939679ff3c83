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

use ndarray::{Array, Array1, Array2, ArrayView2, Axis, Dimension, Zip};
use serde::Serialize;

use super::batchnorm::{self, BnCache, EPS};
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

struct BlockCache {
    input: Array2<f64>,
    bn: BnCache,
    u: Array2<f64>,
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
        self.forward(x, act, shift).0
    }

    fn forward(
        &self,
        x: ArrayView2<'_, f64>,
        act: Act,
        shift: f64,
    ) -> (Array1<f64>, Vec<BlockCache>, Array2<f64>) {
        let mut h = x.to_owned();
        let mut caches = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            let z = h.dot(&b.w.t());
            let (u, bn) = batchnorm::forward(z.view(), b.gamma.view(), b.beta.view(), EPS);
            let next = u.mapv(|v| act.apply(v, shift));
            caches.push(BlockCache { input: h, bn, u });
            h = next;
        }
        let s = h.dot(&self.w_out.t()).column(0).to_owned() + self.b_out[0];
        (s, caches, h)
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
        let (s, caches, h_last) = self.forward(x, act, shift);
        let loss = bce(&s, y);
        let n = s.len().max(1) as f64;
        let ds: Array1<f64> =
            Array1::from_iter(s.iter().zip(y).map(|(&s, &y)| (sigmoid(s) - y) / n));
        let ds2 = ds.view().insert_axis(Axis(1)); // [N][1]
        let w_out = ds2.t().dot(&h_last); // [1][F]
        let b_out = Array1::from_elem(1, ds.sum());
        let mut dh = ds2.dot(&self.w_out); // [N][F]
        let mut blocks = Vec::with_capacity(self.blocks.len());
        for (b, c) in self.blocks.iter().zip(&caches).rev() {
            // h' = act(u)  ⇒  du = dh' ⊙ act'(u)
            let mut du = dh;
            Zip::from(&mut du)
                .and(&c.u)
                .for_each(|d, &u| *d *= act.derivative(u, shift));
            let g = batchnorm::backward(du.view(), b.gamma.view(), &c.bn);
            // z = h Wᵀ  ⇒  dW = dzᵀ h,  dh = dz W
            blocks.push(Block {
                w: g.dx.t().dot(&c.input),
                gamma: g.dgamma,
                beta: g.dbeta,
            });
            dh = g.dx.dot(&b.w);
        }
        blocks.reverse();
        (
            loss,
            NetGrads {
                blocks,
                w_out,
                b_out,
            },
        )
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
}

impl<D: Dimension> Moments<D> {
    fn new(like: &Array<f64, D>) -> Self {
        Moments {
            m: Array::zeros(like.raw_dim()),
            v: Array::zeros(like.raw_dim()),
        }
    }

    /// One Adam step on `p` with gradient `g`; `t` counts from 1.
    fn step(&mut self, p: &mut Array<f64, D>, g: &Array<f64, D>, lr: f64, t: i32) {
        let c1 = 1.0 - ADAM_BETA1.powi(t);
        let c2 = 1.0 - ADAM_BETA2.powi(t);
        Zip::from(p)
            .and(g)
            .and(&mut self.m)
            .and(&mut self.v)
            .for_each(|p, &g, m, v| {
                *m = ADAM_BETA1 * *m + (1.0 - ADAM_BETA1) * g;
                *v = ADAM_BETA2 * *v + (1.0 - ADAM_BETA2) * g * g;
                *p -= lr * (*m / c1) / ((*v / c2).sqrt() + ADAM_EPS);
            });
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
    for step in 0..c.steps.max(1) {
        for (mut row, label) in xb.rows_mut().into_iter().zip(yb.iter_mut()) {
            let i = rand::Rng::random_range(&mut sampler, 0..p.max(1));
            row.assign(&data.x.row(i));
            *label = data.y[i];
        }
        let (loss, g) = net.loss_and_grads(xb.view(), &yb, act, shift);
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
            accuracy_curve.push((
                step,
                accuracy(&net.logits(data.x.view(), act, shift), &data.y),
            ));
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
    let s = net.logits(data.x.view(), act, shift);
    let final_train_accuracy = accuracy(&s, &data.y);
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
        final_train_loss: bce(&s, &data.y),
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
