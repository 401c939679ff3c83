//! Problem 3: growing a ReLU network's hidden width from K to 2K.
//!
//! The midterm's network, with the batch as rows (`x` is `[B][C]`, weights are
//! `[out][in]`, no biases):
//!
//! ```text
//! h1 = ReLU(x W_inᵀ),  h(j+1) = ReLU(h(j) W_jᵀ),  y = h(n) W_outᵀ
//! L  = 1/(2B) Σ_b ‖y_b − t_b‖²
//! ```
//!
//! Every hidden matrix is widened to 2K with one of four [`Strategy`]s; each
//! widened matrix is a grid of [`Block`]s (old→old, new→old, old→new,
//! new→new) whose initialisation and gradient we report. The backward pass is
//! written by hand ([`backward`]) with ReLU'(0) a parameter (0 by default, as in
//! PyTorch), and checked against central differences ([`grad_check`]).
//!
//! This file is the model; `facts.rs` makes the derivation's figures from it,
//! and `cli.rs` is the `compute widen` command.

mod cli;
mod facts;
pub mod trace;

pub use cli::{COMPUTATION, PARAMS};
pub use facts::{TABLE_STEPS, facts, matrix_key, strategy_key};

use std::fmt::Write as _;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, Slice};
use rand::Rng;
use rand::rngs::StdRng;
use serde::Serialize;
use serde_json::json;

use super::gradcheck::{self, GradCheck};
use super::{
    Computation, ComputeError, Facts, ParamSpec, Params, Progress, ProgressFn, Report, rng,
};

/// Largest input size C.
pub const MAX_C: usize = 16;
/// Largest hidden width K before widening (2K after).
pub const MAX_K: usize = 16;
/// Largest output size D.
pub const MAX_D: usize = 8;
/// Largest depth n (number of hidden states).
pub const MAX_DEPTH: usize = 5;
/// Largest batch.
pub const MAX_BATCH: usize = 16;
/// Largest number of SGD steps after widening.
pub const MAX_STEPS: usize = 300;

/// How the new parameters of the widened network are initialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// The midterm's proposal: every new block zero.
    Zero,
    /// New units' incoming weights random (He), their outgoing weights zero.
    RandomInZeroOut,
    /// The tempting mirror image: incoming zero, outgoing random. Preserves the
    /// function, but whether it trains depends on the ReLU'(0) convention.
    ZeroInRandomOut,
    /// Net2Net-style: each unit duplicated, its outgoing weights split between
    /// the two copies in proportions a and 1 − a (a = ½ ± noise).
    Net2Net,
}

impl Strategy {
    pub const ALL: [Strategy; 4] = [
        Strategy::Zero,
        Strategy::RandomInZeroOut,
        Strategy::ZeroInRandomOut,
        Strategy::Net2Net,
    ];
    pub const NAMES: &'static [&'static str] = &[
        "zero",
        "random-in-zero-out",
        "zero-in-random-out",
        "net2net",
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Zero => "zero",
            Strategy::RandomInZeroOut => "random-in-zero-out",
            Strategy::ZeroInRandomOut => "zero-in-random-out",
            Strategy::Net2Net => "net2net",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Strategy::Zero => "all new blocks zero (midterm)",
            Strategy::RandomInZeroOut => "random in, zero out",
            Strategy::ZeroInRandomOut => "zero in, random out",
            Strategy::Net2Net => "Net2Net duplicate + split",
        }
    }

    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn next(self) -> Strategy {
        let i = Strategy::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Strategy::ALL[(i + 1) % Strategy::ALL.len()]
    }
}

/// Where a block sits in a widened matrix: which units it connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Old units (or x) into old units (or y): the original matrix.
    OldToOld,
    /// New units into old units or into y: the new units' outgoing weights.
    NewToOld,
    /// Old units (or x) into new units: the new units' incoming weights.
    OldToNew,
    /// New units into new units (incoming and outgoing at once).
    NewToNew,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::OldToOld => "old→old",
            Role::NewToOld => "new→old",
            Role::OldToNew => "old→new",
            Role::NewToNew => "new→new",
        }
    }

    pub fn is_new(self) -> bool {
        self != Role::OldToOld
    }
}

/// How a block was filled when widening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// The trained weights, unchanged.
    Kept,
    Zero,
    /// He-normal: N(0, 2 / fan_in) with the widened fan-in.
    Random,
    /// A copy of the corresponding old rows (duplicated units).
    Copy,
    /// Copied old weights times the split factor a or 1 − a.
    Split,
}

impl Init {
    /// One letter for the block grids.
    pub fn letter(self) -> char {
        match self {
            Init::Kept => 'W',
            Init::Zero => '0',
            Init::Random => 'R',
            // Not C: in the midterm C is the input size.
            Init::Copy => '=',
            Init::Split => 'S',
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Init::Kept => "kept",
            Init::Zero => "zero",
            Init::Random => "random",
            Init::Copy => "copied",
            Init::Split => "split",
        }
    }
}

/// One block of a widened matrix: rows `rows.0..rows.1`, columns `cols.0..cols.1`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Block {
    pub role: Role,
    pub init: Init,
    pub rows: (usize, usize),
    pub cols: (usize, usize),
    /// Position in the matrix's block grid (row, column).
    pub grid: (usize, usize),
}

/// Every setting of one experiment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Config {
    pub seed: u64,
    pub c: usize,
    pub k: usize,
    pub d: usize,
    /// n, the number of hidden states; there are n + 1 weight matrices.
    pub depth: usize,
    pub batch: usize,
    pub steps: usize,
    pub lr: f64,
    pub strategy: Strategy,
    /// Net2Net split factors are drawn from ½ ± noise.
    pub noise: f64,
    /// The value used for ReLU'(0).
    pub relu0: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 3,
            c: 4,
            k: 6,
            d: 3,
            depth: 3,
            batch: 8,
            steps: 30,
            lr: 0.1,
            strategy: Strategy::RandomInZeroOut,
            noise: 0.1,
            relu0: 0.0,
        }
    }
}

impl Config {
    pub fn from_params(p: &mut Params) -> Result<Config, ComputeError> {
        let d = Config::default();
        let strategy = p.choice("strategy", d.strategy.name(), Strategy::NAMES)?;
        let relu0 = p.choice("relu0", "0", &["0", "1"])?;
        Ok(Config {
            seed: p.u64("seed", d.seed, 0..=u64::MAX)?,
            c: p.usize("c", d.c, 1..=MAX_C)?,
            k: p.usize("k", d.k, 1..=MAX_K)?,
            d: p.usize("d", d.d, 1..=MAX_D)?,
            depth: p.usize("depth", d.depth, 1..=MAX_DEPTH)?,
            batch: p.usize("batch", d.batch, 1..=MAX_BATCH)?,
            steps: p.usize("steps", d.steps, 0..=MAX_STEPS)?,
            lr: p.f64("lr", d.lr, 0.0..=1.0)?,
            strategy: Strategy::from_name(strategy).unwrap_or(d.strategy),
            noise: p.f64("noise", d.noise, 0.0..=0.5)?,
            relu0: if relu0 == "1" { 1.0 } else { 0.0 },
        })
    }

    /// The same sizes and seed with another strategy.
    pub fn with_strategy(self, strategy: Strategy) -> Config {
        Config { strategy, ..self }
    }
}

/// The weights, `[W_in, W_1, …, W_(n−1), W_out]`, each `[out][in]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Net {
    pub weights: Vec<Array2<f64>>,
}

impl Net {
    /// The midterm's names: W(in), W(1) … W(n−1), W(out).
    pub fn matrix_name(&self, l: usize) -> String {
        matrix_name(l, self.weights.len())
    }
}

pub fn matrix_name(l: usize, count: usize) -> String {
    if l == 0 {
        "W(in)".into()
    } else if l + 1 == count {
        "W(out)".into()
    } else {
        format!("W({l})")
    }
}

/// The network before widening, a batch and targets, all from the seed; plus
/// the generator state the widening draws from.
#[derive(Debug, Clone)]
pub struct Setup {
    pub net: Net,
    /// `[B][C]`
    pub x: Array2<f64>,
    /// `[B][D]`
    pub t: Array2<f64>,
    widen_rng: StdRng,
}

/// Full-batch SGD steps the narrow network is trained for before it is widened:
/// the midterm widens a network "we have been training", whose weights and
/// gradients are no longer those of a fresh initialisation.
pub const PRETRAIN_STEPS: usize = 100;
/// Their learning rate: half the default after-widening rate, so that no
/// example's hidden layer dies on the default seed (a ReLU layer that is all
/// zero for an example leaves the next pre-activations exactly on the kink).
pub const PRETRAIN_LR: f64 = 0.05;

impl Setup {
    /// He-normal hidden weights (std √(2/fan_in)), output weights std √(1/K),
    /// standard normal inputs and targets, then [`PRETRAIN_STEPS`] full-batch
    /// SGD steps (learning rate [`PRETRAIN_LR`]) on that batch: "the network we have been training".
    pub fn new(cfg: &Config) -> Setup {
        let mut r = rng::seeded(cfg.seed);
        let mut weights = Vec::with_capacity(cfg.depth + 1);
        weights.push(rng::normal(&mut r, (cfg.k, cfg.c), he(cfg.c)));
        for _ in 1..cfg.depth {
            weights.push(rng::normal(&mut r, (cfg.k, cfg.k), he(cfg.k)));
        }
        weights.push(rng::normal(
            &mut r,
            (cfg.d, cfg.k),
            (1.0 / cfg.k as f64).sqrt(),
        ));
        let x = rng::normal(&mut r, (cfg.batch, cfg.c), 1.0);
        let t = rng::normal(&mut r, (cfg.batch, cfg.d), 1.0);
        for _ in 0..PRETRAIN_STEPS {
            let v: Vec<_> = weights.iter().map(|w| w.view()).collect();
            let g = backward(&v, &forward(&v, x.view(), t.view()), t.view(), cfg.relu0);
            for (w, g) in weights.iter_mut().zip(&g.weights) {
                w.scaled_add(-PRETRAIN_LR, g);
            }
        }
        Setup {
            net: Net { weights },
            x,
            t,
            widen_rng: r,
        }
    }

    /// Widen with `strategy`; every strategy draws from the same generator state.
    pub fn widen(&self, strategy: Strategy, noise: f64) -> Widened {
        widen(&self.net, strategy, noise, &mut self.widen_rng.clone())
    }
}

fn he(fan_in: usize) -> f64 {
    (2.0 / fan_in as f64).sqrt()
}

/// Everything the forward pass keeps for the backward pass.
#[derive(Debug, Clone)]
pub struct Forward {
    /// Pre-activations z(1) … z(n), each `[B][K]`.
    pub z: Vec<Array2<f64>>,
    /// h(0) = x, h(1) … h(n).
    pub h: Vec<Array2<f64>>,
    /// `[B][D]`
    pub y: Array2<f64>,
    pub loss: f64,
}

pub fn forward(ws: &[ArrayView2<f64>], x: ArrayView2<f64>, t: ArrayView2<f64>) -> Forward {
    let n = ws.len() - 1;
    let mut z = Vec::with_capacity(n);
    let mut h = Vec::with_capacity(n + 1);
    h.push(x.to_owned());
    for w in &ws[..n] {
        // z = h Wᵀ for a batch of row vectors; h = ReLU(z).
        let zl = h[h.len() - 1].dot(&w.t());
        h.push(zl.mapv(|v| v.max(0.0)));
        z.push(zl);
    }
    let y = h[n].dot(&ws[n].t());
    let loss = loss_of(&y, t);
    Forward { z, h, y, loss }
}

/// L = 1/(2B) Σ ‖y − t‖²
fn loss_of(y: &Array2<f64>, t: ArrayView2<f64>) -> f64 {
    let b = y.nrows().max(1) as f64;
    y.iter()
        .zip(t.iter())
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        / (2.0 * b)
}

/// Gradients of the loss with respect to every weight matrix and the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Grads {
    pub weights: Vec<Array2<f64>>,
    pub x: Array2<f64>,
}

/// The hand-written backward pass:
///
/// ```text
/// ∂L/∂y     = (y − t) / B
/// ∂L/∂W_l   = δ_lᵀ h(l)            δ_l = ∂L/∂(output of W_l)
/// ∂L/∂h(l)  = δ_l W_l
/// δ_(l−1)   = ∂L/∂h(l) ⊙ ReLU'(z(l)),   ReLU'(z) = 1 (z > 0), relu0 (z = 0), 0 (z < 0)
/// ```
pub fn backward(ws: &[ArrayView2<f64>], f: &Forward, t: ArrayView2<f64>, relu0: f64) -> Grads {
    let n = ws.len() - 1;
    let b = f.y.nrows().max(1) as f64;
    let mut delta = (&f.y - &t) / b;
    let mut grads = vec![Array2::zeros((0, 0)); n + 1];
    for l in (0..=n).rev() {
        grads[l] = delta.t().dot(&f.h[l]);
        let dh = delta.dot(&ws[l]);
        if l == 0 {
            return Grads {
                weights: grads,
                x: dh,
            };
        }
        let z = &f.z[l - 1];
        delta = ndarray::Zip::from(&dh).and(z).map_collect(|g, z| {
            g * if *z > 0.0 {
                1.0
            } else if *z == 0.0 {
                relu0
            } else {
                0.0
            }
        });
    }
    unreachable!("the loop returns at l == 0")
}

/// The loss alone, for finite differences: the arithmetic of [`forward`] one
/// batch row at a time into two reused buffers (hundreds of calls per check),
/// with matrix `replace.0` swapped for `replace.1`.
fn loss_only(
    ws: &[ArrayView2<f64>],
    replace: Option<(usize, ArrayView2<f64>)>,
    x: ArrayView2<f64>,
    t: ArrayView2<f64>,
    scratch: &mut [Vec<f64>; 2],
) -> f64 {
    let n = ws.len() - 1;
    let [a, b] = scratch;
    let mut total = 0.0;
    for (xb, tb) in x.rows().into_iter().zip(t.rows()) {
        a.clear();
        a.extend(xb.iter());
        for (l, w) in ws.iter().enumerate() {
            let w = match &replace {
                Some((r, changed)) if *r == l => changed,
                _ => w,
            };
            b.clear();
            for row in w.rows() {
                let v: f64 = row.iter().zip(a.iter()).map(|(w, h)| w * h).sum();
                b.push(if l < n { v.max(0.0) } else { v });
            }
            std::mem::swap(a, b);
        }
        total += a
            .iter()
            .zip(tb.iter())
            .map(|(y, t)| (y - t).powi(2))
            .sum::<f64>();
    }
    total / (2.0 * x.nrows().max(1) as f64)
}

pub fn views(net: &Net) -> Vec<ArrayView2<'_, f64>> {
    net.weights.iter().map(|w| w.view()).collect()
}

/// Compare [`backward`] with central differences for every weight and every
/// input entry. `Err(Cancelled)` if `progress` asks to stop (checked per matrix).
pub fn grad_check(
    net: &Net,
    x: ArrayView2<f64>,
    t: ArrayView2<f64>,
    relu0: f64,
    progress: &mut ProgressFn<'_>,
) -> Result<GradCheck, ComputeError> {
    let ws = views(net);
    let grads = backward(&ws, &forward(&ws, x, t), t, relu0);
    let total = ws.len() as u64 + 1;
    let mut result = GradCheck::NONE;
    let mut scratch = [Vec::new(), Vec::new()];
    for l in 0..=ws.len() {
        let step = Progress {
            done: l as u64,
            total,
            label: "grad check".into(),
        };
        if progress(step).is_break() {
            return Err(ComputeError::Cancelled);
        }
        let (mut flat, analytic, shape) = if l < ws.len() {
            (
                ws[l].iter().copied().collect::<Vec<_>>(),
                grads.weights[l].iter().copied().collect::<Vec<_>>(),
                ws[l].dim(),
            )
        } else {
            (
                x.iter().copied().collect(),
                grads.x.iter().copied().collect(),
                x.dim(),
            )
        };
        let check = gradcheck::check(&mut flat, &analytic, |p| {
            let Ok(changed) = ArrayView2::from_shape(shape, p) else {
                return f64::NAN;
            };
            if l < ws.len() {
                loss_only(&ws, Some((l, changed)), x, t, &mut scratch)
            } else {
                loss_only(&ws, None, changed, t, &mut scratch)
            }
        });
        result = result.merge(check);
    }
    Ok(result)
}

/// The widened network and how each of its matrices was built.
#[derive(Debug, Clone, PartialEq)]
pub struct Widened {
    pub strategy: Strategy,
    pub net: Net,
    /// Per matrix, its blocks in row-major grid order.
    pub blocks: Vec<Vec<Block>>,
    /// Net2Net only: the split factor a of every (matrix, row, old column);
    /// copy 1 of a unit gets a, copy 2 gets 1 − a. Empty otherwise.
    pub split: Vec<Array2<f64>>,
}

/// Widen every hidden state from K to 2K. Unit i < K is old; unit K + i is new
/// (under Net2Net, the copy of unit i).
pub fn widen(base: &Net, strategy: Strategy, noise: f64, r: &mut StdRng) -> Widened {
    let count = base.weights.len();
    let mut weights = Vec::with_capacity(count);
    let mut blocks = Vec::with_capacity(count);
    let mut split = Vec::new();
    for (l, w) in base.weights.iter().enumerate() {
        let (rows, cols) = w.dim();
        // W(in) grows new rows, W(out) new columns, hidden matrices both.
        let grow_rows = l + 1 < count;
        let grow_cols = l > 0;
        let k_out = if grow_rows { 2 * rows } else { rows };
        let k_in = if grow_cols { 2 * cols } else { cols };
        let mut m = Array2::zeros((k_out, k_in));
        let mut list = Vec::new();
        let row_parts: &[bool] = if grow_rows { &[false, true] } else { &[false] };
        let col_parts: &[bool] = if grow_cols { &[false, true] } else { &[false] };
        let a = if strategy == Strategy::Net2Net && grow_cols {
            let a: Array2<f64> = Array2::from_shape_simple_fn((k_out, cols), || {
                0.5 + if noise > 0.0 {
                    r.random_range(-noise..noise)
                } else {
                    0.0
                }
            });
            Some(a)
        } else {
            None
        };
        for (gi, &new_row) in row_parts.iter().enumerate() {
            for (gj, &new_col) in col_parts.iter().enumerate() {
                let role = match (new_col, new_row) {
                    (false, false) => Role::OldToOld,
                    (true, false) => Role::NewToOld,
                    (false, true) => Role::OldToNew,
                    (true, true) => Role::NewToNew,
                };
                let r0 = if new_row { rows } else { 0 };
                let c0 = if new_col { cols } else { 0 };
                let init = init_for(strategy, role, grow_cols);
                let mut target = sub_mut(&mut m, (r0, r0 + rows), (c0, c0 + cols));
                match init {
                    Init::Kept | Init::Copy => target.assign(w),
                    Init::Zero => {}
                    Init::Random => {
                        target.assign(&rng::normal(&mut *r, (rows, cols), he(k_in)));
                    }
                    Init::Split => {
                        if let Some(a) = &a {
                            let a = sub(a, (r0, r0 + rows), (0, cols));
                            ndarray::Zip::from(&mut target)
                                .and(w)
                                .and(&a)
                                .for_each(|t, w, a| {
                                    *t = if new_col { w * (1.0 - a) } else { w * a }
                                });
                        }
                    }
                }
                list.push(Block {
                    role,
                    init,
                    rows: (r0, r0 + rows),
                    cols: (c0, c0 + cols),
                    grid: (gi, gj),
                });
            }
        }
        if let Some(a) = a {
            split.push(a);
        }
        weights.push(m);
        blocks.push(list);
    }
    Widened {
        strategy,
        net: Net { weights },
        blocks,
        split,
    }
}

fn init_for(strategy: Strategy, role: Role, grow_cols: bool) -> Init {
    match (strategy, role) {
        (Strategy::Net2Net, _) if grow_cols => Init::Split,
        (Strategy::Net2Net, Role::OldToOld) => Init::Kept,
        (Strategy::Net2Net, _) => Init::Copy,
        (_, Role::OldToOld) => Init::Kept,
        (Strategy::Zero, _) => Init::Zero,
        (Strategy::RandomInZeroOut, Role::NewToOld) => Init::Zero,
        (Strategy::RandomInZeroOut, _) => Init::Random,
        (Strategy::ZeroInRandomOut, Role::OldToNew) => Init::Zero,
        (Strategy::ZeroInRandomOut, _) => Init::Random,
    }
}

fn block_norm(m: &Array2<f64>, b: &Block) -> f64 {
    sub(m, b.rows, b.cols)
        .iter()
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt()
}

/// Frobenius norm of all new blocks of all matrices.
pub fn new_norm(ms: &[Array2<f64>], blocks: &[Vec<Block>]) -> f64 {
    ms.iter()
        .zip(blocks)
        .flat_map(|(m, bs)| {
            bs.iter()
                .filter(|b| b.role.is_new())
                .map(move |b| block_norm(m, b).powi(2))
        })
        .sum::<f64>()
        .sqrt()
}

/// Frobenius norm of every block with this role.
pub fn role_norm(ms: &[Array2<f64>], blocks: &[Vec<Block>], role: Role) -> f64 {
    ms.iter()
        .zip(blocks)
        .flat_map(|(m, bs)| {
            bs.iter()
                .filter(|b| b.role == role)
                .map(move |b| block_norm(m, b).powi(2))
        })
        .sum::<f64>()
        .sqrt()
}

/// One block's figures right after widening.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BlockStat {
    #[serde(flatten)]
    pub block: Block,
    /// ‖block‖ at initialisation (Frobenius).
    pub norm: f64,
    /// ‖∂L/∂block‖ right after widening.
    pub grad_norm: f64,
}

/// One matrix's blocks, and its old-vs-new gradient split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixStat {
    pub name: String,
    pub shape: (usize, usize),
    pub blocks: Vec<BlockStat>,
    /// Gradient norm of the original K×K (or K×C, D×K) block.
    pub old_grad_norm: f64,
    /// Gradient norm of all new blocks together.
    pub new_grad_norm: f64,
}

/// The figures of a widened network right after widening (cheap: one forward
/// and one backward pass, no training, no finite differences).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub y_before: Array2<f64>,
    pub y_after: Array2<f64>,
    /// max |ỹ − y| over the batch.
    pub max_diff: f64,
    pub loss: f64,
    pub matrices: Vec<MatrixStat>,
    /// Gradient norm over all new blocks of all matrices.
    pub new_grad_norm: f64,
    /// How many hidden pre-activations are exactly 0 (the ReLU kink).
    pub at_kink: usize,
    /// Max |h(K+i) − h(i)| over units, layers and batch: 0 when every new unit
    /// duplicates an old one.
    pub copy_gap: f64,
}

pub fn snapshot(setup: &Setup, wide: &Widened, relu0: f64) -> (Snapshot, Grads) {
    let base = views(&setup.net);
    let before = forward(&base, setup.x.view(), setup.t.view());
    let ws = views(&wide.net);
    let f = forward(&ws, setup.x.view(), setup.t.view());
    let g = backward(&ws, &f, setup.t.view(), relu0);
    let max_diff = max_abs_diff(f.y.view(), before.y.view());
    let matrices: Vec<MatrixStat> = wide
        .blocks
        .iter()
        .enumerate()
        .map(|(l, bs)| {
            let blocks: Vec<BlockStat> = bs
                .iter()
                .map(|b| BlockStat {
                    block: *b,
                    norm: block_norm(&wide.net.weights[l], b),
                    grad_norm: block_norm(&g.weights[l], b),
                })
                .collect();
            let norm_of = |new: bool| {
                blocks
                    .iter()
                    .filter(|b| b.block.role.is_new() == new)
                    .map(|b| b.grad_norm.powi(2))
                    .sum::<f64>()
                    .sqrt()
            };
            MatrixStat {
                name: wide.net.matrix_name(l),
                shape: wide.net.weights[l].dim(),
                old_grad_norm: norm_of(false),
                new_grad_norm: norm_of(true),
                blocks,
            }
        })
        .collect();
    let new_grad_norm = new_norm(&g.weights, &wide.blocks);
    let at_kink = f.z.iter().flatten().filter(|v| **v == 0.0).count();
    let copy_gap =
        f.h.iter()
            .skip(1)
            .map(|h| {
                let k = h.ncols() / 2;
                let b = h.nrows();
                max_abs_diff(sub(h, (0, b), (k, 2 * k)), sub(h, (0, b), (0, k)))
            })
            .fold(0.0, f64::max);
    (
        Snapshot {
            y_before: before.y,
            y_after: f.y,
            max_diff,
            loss: f.loss,
            matrices,
            new_grad_norm,
            at_kink,
            copy_gap,
        },
        g,
    )
}

/// Rows `rows.0..rows.1` and columns `cols.0..cols.1` of `m`.
fn sub(m: &Array2<f64>, rows: (usize, usize), cols: (usize, usize)) -> ArrayView2<'_, f64> {
    let mut v = m.view();
    v.slice_axis_inplace(Axis(0), Slice::from(rows.0..rows.1));
    v.slice_axis_inplace(Axis(1), Slice::from(cols.0..cols.1));
    v
}

fn sub_mut(
    m: &mut Array2<f64>,
    rows: (usize, usize),
    cols: (usize, usize),
) -> ArrayViewMut2<'_, f64> {
    let mut v = m.view_mut();
    v.slice_axis_inplace(Axis(0), Slice::from(rows.0..rows.1));
    v.slice_axis_inplace(Axis(1), Slice::from(cols.0..cols.1));
    v
}

fn max_abs_diff(a: ArrayView2<f64>, b: ArrayView2<f64>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

/// Full-batch SGD after widening, one record per step (before the update).
#[derive(Debug, Clone, PartialEq)]
pub struct Training {
    pub steps: usize,
    pub lr: f64,
    /// Loss of the widened network before each step, plus the final loss.
    pub loss: Vec<f64>,
    /// ‖θ_new − θ_new(0)‖: how far the new blocks have moved, same indexing.
    pub new_moved: Vec<f64>,
    /// ‖∂L/∂θ_new‖ at each step (and at the end).
    pub new_grad: Vec<f64>,
    /// ‖∂L/∂(old→new blocks)‖, the new units' incoming weights, same indexing.
    pub in_grad: Vec<f64>,
    /// The same SGD run on the network before widening.
    pub narrow_loss: Vec<f64>,
    /// The widened weights after the last step.
    pub final_weights: Vec<Array2<f64>>,
    /// Net2Net: max |row i − row K+i| of the final W(in); 0 means the copies
    /// are still identical (symmetry never broken).
    pub copy_weight_gap: f64,
    /// Set when a run blew up (the learning rate is too large for these sizes);
    /// training stopped there, so every recorded number is finite.
    pub diverged: Option<Divergence>,
}

/// Where and why SGD was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Divergence {
    /// The step whose loss or gradient was not usable (no update was made from it).
    pub step: usize,
    /// "widened" or "narrow".
    pub network: &'static str,
    /// The loss at that step (it may be infinite or NaN; not in the series).
    #[serde(skip)]
    pub loss: f64,
}

/// A loss above this (or a non-finite loss or gradient) counts as diverged: the
/// losses here start near 1-10, so this is far past any useful run, and well
/// before the weights overflow f64.
pub const DIVERGED_LOSS: f64 = 1e12;

fn diverged(loss: f64, grads: &[Array2<f64>]) -> bool {
    !(loss.is_finite() && loss <= DIVERGED_LOSS) || grads.iter().flatten().any(|g| !g.is_finite())
}

/// `steps` SGD steps with learning rate `lr` on the widened and on the narrow
/// network; both use the same batch and targets.
pub fn train(setup: &Setup, wide: &Widened, steps: usize, lr: f64, relu0: f64) -> Training {
    let x = setup.x.view();
    let t = setup.t.view();
    let init = wide.net.weights.clone();
    let mut ws = init.clone();
    let mut narrow = setup.net.weights.clone();
    let mut out = Training {
        steps,
        lr,
        loss: Vec::with_capacity(steps + 1),
        new_moved: Vec::with_capacity(steps + 1),
        new_grad: Vec::with_capacity(steps + 1),
        in_grad: Vec::with_capacity(steps + 1),
        narrow_loss: Vec::with_capacity(steps + 1),
        final_weights: Vec::new(),
        copy_weight_gap: 0.0,
        diverged: None,
    };
    for step in 0..=steps {
        let v: Vec<_> = ws.iter().map(|w| w.view()).collect();
        let f = forward(&v, x, t);
        let g = backward(&v, &f, t, relu0);
        let nv: Vec<_> = narrow.iter().map(|w| w.view()).collect();
        let nf = forward(&nv, x, t);
        let ng = backward(&nv, &nf, t, relu0);
        // Stop both runs (their series stay aligned by step) at the first step
        // either cannot continue from, and keep the weights of the step before.
        let blown = [
            ("widened", f.loss, &g.weights),
            ("narrow", nf.loss, &ng.weights),
        ]
        .into_iter()
        .find(|(_, loss, grads)| diverged(*loss, grads));
        if let Some((network, loss, _)) = blown {
            out.diverged = Some(Divergence {
                step,
                network,
                loss,
            });
            break;
        }
        let moved: Vec<Array2<f64>> = ws.iter().zip(&init).map(|(w, i)| w - i).collect();
        out.loss.push(f.loss);
        out.new_moved.push(new_norm(&moved, &wide.blocks));
        out.new_grad.push(new_norm(&g.weights, &wide.blocks));
        out.in_grad
            .push(role_norm(&g.weights, &wide.blocks, Role::OldToNew));
        out.narrow_loss.push(nf.loss);
        if step == steps {
            break;
        }
        for (w, g) in ws.iter_mut().zip(&g.weights) {
            w.scaled_add(-lr, g);
        }
        for (w, g) in narrow.iter_mut().zip(&ng.weights) {
            w.scaled_add(-lr, g);
        }
    }
    if let Some(w_in) = ws.first() {
        let k = w_in.nrows() / 2;
        let c = w_in.ncols();
        out.copy_weight_gap =
            max_abs_diff(sub(w_in, (0, k), (0, c)), sub(w_in, (k, 2 * k), (0, c)));
    }
    out.final_weights = ws;
    out
}

/// Everything the panel and `nnbook compute widen` show for one config.
#[derive(Debug, Clone)]
pub struct Experiment {
    pub config: Config,
    pub setup: Setup,
    pub wide: Widened,
    pub snapshot: Snapshot,
    pub grads: Grads,
    /// Backward vs central differences on the network before widening …
    pub check_narrow: GradCheck,
    /// … and on the widened one.
    pub check_wide: GradCheck,
    /// Hidden pre-activations of the network before widening that are exactly
    /// 0 (a whole layer off for some example makes the next layer's z zero,
    /// since there are no biases).
    pub narrow_at_kink: usize,
    pub training: Training,
}

pub fn experiment(cfg: &Config, progress: &mut ProgressFn<'_>) -> Result<Experiment, ComputeError> {
    let setup = Setup::new(cfg);
    let wide = setup.widen(cfg.strategy, cfg.noise);
    let (snapshot, grads) = snapshot(&setup, &wide, cfg.relu0);
    let (x, t) = (setup.x.view(), setup.t.view());
    let check_narrow = grad_check(&setup.net, x, t, cfg.relu0, progress)?;
    let check_wide = grad_check(&wide.net, x, t, cfg.relu0, progress)?;
    let training = train(&setup, &wide, cfg.steps, cfg.lr, cfg.relu0);
    let narrow_at_kink = forward(&views(&setup.net), x, t)
        .z
        .iter()
        .flatten()
        .filter(|v| **v == 0.0)
        .count();
    Ok(Experiment {
        narrow_at_kink,
        config: *cfg,
        setup,
        wide,
        snapshot,
        grads,
        check_narrow,
        check_wide,
        training,
    })
}

/// Relative error below which a gradient check passes.
pub const CHECK_TOLERANCE: f64 = 1e-6;

impl Experiment {
    /// Whether a failed check is explained by pre-activations sitting exactly
    /// on the ReLU kink, where the loss has no derivative and central
    /// differences average the two one-sided slopes.
    pub fn check_at_kink(&self) -> bool {
        (self.check_wide.max_rel_error >= CHECK_TOLERANCE && self.snapshot.at_kink > 0)
            || (self.check_narrow.max_rel_error >= CHECK_TOLERANCE && self.narrow_at_kink > 0)
    }

    pub fn to_text(&self) -> String {
        let c = &self.config;
        let s = &self.snapshot;
        let tr = &self.training;
        let mut out = format!(
            "Widening K={} → {} ({}), C={}, D={}, depth n={}, batch {}, seed {}, ReLU'(0)={}\n",
            c.k,
            2 * c.k,
            c.strategy.label(),
            c.c,
            c.d,
            c.depth,
            c.batch,
            c.seed,
            c.relu0
        );
        let _ = writeln!(
            out,
            "max |ỹ − y| right after widening: {}{}",
            sci(s.max_diff),
            if s.max_diff < 1e-12 {
                " (function preserved)"
            } else {
                " (function changed)"
            }
        );
        let _ = writeln!(
            out,
            "grad check (central differences), before widening: max rel err {}; after: {}{}",
            sci(self.check_narrow.max_rel_error),
            sci(self.check_wide.max_rel_error),
            if self.check_at_kink() {
                " (pre-activations exactly at the ReLU kink: no derivative there)"
            } else {
                ""
            }
        );
        let _ = writeln!(out, "\nBlocks and gradient norms right after widening:");
        for m in &s.matrices {
            let _ = writeln!(
                out,
                "{:<7} {:>2}x{:<2}  ‖∇old‖ {:>9}  ‖∇new‖ {:>9}",
                m.name,
                m.shape.0,
                m.shape.1,
                sci(m.old_grad_norm),
                sci(m.new_grad_norm)
            );
            for b in &m.blocks {
                let _ = writeln!(
                    out,
                    "    {:<8} {:<7} rows {:>2}..{:<2} cols {:>2}..{:<2}  ‖W‖ {:>9}  ‖∇‖ {:>9}",
                    b.block.role.label(),
                    b.block.init.label(),
                    b.block.rows.0,
                    b.block.rows.1,
                    b.block.cols.0,
                    b.block.cols.1,
                    sci(b.norm),
                    sci(b.grad_norm)
                );
            }
        }
        let last = tr.loss.len().saturating_sub(1);
        // A run that diverged at step 0 recorded nothing.
        let at =
            |v: &[f64], i: usize, f: fn(f64) -> String| v.get(i).map_or("—".into(), |x| f(*x));
        let _ = writeln!(
            out,
            "\nSGD, {} steps, lr {}: loss {} → {} (narrow network: {} → {})",
            tr.steps,
            tr.lr,
            at(&tr.loss, 0, num),
            at(&tr.loss, last, num),
            at(&tr.narrow_loss, 0, num),
            at(&tr.narrow_loss, last, num)
        );
        let _ = writeln!(
            out,
            "new blocks moved ‖θ_new − θ_new(0)‖: {}; ‖∇θ_new‖ at the end: {}",
            at(&tr.new_moved, last, sci),
            at(&tr.new_grad, last, sci)
        );
        if let Some(d) = tr.diverged {
            let value = if d.loss.is_finite() {
                format!("reached {}", sci(d.loss))
            } else {
                "overflowed (no longer a finite number)".into()
            };
            let _ = writeln!(
                out,
                "DIVERGED at step {}: the {} network's loss {value} (limit {}); lr {} is too \
                 large for these sizes, so SGD stopped there and the figures above are from \
                 step {}",
                d.step,
                d.network,
                sci(DIVERGED_LOSS),
                tr.lr,
                d.step.saturating_sub(1)
            );
        }
        let first_in = tr.in_grad.iter().position(|g| *g != 0.0);
        let _ = writeln!(
            out,
            "new units' incoming weights (old→new): gradient {}",
            match first_in {
                Some(0) => "non-zero from the start".into(),
                Some(step) => format!("non-zero after {step} SGD step(s)"),
                None => "exactly 0 at every step".into(),
            }
        );
        if c.strategy == Strategy::Net2Net {
            let _ = writeln!(
                out,
                "Net2Net copies: max |W(in) row i − row K+i| after training: {}",
                sci(tr.copy_weight_gap)
            );
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        let c = &self.config;
        let tr = &self.training;
        json!({
            "problem": 3,
            "conventions": {
                "weights": "[out][in]; h(j+1) = ReLU(h(j) Wᵀ) per batch row; no biases",
                "loss": "L = 1/(2B) Σ_b ‖y_b − t_b‖²",
                "relu_derivative_at_zero": c.relu0,
                "new_units": "unit i < K is old, unit K+i is new (Net2Net: the copy of unit i)",
                "sgd": "full batch, W ← W − lr ∂L/∂W",
            },
            "config": c,
            "inputs": {
                "weights": nested_all(&self.setup.net.weights),
                "x": nested(&self.setup.x),
                "targets": nested(&self.setup.t),
            },
            "widened": {
                "strategy": c.strategy,
                "weights": nested_all(&self.wide.net.weights),
                "net2net_split": nested_all(&self.wide.split),
            },
            "outputs": {
                "y_before": nested(&self.snapshot.y_before),
                "y_after": nested(&self.snapshot.y_after),
                "max_abs_diff": self.snapshot.max_diff,
                "loss": self.snapshot.loss,
                "at_kink": self.snapshot.at_kink,
                "at_kink_before_widening": self.narrow_at_kink,
                "matrices": self.snapshot.matrices,
                "new_grad_norm": self.snapshot.new_grad_norm,
                "grads": {
                    "weights": nested_all(&self.grads.weights),
                    "x": nested(&self.grads.x),
                },
            },
            "grad_check": {
                "before_widening": self.check_narrow,
                "after_widening": self.check_wide,
                "step": gradcheck::STEP,
                "tolerance": CHECK_TOLERANCE,
            },
            "training": {
                "steps": tr.steps,
                "lr": tr.lr,
                "loss": tr.loss,
                "new_moved": tr.new_moved,
                "new_grad": tr.new_grad,
                "in_grad": tr.in_grad,
                "narrow_loss": tr.narrow_loss,
                "final_weights": nested_all(&tr.final_weights),
                "copy_weight_gap": tr.copy_weight_gap,
                "diverged": tr.diverged.map(|d| serde_json::json!({
                    "step": d.step,
                    "network": d.network,
                    // JSON has no NaN or infinity: a non-finite loss is null.
                    "loss": d.loss.is_finite().then_some(d.loss),
                    "limit": DIVERGED_LOSS,
                })),
            },
        })
    }
}

/// A matrix as nested row-major arrays, `[row][column]`.
pub fn nested(a: &Array2<f64>) -> Vec<Vec<f64>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}

fn nested_all(ms: &[Array2<f64>]) -> Vec<Vec<Vec<f64>>> {
    ms.iter().map(nested).collect()
}

/// `0` for an exact zero, four decimals from 0.001 to 1000, else `1.23e-4`.
pub fn sci(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if (1e-3..1e3).contains(&v.abs()) {
        format!("{v:.4}")
    } else {
        format!("{v:.2e}")
    }
}

/// Four decimals, for losses and norms of order one.
pub fn num(v: f64) -> String {
    format!("{v:.4}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> impl FnMut(Progress) -> std::ops::ControlFlow<()> {
        |_| std::ops::ControlFlow::Continue(())
    }

    fn run_cfg(cfg: Config) -> Experiment {
        experiment(&cfg, &mut quiet()).unwrap()
    }

    #[test]
    fn backward_matches_finite_differences_before_and_after() {
        for strategy in [Strategy::Zero, Strategy::RandomInZeroOut, Strategy::Net2Net] {
            let e = run_cfg(Config::default().with_strategy(strategy));
            assert!(e.check_narrow.max_rel_error < 1e-8, "{:?}", e.check_narrow);
            assert!(
                e.check_wide.max_rel_error < 1e-8,
                "{strategy:?} {:?}",
                e.check_wide
            );
        }
    }

    #[test]
    fn blocks_tile_each_matrix() {
        let e = run_cfg(Config::default());
        for (m, bs) in e.wide.net.weights.iter().zip(&e.wide.blocks) {
            let area: usize = bs
                .iter()
                .map(|b| (b.rows.1 - b.rows.0) * (b.cols.1 - b.cols.0))
                .sum();
            assert_eq!(area, m.len());
        }
        assert_eq!(e.wide.blocks[0].len(), 2);
        assert_eq!(e.wide.blocks[1].len(), 4);
        assert_eq!(e.wide.blocks[3].len(), 2);
    }

    #[test]
    fn matrix_keys() {
        assert_eq!(matrix_key("W(in)"), "win");
        assert_eq!(matrix_key("W(2)"), "w2");
        assert_eq!(matrix_name(0, 4), "W(in)");
        assert_eq!(matrix_name(3, 4), "W(out)");
        assert_eq!(matrix_name(1, 2), "W(out)");
    }
}
