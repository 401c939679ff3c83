//! Problem 1: the CNN layer table (tensor shapes and parameter counts).
//! Seed version proving the live-panel slot end to end; the full table (FLOPs,
//! receptive fields, pool-to-conv) is issue 4.

use serde::Serialize;

use super::{Computation, ComputeError, Params, ProgressFn, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layer {
    Conv { filters: u64, kernel: u64 },
    Relu,
    Pool,
}

/// The midterm's network after its 32x32x3 input.
pub const MIDTERM: &[Layer] = &[
    Layer::Conv {
        filters: 16,
        kernel: 5,
    },
    Layer::Relu,
    Layer::Conv {
        filters: 24,
        kernel: 3,
    },
    Layer::Relu,
    Layer::Pool,
    Layer::Conv {
        filters: 32,
        kernel: 3,
    },
    Layer::Relu,
    Layer::Conv {
        filters: 48,
        kernel: 3,
    },
    Layer::Relu,
    Layer::Pool,
    Layer::Conv {
        filters: 64,
        kernel: 3,
    },
    Layer::Relu,
    Layer::Conv {
        filters: 64,
        kernel: 1,
    },
    Layer::Relu,
    Layer::Pool,
    Layer::Conv {
        filters: 96,
        kernel: 3,
    },
    Layer::Relu,
    Layer::Pool,
    Layer::Conv {
        filters: 128,
        kernel: 3,
    },
    Layer::Relu,
    Layer::Pool,
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub name: String,
    /// [H, W, C]
    pub out: [u64; 3],
    pub params: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub input: [u64; 3],
    pub layers: Vec<Row>,
    pub total_params: u64,
}

pub fn table(input: [u64; 3], layers: &[Layer]) -> Result<Table, ComputeError> {
    let [mut h, mut w, mut c] = input;
    let mut rows = Vec::new();
    for layer in layers {
        let (name, params) = match *layer {
            Layer::Conv { filters, kernel } => {
                let params = kernel * kernel * c * filters + filters;
                c = filters;
                (format!("Conv F={filters}, {kernel}x{kernel}"), params)
            }
            Layer::Relu => ("ReLU".to_string(), 0),
            Layer::Pool => {
                h /= 2;
                w /= 2;
                ("Pool".to_string(), 0)
            }
        };
        rows.push(Row {
            name,
            out: [h, w, c],
            params,
        });
    }
    let total_params = rows.iter().map(|r| r.params).sum();
    Ok(Table {
        input,
        layers: rows,
        total_params,
    })
}

impl Table {
    pub fn to_text(&self) -> String {
        let mut out = format!("{:<18} {:>14} {:>10}\n", "Layer", "Tensor", "Params");
        let [h, w, c] = self.input;
        out += &format!("{:<18} {:>14} {:>10}\n", "Input", format!("{h}x{w}x{c}"), 0);
        for row in &self.layers {
            let [h, w, c] = row.out;
            out += &format!(
                "{:<18} {:>14} {:>10}\n",
                row.name,
                format!("{h}x{w}x{c}"),
                row.params
            );
        }
        out += &format!("{:<18} {:>14} {:>10}\n", "Total", "", self.total_params);
        out
    }
}

/// Figures the Problem 1 derivation quotes.
pub fn facts(out: &mut super::Facts) {
    if let Ok(t) = table([32, 32, 3], MIDTERM) {
        out.insert("p1.total_params".into(), t.total_params.to_string());
    }
}

pub const COMPUTATION: Computation = Computation {
    name: "layer-table",
    summary: "Problem 1: tensor shapes and parameter counts of the midterm CNN",
    params: &[],
    run,
};

fn run(_params: &mut Params, _progress: &mut ProgressFn<'_>) -> Result<Report, ComputeError> {
    let t = table([32, 32, 3], MIDTERM)?;
    let json = serde_json::to_value(&t).map_err(|e| ComputeError::Shape(e.to_string()))?;
    Ok(Report {
        text: t.to_text(),
        json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_conv_matches_closed_form() {
        let t = table([32, 32, 3], MIDTERM).unwrap();
        // 5·5·3·16 weights + 16 biases
        assert_eq!(t.layers[0].params, 5 * 5 * 3 * 16 + 16);
        assert_eq!(t.layers.last().unwrap().out, [1, 1, 128]);
    }
}
