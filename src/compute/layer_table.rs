//! Problem 1: the CNN layer table. For any stack of conv / ReLU / max-pool
//! layers: output shapes, parameter counts (weights and biases), FLOPs under two
//! conventions, receptive fields (analytic and exact, see [`receptive_field`]),
//! and the network with its pools replaced by strided convolutions.
//!
//! All arithmetic is checked `u64`; sizes are bounded ([`MAX_SIDE`],
//! [`MAX_CHANNELS`], [`MAX_LAYERS`], [`MAX_WINDOW`]) so the worst case stays
//! small. A layer that does not fit is a [`ShapeError`] naming it.
//!
//! This file is the model, the maths a reader can check against the
//! derivation; `facts.rs` makes the derivation's figures from it, and
//! `cli.rs` is the `compute layer-table` command (parameters and report).

pub mod autograd_rf;
mod cli;
mod facts;
pub mod receptive_field;
pub mod trace;

pub use cli::{COMPUTATION, Settings, arch_spec, parse_arch, parse_input, to_json};
pub use facts::{AUTOGRAD_SEED, facts};

use std::fmt;

use serde::Serialize;
use serde_json::json;

use super::{Computation, ComputeError, Facts, ParamError, ParamSpec, Params, ProgressFn, Report};
use receptive_field::{Analytic, Axis};

/// Largest spatial side of the input and of every layer's output.
pub const MAX_SIDE: u64 = 4096;
/// Largest channel count of the input and filter count of a conv.
pub const MAX_CHANNELS: u64 = 4096;
/// Largest number of layers after the input.
pub const MAX_LAYERS: usize = 64;
/// Largest kernel, stride or padding.
pub const MAX_WINDOW: u64 = 255;

/// A convolution with `filters` square `kernel`×`kernel` filters and a bias each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Conv {
    pub filters: u64,
    pub kernel: u64,
    pub stride: u64,
    pub padding: u64,
}

impl Conv {
    /// The midterm's convs: stride 1 and `p = (k − 1)/2`, enough zero padding to
    /// put the filter centre over every input location (odd `k`).
    pub const fn same(filters: u64, kernel: u64) -> Conv {
        Conv {
            filters,
            kernel,
            stride: 1,
            padding: (kernel.saturating_sub(1)) / 2,
        }
    }
}

/// Max pooling over a square `window`, channel by channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pool {
    pub window: u64,
    pub stride: u64,
    pub padding: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layer {
    Conv(Conv),
    Relu,
    #[serde(rename = "pool")]
    MaxPool(Pool),
}

impl Layer {
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Conv(_) => "conv",
            Layer::Relu => "relu",
            Layer::MaxPool(_) => "pool",
        }
    }

    /// Geometry along one spatial axis.
    pub fn axis(&self) -> Axis {
        match *self {
            Layer::Conv(c) => Axis {
                kernel: c.kernel,
                stride: c.stride,
                padding: c.padding,
            },
            Layer::Relu => Axis::IDENTITY,
            Layer::MaxPool(p) => Axis {
                kernel: p.window,
                stride: p.stride,
                padding: p.padding,
            },
        }
    }

    /// The row label, in the midterm's style ("Conv F=16, 5x5"); stride and
    /// padding are shown only when they differ from the midterm's defaults.
    pub fn name(&self) -> String {
        match *self {
            Layer::Conv(c) => {
                let mut s = format!("Conv F={}, {}x{}", c.filters, c.kernel, c.kernel);
                if c != Conv::same(c.filters, c.kernel) {
                    s += &format!(" s{} p{}", c.stride, c.padding);
                }
                s
            }
            Layer::Relu => "ReLU".into(),
            Layer::MaxPool(p) => {
                if p == POOL_2X2 {
                    "Pool".into()
                } else {
                    format!(
                        "Pool {}x{} s{} p{}",
                        p.window, p.window, p.stride, p.padding
                    )
                }
            }
        }
    }

    /// Full description for error messages.
    pub fn describe(&self) -> String {
        match *self {
            Layer::Conv(c) => format!(
                "conv F={} {}x{} s{} p{}",
                c.filters, c.kernel, c.kernel, c.stride, c.padding
            ),
            Layer::Relu => "relu".into(),
            Layer::MaxPool(p) => {
                format!(
                    "pool {}x{} s{} p{}",
                    p.window, p.window, p.stride, p.padding
                )
            }
        }
    }
}

/// The midterm's pooling: 2x2 max pooling with stride 2.
pub const POOL_2X2: Pool = Pool {
    window: 2,
    stride: 2,
    padding: 0,
};

/// The midterm's input, `[H, W, C]`.
pub const MIDTERM_INPUT: [u64; 3] = [32, 32, 3];

/// The midterm's network after its input.
pub const MIDTERM: &[Layer] = &[
    Layer::Conv(Conv::same(16, 5)),
    Layer::Relu,
    Layer::Conv(Conv::same(24, 3)),
    Layer::Relu,
    Layer::MaxPool(POOL_2X2),
    Layer::Conv(Conv::same(32, 3)),
    Layer::Relu,
    Layer::Conv(Conv::same(48, 3)),
    Layer::Relu,
    Layer::MaxPool(POOL_2X2),
    Layer::Conv(Conv::same(64, 3)),
    Layer::Relu,
    Layer::Conv(Conv::same(64, 1)),
    Layer::Relu,
    Layer::MaxPool(POOL_2X2),
    Layer::Conv(Conv::same(96, 3)),
    Layer::Relu,
    Layer::MaxPool(POOL_2X2),
    Layer::Conv(Conv::same(128, 3)),
    Layer::Relu,
    Layer::MaxPool(POOL_2X2),
];

/// How to count FLOPs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Convention {
    /// Every scalar operation, as the midterm asks: conv `2·k²·C_in` per output
    /// (k²C_in multiplications, k²C_in − 1 additions, 1 bias addition), ReLU 1
    /// comparison per element, k×k max pool `k² − 1` comparisons per output.
    All,
    /// Multiply-accumulates only (most FLOP counters): conv `k²·C_in` per
    /// output, ReLU and pooling 0.
    Mac,
}

impl Convention {
    pub const NAMES: &'static [&'static str] = &["all", "mac"];

    pub fn name(self) -> &'static str {
        match self {
            Convention::All => "all",
            Convention::Mac => "mac",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Convention::All => "all scalar ops",
            Convention::Mac => "MACs only",
        }
    }

    pub fn parse(s: &str) -> Option<Convention> {
        match s {
            "all" => Some(Convention::All),
            "mac" => Some(Convention::Mac),
            _ => None,
        }
    }

    pub fn toggled(self) -> Convention {
        match self {
            Convention::All => Convention::Mac,
            Convention::Mac => Convention::All,
        }
    }
}

/// Problem 1(c): what each max-pool layer becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ReplacePool {
    /// Keep the pools.
    #[serde(rename = "none")]
    None,
    /// Conv with C filters, 2x2, stride 2, no padding: the pool's own windows.
    #[serde(rename = "2x2s2")]
    K2S2,
    /// Conv with C filters, 3x3, stride 2, padding 1: overlapping windows.
    #[serde(rename = "3x3s2p1")]
    K3S2P1,
}

impl ReplacePool {
    pub const ALL: [ReplacePool; 3] = [ReplacePool::None, ReplacePool::K2S2, ReplacePool::K3S2P1];
    pub const NAMES: &'static [&'static str] = &["none", "2x2s2", "3x3s2p1"];

    pub fn name(self) -> &'static str {
        match self {
            ReplacePool::None => "none",
            ReplacePool::K2S2 => "2x2s2",
            ReplacePool::K3S2P1 => "3x3s2p1",
        }
    }

    pub fn parse(s: &str) -> Option<ReplacePool> {
        Self::ALL.into_iter().find(|r| r.name() == s)
    }

    pub fn next(self) -> ReplacePool {
        match self {
            ReplacePool::None => ReplacePool::K2S2,
            ReplacePool::K2S2 => ReplacePool::K3S2P1,
            ReplacePool::K3S2P1 => ReplacePool::None,
        }
    }

    /// The conv replacing a pool whose input has `channels` channels. Filter
    /// count = `channels`, so the next layer's input (and parameter count) is
    /// unchanged.
    pub fn conv(self, channels: u64) -> Option<Conv> {
        let (kernel, padding) = match self {
            ReplacePool::None => return None,
            ReplacePool::K2S2 => (2, 0),
            ReplacePool::K3S2P1 => (3, 1),
        };
        Some(Conv {
            filters: channels,
            kernel,
            stride: 2,
            padding,
        })
    }
}

/// Why an architecture cannot be tabulated. Layers are numbered as table rows:
/// the input is row 0, the first layer after it is layer 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeError {
    /// Input side or channel count outside `1..=max`.
    Input {
        what: &'static str,
        value: u64,
        max: u64,
    },
    TooManyLayers {
        count: usize,
        max: usize,
    },
    /// A layer field outside its bounds (e.g. stride 0, kernel 300).
    Field {
        layer: usize,
        desc: String,
        field: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    /// The kernel is larger than the padded input.
    DoesNotFit {
        layer: usize,
        desc: String,
        kernel: u64,
        padded: [u64; 2],
    },
    /// An output side above [`MAX_SIDE`], or a count that overflows u64.
    TooLarge {
        layer: usize,
        desc: String,
        what: &'static str,
    },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::Input { what, value, max } => {
                write!(f, "input {what} {value} is out of range 1..={max}")
            }
            ShapeError::TooManyLayers { count, max } => {
                write!(f, "{count} layers is more than the maximum {max}")
            }
            ShapeError::Field {
                layer,
                desc,
                field,
                value,
                min,
                max,
            } => write!(
                f,
                "layer {layer} ({desc}): {field} {value} is out of range {min}..={max}"
            ),
            ShapeError::DoesNotFit {
                layer,
                desc,
                kernel,
                padded: [h, w],
            } => write!(
                f,
                "layer {layer} ({desc}): a {kernel}x{kernel} window does not fit its padded input {h}x{w}"
            ),
            ShapeError::TooLarge { layer, desc, what } => {
                write!(f, "layer {layer} ({desc}): {what} is too large")
            }
        }
    }
}

impl std::error::Error for ShapeError {}

impl From<ShapeError> for ComputeError {
    fn from(e: ShapeError) -> Self {
        ComputeError::Shape(e.to_string())
    }
}

/// Operation counts of one layer under both conventions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Ops {
    /// Every scalar operation (the midterm's convention), padded taps included.
    pub all: u64,
    /// Multiply-accumulates, padded taps included.
    pub macs: u64,
    /// Multiply-accumulates whose input is a real pixel, not zero padding.
    pub real_macs: u64,
}

impl Ops {
    pub fn get(&self, convention: Convention) -> u64 {
        match convention {
            Convention::All => self.all,
            Convention::Mac => self.macs,
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub name: String,
    pub kind: &'static str,
    /// `None` for the input row.
    pub layer: Option<Layer>,
    /// `[H, W, C]`
    pub out: [u64; 3],
    pub weights: u64,
    pub biases: u64,
    pub params: u64,
    pub ops: Ops,
    /// Receptive field (same along both axes: square kernels, equal strides).
    pub rf: Analytic,
    /// Every output location depends on every input pixel (exact, both axes).
    pub full_rf: bool,
    /// This conv stands in for a max pool (Problem 1(c)).
    pub replaces_pool: bool,
}

/// The whole table; `rows[0]` is the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub input: [u64; 3],
    pub layers: Vec<Layer>,
    pub rows: Vec<Row>,
    pub total_params: u64,
    pub total_ops: Ops,
    /// Index into `rows` of the shallowest layer with full receptive field.
    pub first_full_rf_layer: Option<usize>,
}

/// Check bounds and sizes, failing with the first layer that is wrong.
fn validate(input: [u64; 3], layers: &[Layer]) -> Result<(), ShapeError> {
    for (what, value, max) in [
        ("height", input[0], MAX_SIDE),
        ("width", input[1], MAX_SIDE),
        ("channels", input[2], MAX_CHANNELS),
    ] {
        if value == 0 || value > max {
            return Err(ShapeError::Input { what, value, max });
        }
    }
    if layers.len() > MAX_LAYERS {
        return Err(ShapeError::TooManyLayers {
            count: layers.len(),
            max: MAX_LAYERS,
        });
    }
    let [mut h, mut w] = [input[0], input[1]];
    for (i, layer) in layers.iter().enumerate() {
        let index = i + 1;
        let field = |field, value, min, max| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(ShapeError::Field {
                    layer: index,
                    desc: layer.describe(),
                    field,
                    value,
                    min,
                    max,
                })
            }
        };
        match *layer {
            Layer::Conv(c) => {
                field("filters", c.filters, 1, MAX_CHANNELS)?;
                field("kernel", c.kernel, 1, MAX_WINDOW)?;
                field("stride", c.stride, 1, MAX_WINDOW)?;
                field("padding", c.padding, 0, MAX_WINDOW)?;
            }
            Layer::Relu => {}
            Layer::MaxPool(p) => {
                field("window", p.window, 1, MAX_WINDOW)?;
                field("stride", p.stride, 1, MAX_WINDOW)?;
                field("padding", p.padding, 0, MAX_WINDOW)?;
            }
        }
        let axis = layer.axis();
        let (Some(h2), Some(w2)) = (axis.out_len(h), axis.out_len(w)) else {
            return Err(ShapeError::DoesNotFit {
                layer: index,
                desc: layer.describe(),
                kernel: axis.kernel,
                padded: [h + 2 * axis.padding, w + 2 * axis.padding],
            });
        };
        if h2 > MAX_SIDE || w2 > MAX_SIDE {
            return Err(ShapeError::TooLarge {
                layer: index,
                desc: layer.describe(),
                what: "output side (max 4096)",
            });
        }
        [h, w] = [h2, w2];
    }
    Ok(())
}

/// Sum over the outputs along one axis of how many kernel taps land on real
/// positions (not padding).
fn real_taps(axis: Axis, n_in: u64, n_out: u64) -> u64 {
    (0..n_out as i64)
        .map(|o| {
            let a = o * axis.stride as i64 - axis.padding as i64;
            let b = a + axis.kernel as i64 - 1;
            (b.min(n_in as i64 - 1) - a.max(0) + 1).max(0) as u64
        })
        .sum()
}

/// Tabulate `layers` on an input of `[H, W, C]`.
pub fn table(input: [u64; 3], layers: &[Layer]) -> Result<Table, ShapeError> {
    validate(input, layers)?;
    let axes: Vec<Axis> = layers.iter().map(Layer::axis).collect();
    let fields = receptive_field::analytic(&axes).map_err(|layer| ShapeError::TooLarge {
        layer,
        desc: layers[layer - 1].describe(),
        what: "receptive field",
    })?;
    let full_h = receptive_field::full_per_layer(input[0] as usize, &axes);
    let full_w = if input[1] == input[0] {
        full_h.clone()
    } else {
        receptive_field::full_per_layer(input[1] as usize, &axes)
    };

    let mut rows = vec![Row {
        name: "Input".into(),
        kind: "input",
        layer: None,
        out: input,
        weights: 0,
        biases: 0,
        params: 0,
        ops: Ops::default(),
        rf: fields[0],
        full_rf: full_h[0] && full_w[0],
        replaces_pool: false,
    }];
    let [mut h, mut w, mut c] = input;
    for (i, layer) in layers.iter().enumerate() {
        let index = i + 1;
        let overflow = || ShapeError::TooLarge {
            layer: index,
            desc: layer.describe(),
            what: "a parameter or operation count",
        };
        let axis = layer.axis();
        // validate() has checked that every layer fits.
        let (Some(h2), Some(w2)) = (axis.out_len(h), axis.out_len(w)) else {
            return Err(overflow());
        };
        let c2 = match layer {
            Layer::Conv(conv) => conv.filters,
            _ => c,
        };
        let elems = h2
            .checked_mul(w2)
            .and_then(|n| n.checked_mul(c2))
            .ok_or_else(overflow)?;
        let k2 = axis.kernel.checked_mul(axis.kernel).ok_or_else(overflow)?;
        let (weights, biases, ops) = match layer {
            Layer::Conv(conv) => {
                let taps = k2.checked_mul(c).ok_or_else(overflow)?;
                let weights = taps.checked_mul(conv.filters).ok_or_else(overflow)?;
                let macs = elems.checked_mul(taps).ok_or_else(overflow)?;
                let real_macs = real_taps(axis, h, h2)
                    .checked_mul(real_taps(axis, w, w2))
                    .and_then(|n| n.checked_mul(c))
                    .and_then(|n| n.checked_mul(conv.filters))
                    .ok_or_else(overflow)?;
                // Per output: k²C_in multiplications + (k²C_in − 1) additions +
                // 1 bias addition = 2·k²C_in.
                let all = macs.checked_mul(2).ok_or_else(overflow)?;
                (
                    weights,
                    conv.filters,
                    Ops {
                        all,
                        macs,
                        real_macs,
                    },
                )
            }
            Layer::Relu => (
                0,
                0,
                Ops {
                    all: elems,
                    ..Ops::default()
                },
            ),
            Layer::MaxPool(_) => (
                0,
                0,
                Ops {
                    all: elems.checked_mul(k2 - 1).ok_or_else(overflow)?,
                    ..Ops::default()
                },
            ),
        };
        [h, w, c] = [h2, w2, c2];
        rows.push(Row {
            name: layer.name(),
            kind: layer.kind(),
            layer: Some(*layer),
            out: [h, w, c],
            weights,
            biases,
            params: weights.checked_add(biases).ok_or_else(overflow)?,
            ops,
            rf: fields[index],
            full_rf: full_h[index] && full_w[index],
            replaces_pool: false,
        });
    }
    let sum = |f: fn(&Row) -> u64| {
        rows.iter()
            .try_fold(0u64, |acc, r| acc.checked_add(f(r)))
            .ok_or(ShapeError::TooLarge {
                layer: layers.len(),
                desc: "total".into(),
                what: "the network total",
            })
    };
    let total_params = sum(|r| r.params)?;
    let total_ops = Ops {
        all: sum(|r| r.ops.all)?,
        macs: sum(|r| r.ops.macs)?,
        real_macs: sum(|r| r.ops.real_macs)?,
    };
    let first_full_rf_layer = rows.iter().position(|r| r.full_rf);
    Ok(Table {
        input,
        layers: layers.to_vec(),
        rows,
        total_params,
        total_ops,
        first_full_rf_layer,
    })
}

/// `layers` with every max pool replaced as `how` says (Problem 1(c)); the
/// flags mark which layers are replacements.
pub fn replace_pools(
    input: [u64; 3],
    layers: &[Layer],
    how: ReplacePool,
) -> (Vec<Layer>, Vec<bool>) {
    let mut c = input[2];
    let mut out = Vec::with_capacity(layers.len());
    let mut replaced = Vec::with_capacity(layers.len());
    for layer in layers {
        let new = match (layer, how.conv(c)) {
            (Layer::MaxPool(_), Some(conv)) => Layer::Conv(conv),
            _ => *layer,
        };
        replaced.push(new != *layer);
        if let Layer::Conv(conv) = new {
            c = conv.filters;
        }
        out.push(new);
    }
    (out, replaced)
}

/// The table of `layers` after replacing pools as `how` says.
pub fn table_replaced(
    input: [u64; 3],
    layers: &[Layer],
    how: ReplacePool,
) -> Result<Table, ShapeError> {
    let (layers, replaced) = replace_pools(input, layers, how);
    let mut t = table(input, &layers)?;
    for (row, r) in t.rows[1..].iter_mut().zip(replaced) {
        row.replaces_pool = r;
        if r {
            row.name += " (was Pool)";
        }
    }
    Ok(t)
}

/// Which output location's receptive field to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// `(0, 0)`: the border location, whose window hangs furthest into the padding.
    Corner,
    /// `(H/2, W/2)`.
    Centre,
}

impl Location {
    pub fn toggled(self) -> Location {
        match self {
            Location::Corner => Location::Centre,
            Location::Centre => Location::Corner,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Location::Corner => "corner",
            Location::Centre => "centre",
        }
    }
}

/// The exact receptive field of one output location: `rows × cols` of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub layer: usize,
    /// `[y, x]` in the layer's output.
    pub at: [u64; 2],
    pub rows: Vec<bool>,
    pub cols: Vec<bool>,
}

/// First and last `true` index and how many are `true`.
pub fn span(mask: &[bool]) -> Option<(usize, usize, usize)> {
    let lo = mask.iter().position(|b| *b)?;
    let hi = mask.iter().rposition(|b| *b)?;
    Some((lo, hi, mask.iter().filter(|b| **b).count()))
}

impl Probe {
    pub fn full(&self) -> bool {
        self.rows.iter().all(|b| *b) && self.cols.iter().all(|b| *b)
    }

    /// Input pixels seen (the set is a product, so this is rows × cols).
    pub fn seen(&self) -> u64 {
        let n = |m: &[bool]| m.iter().filter(|b| **b).count() as u64;
        n(&self.rows) * n(&self.cols)
    }
}

impl Table {
    pub fn flops(&self, row: usize, convention: Convention) -> u64 {
        self.rows.get(row).map_or(0, |r| r.ops.get(convention))
    }

    pub fn total_flops(&self, convention: Convention) -> u64 {
        self.total_ops.get(convention)
    }

    /// A row's share of the total FLOPs, in `[0, 1]`.
    pub fn share(&self, row: usize, convention: Convention) -> f64 {
        let total = self.total_flops(convention);
        if total == 0 {
            0.0
        } else {
            self.flops(row, convention) as f64 / total as f64
        }
    }

    /// The exact receptive field of output `location` of row `layer`.
    pub fn probe(&self, layer: usize, location: Location) -> Probe {
        let layer = layer.min(self.rows.len() - 1);
        let axes: Vec<Axis> = self.layers.iter().map(Layer::axis).collect();
        let [h, w, _] = self.rows[layer].out;
        let at = match location {
            Location::Corner => [0, 0],
            Location::Centre => [h / 2, w / 2],
        };
        let rows = receptive_field::exact_set(self.input[0] as usize, &axes, layer, at[0] as usize);
        // Square input and a location on the diagonal: the axes are identical.
        let cols = if self.input[0] == self.input[1] && at[0] == at[1] {
            rows.clone()
        } else {
            receptive_field::exact_set(self.input[1] as usize, &axes, layer, at[1] as usize)
        };
        Probe {
            layer,
            at,
            rows,
            cols,
        }
    }

    /// The same table as the panel, as plain text.
    pub fn to_text(&self, convention: Convention) -> String {
        let mut out = format!(
            "{:>2}  {:<32} {:>10} {:>11} {:>13} {:>6} {:>5} {:>4} {:>4}\n",
            "#", "Layer", "Tensor", "Params", "FLOPs", "share", "RF", "jump", "full"
        );
        for (i, r) in self.rows.iter().enumerate() {
            out += &format!(
                "{:>2}  {:<32} {:>10} {:>11} {:>13} {:>5.1}% {:>5} {:>4} {:>4}\n",
                i,
                r.name,
                dims(r.out),
                thousands(r.params),
                thousands(r.ops.get(convention)),
                100.0 * self.share(i, convention),
                r.rf.size,
                r.rf.jump,
                if r.full_rf { "yes" } else { "no" }
            );
        }
        out += &format!(
            "    {:<32} {:>10} {:>11} {:>13}\n",
            "Total",
            "",
            thousands(self.total_params),
            thousands(self.total_flops(convention))
        );
        out += &format!("\nFLOPs: {}. ", convention.label());
        out += match convention {
            Convention::All => {
                "conv 2·k²·C_in per output (mults + adds + bias), ReLU 1 per element, k×k max pool k²−1 per output.\n"
            }
            Convention::Mac => {
                "conv k²·C_in multiply-accumulates per output; ReLU and pooling 0.\n"
            }
        };
        let pixels = thousands(self.input[0] * self.input[1]);
        match self.first_full_rf_layer {
            Some(i) => {
                out += &format!(
                    "Full receptive field first at layer {i} ({}): every output location sees all {pixels} input pixels.\n",
                    self.rows[i].name,
                );
            }
            None => out += "No layer has a full receptive field.\n",
        }
        // The border case of 1(b): layers whose field is nominally large
        // enough but whose corner output still hangs over the padding.
        let side = self.input[0].min(self.input[1]);
        let last = self.first_full_rf_layer.unwrap_or(self.rows.len());
        for (i, r) in self.rows.iter().enumerate().take(last) {
            if r.kind == "conv" && r.rf.size >= side {
                let p = self.probe(i, Location::Corner);
                out += &format!(
                    "Layer {i} ({}) has RF size {} >= {side}, yet its corner output sees only {} of the {pixels} pixels.\n",
                    r.name,
                    r.rf.size,
                    thousands(p.seen()),
                );
            }
        }
        out
    }
}

/// `32x32x3`
pub fn dims([h, w, c]: [u64; 3]) -> String {
    format!("{h}x{w}x{c}")
}

/// `1234567` → `1,234,567`
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn midterm() -> Table {
        table(MIDTERM_INPUT, MIDTERM).unwrap()
    }

    #[test]
    fn arch_spec_reads_back_as_the_same_layers() {
        let odd = vec![
            Layer::Conv(Conv {
                filters: 8,
                kernel: 3,
                stride: 2,
                padding: 0,
            }),
            Layer::MaxPool(Pool {
                window: 3,
                stride: 2,
                padding: 1,
            }),
            Layer::MaxPool(Pool {
                window: 3,
                stride: 1,
                padding: 0,
            }),
            Layer::Relu,
        ];
        for layers in [MIDTERM.to_vec(), odd] {
            let spec = arch_spec(&layers);
            assert_eq!(parse_arch("arch", &spec).unwrap(), layers, "{spec}");
        }
    }

    fn conv(filters: u64, kernel: u64, stride: u64, padding: u64) -> Layer {
        Layer::Conv(Conv {
            filters,
            kernel,
            stride,
            padding,
        })
    }

    /// Parameters: conv = k·k·C_in·F weights + F biases; ReLU and pool 0.
    #[test]
    fn params_match_closed_forms() {
        let t = midterm();
        for i in 1..t.rows.len() {
            let r = &t.rows[i];
            let c_in = t.rows[i - 1].out[2];
            match r.layer.unwrap() {
                Layer::Conv(c) => {
                    assert_eq!(r.weights, c.kernel * c.kernel * c_in * c.filters, "{i}");
                    assert_eq!(r.biases, c.filters);
                }
                _ => assert_eq!(r.params, 0),
            }
        }
        // 5·5·3·16 + 16
        assert_eq!(t.rows[1].params, 1216);
        // 3·3·96·128 + 128
        assert_eq!(t.rows[19].params, 110_720);
        assert_eq!(t.total_params, t.rows.iter().map(|r| r.params).sum::<u64>());
    }

    /// Shapes: "same" convs keep H×W, each pool halves it: 32→16→8→4→2→1.
    #[test]
    fn midterm_shapes() {
        let t = midterm();
        let sides: Vec<u64> = t
            .rows
            .iter()
            .filter(|r| r.kind == "pool")
            .map(|r| r.out[0])
            .collect();
        assert_eq!(sides, vec![16, 8, 4, 2, 1]);
        assert_eq!(t.rows[21].out, [1, 1, 128]);
        assert_eq!(t.rows[8].out, [16, 16, 48]);
    }

    /// FLOPs by hand on a 4x4x2 input.
    /// conv F=3 3x3 same: 4·4·3 outputs × 2·(9·2) = 48 × 36 = 1728; MACs 864.
    /// Only real taps: per axis the 4 outputs see 2+3+3+2 = 10 taps, so
    /// 10·10·2·3 = 600 MACs. ReLU: 48 comparisons. 2x2 pool: 2·2·3 outputs × 3.
    #[test]
    fn flops_small_hand_case() {
        let t = table(
            [4, 4, 2],
            &[conv(3, 3, 1, 1), Layer::Relu, Layer::MaxPool(POOL_2X2)],
        )
        .unwrap();
        assert_eq!(
            t.rows[1].ops,
            Ops {
                all: 1728,
                macs: 864,
                real_macs: 600
            }
        );
        assert_eq!(t.rows[2].ops.all, 48);
        assert_eq!(t.rows[2].ops.macs, 0);
        assert_eq!(t.rows[3].ops.all, 12 * 3);
        assert_eq!(t.total_ops.all, 1728 + 48 + 36);
        assert_eq!(t.total_flops(Convention::Mac), 864);
        // 1x1 conv: 2·C_in per output; 3x3 pool s1 p1: 8 comparisons per output.
        let t = table(
            [2, 2, 5],
            &[
                conv(1, 1, 1, 0),
                Layer::MaxPool(Pool {
                    window: 3,
                    stride: 1,
                    padding: 1,
                }),
            ],
        )
        .unwrap();
        assert_eq!(t.rows[1].ops.all, 4 * 10);
        assert_eq!(t.rows[2].ops.all, 4 * 8);
    }

    /// Receptive fields of the midterm network and the answer to 1(b): the
    /// conv F=96 (layer 16) has RF 46 > 32, yet its corner output sees only
    /// rows 0..=26; the pool after it (layer 18) is the first full layer.
    #[test]
    fn midterm_receptive_fields() {
        let t = midterm();
        let sizes: Vec<u64> = t.rows.iter().map(|r| r.rf.size).collect();
        assert_eq!(
            sizes,
            vec![
                1, 5, 5, 7, 7, 8, 12, 12, 16, 16, 18, 26, 26, 26, 26, 30, 46, 46, 54, 86, 86, 102
            ]
        );
        assert_eq!(t.rows[21].rf.jump, 32);
        assert_eq!(t.first_full_rf_layer, Some(18));
        let p = t.probe(16, Location::Corner);
        assert_eq!(span(&p.rows), Some((0, 26, 27)));
        assert!(!p.full());
        assert!(t.probe(16, Location::Centre).full());
        assert!(t.probe(18, Location::Corner).full());
    }

    #[test]
    fn replacements_keep_shapes_and_add_params() {
        let base = midterm();
        for how in [ReplacePool::K2S2, ReplacePool::K3S2P1] {
            let t = table_replaced(MIDTERM_INPUT, MIDTERM, how).unwrap();
            for (a, b) in base.rows.iter().zip(&t.rows) {
                assert_eq!(a.out, b.out, "{how:?} {}", a.name);
            }
            let k2 = if how == ReplacePool::K2S2 { 4 } else { 9 };
            for (a, b) in base.rows.iter().zip(&t.rows) {
                if a.kind == "pool" {
                    let c = a.out[2];
                    assert!(b.replaces_pool);
                    assert_eq!(b.params, k2 * c * c + c);
                } else {
                    assert_eq!(a.params, b.params);
                }
            }
        }
    }

    #[test]
    fn bad_architectures_name_the_layer() {
        let e = table([1, 1, 3], MIDTERM).unwrap_err();
        assert!(matches!(e, ShapeError::DoesNotFit { layer: 5, .. }), "{e}");
        assert!(e.to_string().contains("layer 5 (pool"), "{e}");
        let e = table([16, 16, 3], MIDTERM).unwrap_err();
        assert!(e.to_string().starts_with("layer 21 (pool 2x2"), "{e}");
        let e = table([8, 8, 3], &[Layer::Relu, conv(4, 3, 0, 1)]).unwrap_err();
        assert!(
            e.to_string()
                .contains("layer 2 (conv F=4 3x3 s0 p1): stride 0"),
            "{e}"
        );
        let e = table([8, 8, 3], &[conv(0, 3, 1, 1)]).unwrap_err();
        assert!(matches!(
            e,
            ShapeError::Field {
                field: "filters",
                ..
            }
        ));
        let e = table([8, 8, 3], &[conv(1, 300, 1, 1)]).unwrap_err();
        assert!(matches!(
            e,
            ShapeError::Field {
                field: "kernel",
                ..
            }
        ));
        let e = table([8, 8, 3], &[conv(1, 11, 1, 1)]).unwrap_err();
        assert!(matches!(
            e,
            ShapeError::DoesNotFit {
                layer: 1,
                padded: [10, 10],
                ..
            }
        ));
        let e = table([0, 8, 3], &[]).unwrap_err();
        assert!(matches!(e, ShapeError::Input { what: "height", .. }));
        let e = table([8, 8, 3], &vec![Layer::Relu; MAX_LAYERS + 1]).unwrap_err();
        assert!(matches!(e, ShapeError::TooManyLayers { .. }));
        // Padding that grows the map beyond the bound.
        let e = table([4096, 4096, 1], &[conv(1, 1, 1, 10)]).unwrap_err();
        assert!(matches!(e, ShapeError::TooLarge { layer: 1, .. }), "{e}");
    }

    /// The largest allowed sizes overflow u64 somewhere: an error, not a wrap.
    #[test]
    fn huge_counts_are_checked() {
        let layers = [conv(4096, 255, 1, 127), conv(4096, 255, 1, 127)];
        let e = table([4096, 4096, 4096], &layers).unwrap_err();
        assert!(matches!(e, ShapeError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn input_parsing_names_the_parameter() {
        assert_eq!(parse_input("input", "64x48x3").unwrap(), [64, 48, 3]);
        for bad in ["32x32", "axbxc", "0x32x3", "5000x32x3", "32x32x3x1", ""] {
            let e = parse_input("input", bad).unwrap_err();
            assert!(e.to_string().contains("`input`"), "{bad}: {e}");
        }
    }

    #[test]
    fn arch_syntax() {
        let layers = parse_arch("arch", "conv:16:5, relu,pool,conv:8:3:2:0,pool:3:2:1").unwrap();
        assert_eq!(layers[0], Layer::Conv(Conv::same(16, 5)));
        assert_eq!(layers[2], Layer::MaxPool(POOL_2X2));
        assert_eq!(layers[3], conv(8, 3, 2, 0));
        assert_eq!(
            layers[4],
            Layer::MaxPool(Pool {
                window: 3,
                stride: 2,
                padding: 1
            })
        );
        for bad in [
            "",
            "conv",
            "conv:1",
            "conv:1:2:3",
            "relu:1",
            "pool:2",
            "avg",
            "conv:a:3",
        ] {
            let e = parse_arch("arch", bad).unwrap_err();
            assert!(e.to_string().contains("`arch`"), "{bad}: {e}");
        }
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(26_973_696), "26,973,696");
    }

    #[test]
    fn facts_match_the_table() {
        let mut f = Facts::new();
        facts(&mut f);
        let t = midterm();
        assert_eq!(f["p1.total_params"], thousands(t.total_params));
        assert_eq!(f["p1.l1.flops"], "2,457,600");
        assert_eq!(f["p1.first_full"], "18");
        assert_eq!(f["p1.l16.corner.hi"], "26");
    }
}
