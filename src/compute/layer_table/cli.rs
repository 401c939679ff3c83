//! `nnbook compute layer-table`: its parameters, how they are read, and the
//! text and JSON report of a [`super::Table`].

use super::*;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "convention",
        default: "all",
        help: "FLOP convention: all (every scalar op, the midterm's) | mac (multiply-accumulates)",
    },
    ParamSpec {
        name: "input",
        default: "32x32x3",
        help: "input HxWxC (H, W, C in 1..=4096)",
    },
    ParamSpec {
        name: "arch",
        default: "midterm",
        help: "layers after the input, e.g. conv:16:5,relu,pool,conv:8:3:2:1 (conv:F:k[:s:p], relu, pool[:k:s[:p]])",
    },
    ParamSpec {
        name: "replace_pool",
        default: "none",
        help: "replace every pool by a conv: none | 2x2s2 | 3x3s2p1",
    },
    ParamSpec {
        name: "trace",
        default: "0",
        help: "1: --json adds the forward pass layer by layer (shape, params, FLOPs, receptive field of the corner output)",
    },
];

pub const COMPUTATION: Computation = Computation {
    name: "layer-table",
    summary: "Problem 1: shapes, parameters, FLOPs and receptive fields of the midterm CNN",
    params: PARAMS,
    run,
};

/// Parse `HxWxC` with each part in `1..=bound`; errors name `param`.
pub fn parse_input(param: &str, raw: &str) -> Result<[u64; 3], ParamError> {
    let invalid = || ParamError::Invalid {
        name: param.into(),
        value: raw.into(),
        expected: "HxWxC, e.g. 32x32x3".into(),
    };
    let parts: Vec<&str> = raw.split(['x', 'X', '×']).collect();
    let [h, w, c] = parts.as_slice() else {
        return Err(invalid());
    };
    let mut dims = [0u64; 3];
    for (slot, (text, max)) in
        dims.iter_mut()
            .zip([(h, MAX_SIDE), (w, MAX_SIDE), (c, MAX_CHANNELS)])
    {
        let v: u64 = text.trim().parse().map_err(|_| invalid())?;
        if v == 0 || v > max {
            return Err(ParamError::OutOfRange {
                name: param.into(),
                value: raw.into(),
                range: format!("1..={MAX_SIDE} for H and W, 1..={MAX_CHANNELS} for C"),
            });
        }
        *slot = v;
    }
    Ok(dims)
}

/// Parameters of one run, as read from the command line or set in the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub input: [u64; 3],
    /// The layers after the input (the midterm's network unless `arch=` is given).
    pub layers: Vec<Layer>,
    pub convention: Convention,
    pub replace_pool: ReplacePool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            input: MIDTERM_INPUT,
            layers: MIDTERM.to_vec(),
            convention: Convention::All,
            replace_pool: ReplacePool::None,
        }
    }
}

/// `layers` written as `arch=` reads them (the inverse of [`parse_arch`]):
/// a conv with the default stride 1 and padding (k−1)/2 as `conv:F:k`,
/// otherwise in full; a 2×2 stride-2 pool as `pool`.
pub fn arch_spec(layers: &[Layer]) -> String {
    layers
        .iter()
        .map(|l| match *l {
            Layer::Conv(c) if c == Conv::same(c.filters, c.kernel) => {
                format!("conv:{}:{}", c.filters, c.kernel)
            }
            Layer::Conv(c) => format!("conv:{}:{}:{}:{}", c.filters, c.kernel, c.stride, c.padding),
            Layer::Relu => "relu".into(),
            Layer::MaxPool(p) if p == POOL_2X2 => "pool".into(),
            Layer::MaxPool(p) if p.padding == 0 => format!("pool:{}:{}", p.window, p.stride),
            Layer::MaxPool(p) => format!("pool:{}:{}:{}", p.window, p.stride, p.padding),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The syntax `arch=` accepts, for error messages.
const ARCH_SYNTAX: &str = "comma-separated layers: conv:F:k[:s:p] (default s=1, p=(k-1)/2), relu, pool[:k:s[:p]] (default 2:2:0)";

/// Parse `arch=conv:16:5,relu,pool,...`; errors name `param` and the bad token.
/// Numbers are range-checked later by [`table`], which names the layer.
pub fn parse_arch(param: &str, raw: &str) -> Result<Vec<Layer>, ParamError> {
    let tokens: Vec<&str> = raw.split(',').map(str::trim).collect();
    if tokens.len() > MAX_LAYERS {
        return Err(ParamError::OutOfRange {
            name: param.into(),
            value: format!("{} layers", tokens.len()),
            range: format!("1..={MAX_LAYERS} layers"),
        });
    }
    tokens
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let invalid = || ParamError::Invalid {
                name: param.into(),
                value: format!("{token} (layer {})", i + 1),
                expected: ARCH_SYNTAX.into(),
            };
            let mut parts = token.split(':');
            let kind = parts.next().unwrap_or_default().to_ascii_lowercase();
            let nums: Vec<u64> = parts
                .map(|n| n.trim().parse::<u64>().map_err(|_| invalid()))
                .collect::<Result<_, _>>()?;
            match (kind.as_str(), nums.as_slice()) {
                ("conv", [f, k]) => Ok(Layer::Conv(Conv::same(*f, *k))),
                ("conv", [f, k, s, p]) => Ok(Layer::Conv(Conv {
                    filters: *f,
                    kernel: *k,
                    stride: *s,
                    padding: *p,
                })),
                ("relu", []) => Ok(Layer::Relu),
                ("pool", []) => Ok(Layer::MaxPool(POOL_2X2)),
                ("pool", [k, s]) => Ok(Layer::MaxPool(Pool {
                    window: *k,
                    stride: *s,
                    padding: 0,
                })),
                ("pool", [k, s, p]) => Ok(Layer::MaxPool(Pool {
                    window: *k,
                    stride: *s,
                    padding: *p,
                })),
                _ => Err(invalid()),
            }
        })
        .collect()
}

impl Settings {
    pub fn from_params(params: &mut Params) -> Result<Settings, ParamError> {
        let convention = params.choice("convention", "all", Convention::NAMES)?;
        let replace = params.choice("replace_pool", "none", ReplacePool::NAMES)?;
        let input = match params.raw("input") {
            Some(raw) => parse_input("input", &raw)?,
            None => MIDTERM_INPUT,
        };
        let layers = match params.raw("arch") {
            Some(raw) => parse_arch("arch", &raw)?,
            None => MIDTERM.to_vec(),
        };
        Ok(Settings {
            input,
            layers,
            // Both come from the fixed option lists above.
            convention: Convention::parse(convention).unwrap_or(Convention::All),
            replace_pool: ReplacePool::parse(replace).unwrap_or(ReplacePool::None),
        })
    }

    pub fn table(&self) -> Result<Table, ShapeError> {
        table_replaced(self.input, &self.layers, self.replace_pool)
    }
}

/// Everything in the table as JSON, with every input.
pub fn to_json(t: &Table, s: &Settings) -> serde_json::Value {
    let layers: Vec<_> = t
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut v = json!({
                "name": r.name,
                "kind": r.kind,
                "out": r.out,
                "params": r.params,
                "weights": r.weights,
                "biases": r.biases,
                "flops": r.ops.get(s.convention),
                "flops_all": r.ops.all,
                "macs": r.ops.macs,
                "flop_share": t.share(i, s.convention),
                "rf_size": r.rf.size,
                "rf_jump": r.rf.jump,
                "rf_start": r.rf.start,
                "full_rf": r.full_rf,
            });
            // The exact field of the corner output (0, 0): first and last
            // input row and column it depends on (padding excluded).
            let corner = t.probe(i, Location::Corner);
            let range = |m: &[bool]| span(m).map(|(lo, hi, _)| [lo, hi]);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("corner_rows".into(), json!(range(&corner.rows)));
                obj.insert("corner_cols".into(), json!(range(&corner.cols)));
            }
            if let (Some(layer), Some(obj)) = (r.layer, v.as_object_mut()) {
                let a = layer.axis();
                obj.insert("kernel".into(), a.kernel.into());
                obj.insert("stride".into(), a.stride.into());
                obj.insert("padding".into(), a.padding.into());
                if let Layer::Conv(c) = layer {
                    obj.insert("filters".into(), c.filters.into());
                }
                obj.insert("replaces_pool".into(), r.replaces_pool.into());
            }
            v
        })
        .collect();
    json!({
        "computation": "layer-table",
        "input": s.input,
        "convention": s.convention.name(),
        "replace_pool": s.replace_pool.name(),
        "architecture": t.layers,
        "layers": layers,
        "total_params": t.total_params,
        "total_flops": t.total_flops(s.convention),
        "total_flops_all": t.total_ops.all,
        "total_macs": t.total_ops.macs,
        "first_full_rf_layer": t.first_full_rf_layer,
        "notes": {
            "layers": "layers[0] is the input; first_full_rf_layer indexes layers",
            "flops_all": "conv 2*k*k*C_in per output element (k*k*C_in mults, k*k*C_in-1 adds, 1 bias add), zero-padded taps included; ReLU 1 per element; kxk max pool k*k-1 per output",
            "macs": "conv k*k*C_in per output element; ReLU and pool 0",
            "rf": "rf_size/rf_jump/rf_start along each axis: output o nominally covers input rows rf_start+o*rf_jump .. +rf_size-1; full_rf and corner_rows/corner_cols (inclusive range seen by output (0,0)) are exact: padding contributes nothing",
        },
    })
}

fn run(params: &mut Params, _progress: &mut ProgressFn<'_>) -> Result<Report, ComputeError> {
    let settings = Settings::from_params(params)?;
    let with_trace = crate::compute::trace::wanted(params)?;
    let t = settings.table()?;
    let mut text = format!(
        "Layer table: input {}, {} network, FLOPs = {}, pools: {}\n\n",
        dims(settings.input),
        if settings.layers == MIDTERM {
            "the midterm's"
        } else {
            "a custom"
        },
        settings.convention.label(),
        match settings.replace_pool {
            ReplacePool::None => "kept (2x2 max pool, stride 2)".to_string(),
            r => format!("replaced by convs {}", r.name()),
        }
    );
    text += &t.to_text(settings.convention);
    let mut json = to_json(&t, &settings);
    if with_trace {
        json["trace"] = trace::record(&t).to_json();
    }
    Ok(Report { text, json })
}
