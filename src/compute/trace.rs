//! One trace mechanism for every forward and backward pass the notebook steps
//! through: a [`Trace`] is an ordered list of [`Step`]s, each saying what it
//! computes (a short label and the equation in LaTeX), its named input and
//! output values (f64 tensors with shapes), and which earlier steps it reads.
//!
//! Recording is separate from the plain computations: a computation with a
//! trace has a `trace(...)` recorder that is only called when a trace is asked
//! for (a panel stepping, `nnbook compute NAME --json trace=1`), so the plain
//! runs the panels and the CLI make pay nothing for it.
//!
//! [`replay`] checks a trace without trusting it: every input that says it
//! comes from an earlier step must be exactly that step's output of the same
//! name, and recomputing every step from its recorded inputs (by the step's
//! `op`, with [`recompute`]) must give its recorded outputs. A trace whose
//! steps are out of order, or whose numbers were not what the step computes,
//! fails.

use serde::{Deserialize, Serialize};

/// Which pass a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Forward,
    Backward,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Forward => "forward",
            Phase::Backward => "backward",
        }
    }
}

/// A row-major f64 tensor: shape `[]` is a scalar, `[n]` a vector, `[r, c]` a
/// matrix (rows first, as every JSON array in nnbook).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl Tensor {
    pub fn scalar(v: f64) -> Tensor {
        Tensor {
            shape: vec![],
            data: vec![v],
        }
    }

    pub fn vector(v: &[f64]) -> Tensor {
        Tensor {
            shape: vec![v.len()],
            data: v.to_vec(),
        }
    }

    /// Any ndarray, in its logical (row-major) order.
    pub fn from_array<S, D>(a: &ndarray::ArrayBase<S, D>) -> Tensor
    where
        S: ndarray::Data<Elem = f64>,
        D: ndarray::Dimension,
    {
        Tensor {
            shape: a.shape().to_vec(),
            data: a.iter().copied().collect(),
        }
    }

    /// The tensor as a matrix: a vector is one row, a scalar 1×1.
    pub fn matrix(&self) -> ndarray::Array2<f64> {
        let (r, c) = match self.shape.as_slice() {
            [] => (1, 1),
            [n] => (1, *n),
            [r, c] => (*r, *c),
            // Higher ranks fold their leading axes into rows.
            s => (s[..s.len() - 1].iter().product(), s[s.len() - 1]),
        };
        ndarray::Array2::from_shape_vec((r, c), self.data.clone())
            .unwrap_or_else(|_| ndarray::Array2::zeros((r, c)))
    }

    pub fn as_scalar(&self) -> f64 {
        self.data.first().copied().unwrap_or(f64::NAN)
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `3×4`, `5`, or `scalar`.
    pub fn shape_text(&self) -> String {
        if self.shape.is_empty() {
            return "scalar".into();
        }
        self.shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("×")
    }
}

/// A named value a step reads or writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Value {
    pub name: String,
    pub value: Tensor,
    /// For an input: the earlier step and the output of it this value is
    /// (`None` for the computation's own inputs: data, weights, constants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Source>,
}

/// Where an input comes from: output `output` of step `step`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub step: usize,
    pub output: String,
}

/// One step of a pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub phase: Phase,
    /// What the step computes, machine-readable (`bn.mean`, `seqnorm.fwd`):
    /// [`recompute`] dispatches on it. The op's documentation is the exact
    /// formula from inputs to outputs.
    pub op: String,
    /// What is computed, for a person ("batch mean μ").
    pub label: String,
    /// The equation, LaTeX, as the math renderer draws it.
    pub latex: String,
    pub inputs: Vec<Value>,
    pub outputs: Vec<Value>,
    /// The earlier steps this one reads (from its inputs' `from`), ascending.
    pub reads: Vec<usize>,
    /// A remark on this step's numbers ("act′(u) = 0 at 37 of 48 entries").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Step {
    pub fn input(&self, name: &str) -> Option<&Tensor> {
        self.inputs
            .iter()
            .find(|v| v.name == name)
            .map(|v| &v.value)
    }

    pub fn output(&self, name: &str) -> Option<&Tensor> {
        self.outputs
            .iter()
            .find(|v| v.name == name)
            .map(|v| &v.value)
    }
}

/// A recorded pass: the computation it belongs to and its steps in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Trace {
    /// The computation (`activations`, `seqnorm`, ...).
    pub computation: String,
    pub steps: Vec<Step>,
}

/// Builds one step; [`Trace::push`] finishes it.
pub struct StepBuilder<'a> {
    trace: &'a mut Trace,
    step: Step,
}

impl<'a> StepBuilder<'a> {
    /// An input that is the output `name` of the earlier step `from`.
    pub fn read(self, name: &str, from: usize) -> Self {
        self.read_as(name, from, name)
    }

    /// An input called `name` here that is the output `output` of the earlier
    /// step `from` (μ_{t−1} here is μ_t there).
    pub fn read_as(mut self, name: &str, from: usize, output: &str) -> Self {
        let value = self
            .trace
            .steps
            .get(from)
            .and_then(|s| s.output(output))
            .cloned()
            // A recorder bug; replay reports it (the value is not the output).
            .unwrap_or(Tensor {
                shape: vec![],
                data: vec![f64::NAN],
            });
        self.step.inputs.push(Value {
            name: name.into(),
            value,
            from: Some(Source {
                step: from,
                output: output.into(),
            }),
        });
        self
    }

    /// An input from outside the trace (data, a weight, a constant).
    pub fn given(mut self, name: &str, value: Tensor) -> Self {
        self.step.inputs.push(Value {
            name: name.into(),
            value,
            from: None,
        });
        self
    }

    pub fn out(mut self, name: &str, value: Tensor) -> Self {
        self.step.outputs.push(Value {
            name: name.into(),
            value,
            from: None,
        });
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.step.note = Some(note.into());
        self
    }

    /// Append the step; returns its index.
    pub fn push(self) -> usize {
        let StepBuilder { trace, mut step } = self;
        let mut reads: Vec<usize> = step
            .inputs
            .iter()
            .filter_map(|v| v.from.as_ref().map(|f| f.step))
            .collect();
        reads.sort_unstable();
        reads.dedup();
        step.reads = reads;
        trace.steps.push(step);
        trace.steps.len() - 1
    }
}

impl Trace {
    pub fn new(computation: &str) -> Trace {
        Trace {
            computation: computation.into(),
            steps: Vec::new(),
        }
    }

    /// Start a step: `op` (see [`Step::op`]), a label and its LaTeX.
    pub fn step(
        &mut self,
        phase: Phase,
        op: &str,
        label: impl Into<String>,
        latex: impl Into<String>,
    ) -> StepBuilder<'_> {
        StepBuilder {
            trace: self,
            step: Step {
                phase,
                op: op.into(),
                label: label.into(),
                latex: latex.into(),
                inputs: Vec::new(),
                outputs: Vec::new(),
                reads: Vec::new(),
                note: None,
            },
        }
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Index of the first backward step, if the trace has one.
    pub fn backward_start(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.phase == Phase::Backward)
    }

    /// The output `name` of the last step that wrote one (the trace's result
    /// of that name).
    pub fn last_output(&self, name: &str) -> Option<&Tensor> {
        self.steps.iter().rev().find_map(|s| s.output(name))
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// What [`replay`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayReport {
    pub steps: usize,
    /// Largest |recomputed − recorded| over every output, relative to
    /// max(1, |recorded|).
    pub max_diff: f64,
}

/// Recomputed outputs closer than this (relative) to the recorded ones agree:
/// the recomputation may sum in another order than the recorder.
pub const REPLAY_TOLERANCE: f64 = 1e-10;

/// Check `trace`: linkage of every input to the earlier output it names, then
/// every step recomputed by `recompute` from its recorded inputs against its
/// recorded outputs. An error names the step and the value.
pub fn replay_with(
    trace: &Trace,
    recompute: impl Fn(&Step) -> Result<Vec<Tensor>, String>,
) -> Result<ReplayReport, String> {
    let mut max_diff = 0.0f64;
    for (k, step) in trace.steps.iter().enumerate() {
        let at = |what: String| format!("step {k} ({}, {}): {what}", step.op, step.label);
        for input in &step.inputs {
            let Some(Source { step: from, output }) = &input.from else {
                continue;
            };
            let from = *from;
            if from >= k {
                return Err(at(format!(
                    "input {} reads step {from}, which is not earlier",
                    input.name
                )));
            }
            match trace.steps[from].output(output) {
                Some(v) if v == &input.value => {}
                Some(_) => {
                    return Err(at(format!(
                        "input {} is not step {from}'s output",
                        input.name
                    )));
                }
                None => {
                    return Err(at(format!("step {from} has no output {output} to read")));
                }
            }
        }
        let mut expected: Vec<usize> = step
            .inputs
            .iter()
            .filter_map(|v| v.from.as_ref().map(|f| f.step))
            .collect();
        expected.sort_unstable();
        expected.dedup();
        if expected != step.reads {
            return Err(at(
                "reads does not list the steps its inputs come from".into()
            ));
        }
        let outputs = recompute(step).map_err(at)?;
        if outputs.len() != step.outputs.len() {
            return Err(at(format!(
                "recomputed {} outputs, recorded {}",
                outputs.len(),
                step.outputs.len()
            )));
        }
        for (got, rec) in outputs.iter().zip(&step.outputs) {
            if got.shape != rec.value.shape {
                return Err(at(format!(
                    "output {}: shape {:?}, recorded {:?}",
                    rec.name, got.shape, rec.value.shape
                )));
            }
            for (a, b) in got.data.iter().zip(&rec.value.data) {
                let d = if a == b {
                    0.0
                } else {
                    (a - b).abs() / b.abs().max(1.0)
                };
                if d.is_nan() || d > REPLAY_TOLERANCE {
                    return Err(at(format!(
                        "output {}: recomputed {a}, recorded {b}",
                        rec.name
                    )));
                }
                max_diff = max_diff.max(d);
            }
        }
    }
    Ok(ReplayReport {
        steps: trace.steps.len(),
        max_diff,
    })
}

/// Recompute one step of any computation's trace from its recorded inputs
/// (dispatching on the op's prefix to the module that defines it).
pub fn recompute(step: &Step) -> Result<Vec<Tensor>, String> {
    let family = step.op.split('.').next().unwrap_or("");
    match family {
        "bn" => super::activations::trace::recompute(step),
        "seqnorm" => super::seqnorm::trace::recompute(step),
        "widen" => super::widen::trace::recompute(step),
        "rnn2d" => super::rnn2d::trace::recompute(step),
        "layer" => super::layer_table::trace::recompute(step),
        "bptt" => super::bptt::trace::recompute(step),
        _ => Err(format!("unknown op {}", step.op)),
    }
}

/// [`replay_with`] the common [`recompute`]: the check every trace passes.
pub fn replay(trace: &Trace) -> Result<ReplayReport, String> {
    replay_with(trace, recompute)
}

/// The named input of a step, or an error naming it (for `recompute`s).
pub fn need<'a>(step: &'a Step, name: &str) -> Result<&'a Tensor, String> {
    step.input(name)
        .ok_or_else(|| format!("missing input {name}"))
}

/// Read `trace=` (0 or 1).
pub fn wanted(p: &mut super::Params) -> Result<bool, super::ParamError> {
    Ok(p.usize("trace", 0, 0..=1)? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-step trace over a toy op family: `double` and `add`.
    fn toy() -> Trace {
        let mut t = Trace::new("toy");
        t.step(Phase::Forward, "toy.double", "double", "y = 2x")
            .given("x", Tensor::vector(&[1.0, 2.0]))
            .out("y", Tensor::vector(&[2.0, 4.0]))
            .push();
        t.step(Phase::Backward, "toy.add", "add", "z = y + x")
            .read("y", 0)
            .given("x", Tensor::vector(&[1.0, 2.0]))
            .out("z", Tensor::vector(&[3.0, 6.0]))
            .push();
        t
    }

    fn toy_recompute(s: &Step) -> Result<Vec<Tensor>, String> {
        let x = need(s, "x")?;
        match s.op.as_str() {
            "toy.double" => Ok(vec![Tensor {
                shape: x.shape.clone(),
                data: x.data.iter().map(|v| 2.0 * v).collect(),
            }]),
            "toy.add" => {
                let y = need(s, "y")?;
                Ok(vec![Tensor {
                    shape: x.shape.clone(),
                    data: x.data.iter().zip(&y.data).map(|(a, b)| a + b).collect(),
                }])
            }
            _ => Err("unknown".into()),
        }
    }

    #[test]
    fn a_consistent_trace_replays() {
        let t = toy();
        assert_eq!(t.steps[1].reads, vec![0]);
        assert_eq!(t.backward_start(), Some(1));
        let r = replay_with(&t, toy_recompute).unwrap();
        assert_eq!(r.steps, 2);
        assert_eq!(r.max_diff, 0.0);
    }

    #[test]
    fn a_wrong_number_fails_replay() {
        let mut t = toy();
        t.steps[1].outputs[0].value.data[1] = 6.001;
        let e = replay_with(&t, toy_recompute).unwrap_err();
        assert!(e.contains("step 1") && e.contains("output z"), "{e}");
    }

    #[test]
    fn an_input_that_is_not_the_earlier_output_fails() {
        let mut t = toy();
        t.steps[0].outputs[0].value.data[0] = 2.5;
        // Step 0 now fails its own recomputation first; fix it up to be
        // self-consistent with a different x, and the link still breaks.
        t.steps[0].inputs[0].value.data[0] = 1.25;
        let e = replay_with(&t, toy_recompute).unwrap_err();
        assert!(e.contains("not step 0's output"), "{e}");
    }

    #[test]
    fn steps_out_of_order_fail() {
        let mut t = toy();
        t.steps.swap(0, 1);
        let e = replay_with(&t, toy_recompute).unwrap_err();
        assert!(e.contains("not earlier"), "{e}");
    }

    #[test]
    fn serialises_shapes_and_links() {
        let j = toy().to_json();
        assert_eq!(j["steps"][1]["inputs"][0]["from"]["step"], 0);
        assert_eq!(j["steps"][1]["phase"], "backward");
        assert_eq!(j["steps"][0]["outputs"][0]["value"]["shape"][0], 2);
        assert!(j["steps"][0]["inputs"][0].get("from").is_none());
    }
}
