//! `nnbook compute widen`: its parameters and how a run is reported.

use super::*;

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "seed",
        default: "3",
        help: "seed of the weights, batch, targets and new blocks",
    },
    ParamSpec {
        name: "c",
        default: "4",
        help: "input size C (1..=16)",
    },
    ParamSpec {
        name: "k",
        default: "6",
        help: "hidden width K before widening (1..=16)",
    },
    ParamSpec {
        name: "d",
        default: "3",
        help: "output size D (1..=8)",
    },
    ParamSpec {
        name: "depth",
        default: "3",
        help: "number of hidden states n (1..=5)",
    },
    ParamSpec {
        name: "batch",
        default: "8",
        help: "batch size B (1..=16)",
    },
    ParamSpec {
        name: "steps",
        default: "30",
        help: "SGD steps after widening (0..=300)",
    },
    ParamSpec {
        name: "lr",
        default: "0.1",
        help: "SGD learning rate (0..=1)",
    },
    ParamSpec {
        name: "strategy",
        default: "random-in-zero-out",
        help: "zero | random-in-zero-out | zero-in-random-out | net2net",
    },
    ParamSpec {
        name: "noise",
        default: "0.1",
        help: "Net2Net split factors drawn from 0.5 ± noise (0..=0.5)",
    },
    ParamSpec {
        name: "relu0",
        default: "0",
        help: "value of ReLU'(0): 0 (PyTorch) or 1",
    },
    ParamSpec {
        name: "trace",
        default: "0",
        help: "1: --json adds the widened network's forward and backward on the batch step by step",
    },
];

pub const COMPUTATION: Computation = Computation {
    name: "widen",
    summary: "Problem 3: widen a ReLU network K → 2K; output change, gradients of new blocks, training",
    params: PARAMS,
    run,
};

fn run(params: &mut Params, progress: &mut ProgressFn<'_>) -> Result<Report, ComputeError> {
    let cfg = Config::from_params(params)?;
    let with_trace = crate::compute::trace::wanted(params)?;
    let e = experiment(&cfg, progress)?;
    let mut json = e.to_json();
    if with_trace {
        json["trace"] = trace::record(&e.wide, &e.setup.x, &e.setup.t, cfg.relu0).to_json();
    }
    Ok(Report {
        text: e.to_text(),
        json,
    })
}
