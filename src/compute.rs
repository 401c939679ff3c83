//! Pure computations behind every live panel and every `nnbook compute` command.
//!
//! Nothing here knows about the terminal, the content or the app: each problem's
//! module exposes typed functions on ndarray values (used by panels, tests and
//! benches) plus one [`Computation`] entry that turns `key=value` parameters into a
//! [`Report`] (text and JSON) for the CLI. Panels and the CLI call the same
//! functions, so the panel and `nnbook compute NAME` always agree.

pub mod activations;
pub mod bptt;
pub mod gradcheck;
pub mod layer_table;
pub mod params;
pub mod rng;
pub mod rnn2d;
pub mod seqnorm;
pub mod trace;
pub mod widen;

use std::fmt;
use std::ops::ControlFlow;

pub use params::{ParamError, Params};

/// How far a long computation has got; `done <= total`.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub label: String,
}

/// Progress sink passed to long computations; returning `Break` cancels the run.
pub type ProgressFn<'a> = dyn FnMut(Progress) -> ControlFlow<()> + 'a;

/// What a computation hands back to the CLI: the same content as the panel shows,
/// as plain text and as JSON with every input and output.
#[derive(Debug, Clone)]
pub struct Report {
    pub text: String,
    pub json: serde_json::Value,
}

/// Why a computation did not produce a report. The CLI maps `Param` and `Shape` to
/// exit code 2 (bad input) and the rest to 1.
#[derive(Debug, Clone, PartialEq)]
pub enum ComputeError {
    /// A `key=value` parameter was malformed, unknown or out of bounds.
    Param(ParamError),
    /// The inputs are well-formed but do not fit together (e.g. a layer that does
    /// not fit its input); the message names the offending part.
    Shape(String),
    /// The progress callback asked to stop.
    Cancelled,
}

impl fmt::Display for ComputeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComputeError::Param(e) => write!(f, "{e}"),
            ComputeError::Shape(msg) => write!(f, "{msg}"),
            ComputeError::Cancelled => write!(f, "cancelled"),
        }
    }
}

impl std::error::Error for ComputeError {}

impl From<ParamError> for ComputeError {
    fn from(e: ParamError) -> Self {
        ComputeError::Param(e)
    }
}

/// One parameter a computation accepts, for `--list` and error messages.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

/// A named live computation: the single entry point shared by the CLI and tests.
pub struct Computation {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamSpec],
    pub run: fn(&mut Params, &mut ProgressFn<'_>) -> Result<Report, ComputeError>,
}

/// Every computation, in the order of the midterm's problems.
pub fn registry() -> &'static [Computation] {
    static REGISTRY: &[Computation] = &[
        layer_table::COMPUTATION,
        activations::COMPUTATION,
        widen::COMPUTATION,
        seqnorm::COMPUTATION,
        bptt::COMPUTATION,
        rnn2d::COMPUTATION,
    ];
    REGISTRY
}

pub fn find(name: &str) -> Option<&'static Computation> {
    registry().iter().find(|c| c.name == name)
}

/// Parse `key=value` arguments and run the named computation with them.
/// Unknown parameters are rejected after the run has read the ones it knows.
pub fn run(
    computation: &Computation,
    args: &[String],
    progress: &mut ProgressFn<'_>,
) -> Result<Report, ComputeError> {
    let mut params = Params::parse(args)?;
    // Reject a misspelt key before a possibly long run, not after it.
    params.reject_unlisted(computation.params)?;
    let report = (computation.run)(&mut params, progress)?;
    params.finish(computation.params)?;
    Ok(report)
}

/// Named figures that content quotes as `{{key}}`: every number in a derivation
/// is substituted from here at load time, so the text cannot drift from the code.
/// Keys are namespaced by problem (`p1.total_params`). Building them must stay
/// cheap (well under a millisecond per module): it runs on every start.
pub type Facts = std::collections::BTreeMap<String, String>;

/// Every figure the content may quote, as the compute code produces them now.
/// Some take tens of milliseconds (the 1(b) autograd count, Problem 2's seed
/// spread, Problem 3's trained widening), so start-up reads [`facts`] instead:
/// the same figures, written by this function into `src/compute/facts.json`
/// and checked against it by the test suite on every run
/// (`NNBOOK_UPDATE_FACTS=1 cargo test facts_file` rewrites it).
pub fn computed_facts() -> Facts {
    let mut facts = Facts::new();
    layer_table::facts(&mut facts);
    activations::facts(&mut facts);
    widen::facts(&mut facts);
    seqnorm::facts(&mut facts);
    bptt::facts(&mut facts);
    rnn2d::facts(&mut facts);
    facts
}

/// The figures of [`computed_facts`] as last written to `facts.json`: what
/// the loader fills `{{key}}` from, in microseconds rather than the tens of
/// milliseconds computing them takes. The suite fails if the file and the
/// code disagree, so the text can never quote a figure the code no longer
/// produces.
pub fn facts() -> &'static Facts {
    static FILE: std::sync::OnceLock<Facts> = std::sync::OnceLock::new();
    FILE.get_or_init(|| serde_json::from_str(FACTS_FILE).unwrap_or_default())
}

/// `src/compute/facts.json`, written by the facts test from [`computed_facts`].
pub const FACTS_FILE: &str = include_str!("compute/facts.json");

/// A progress sink that never cancels, for callers with nobody to report to.
pub fn no_progress(_: Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}
