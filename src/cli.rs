//! Command-line interface: parses arguments, dispatches to the TUI or one of the
//! headless commands, and maps errors to exit codes (0 ok, 2 bad input, 1 other).

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::compute::{self, ComputeError};

#[derive(Debug, Parser)]
#[command(
    name = "nnbook",
    version,
    about = "A terminal notebook of worked solutions to a neural-networks midterm"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a live computation and print the result the panel shows.
    Compute(ComputeArgs),
}

#[derive(Debug, Args)]
pub struct ComputeArgs {
    /// Computation name (see --list).
    pub name: Option<String>,
    /// key=value parameters.
    pub params: Vec<String>,
    /// Print JSON with every input and output.
    #[arg(long)]
    pub json: bool,
    /// List the computations and their parameters.
    #[arg(long)]
    pub list: bool,
}

/// An error and the exit code it deserves.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure {
            code: 1,
            message: format!("{e:#}"),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Compute(args)) => run_compute(&args),
        None => Err(Failure::bad_input("the TUI is not wired yet")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("nnbook: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is not an error worth reporting.
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow::Error::from(e).into()),
        _ => Ok(()),
    }
}

pub fn run_compute(args: &ComputeArgs) -> Result<(), Failure> {
    if args.list || args.name.is_none() {
        let mut text = String::new();
        for c in compute::registry() {
            text += &format!("{:<14} {}\n", c.name, c.summary);
            for p in c.params {
                text += &format!("    {}={:<12} {}\n", p.name, p.default, p.help);
            }
        }
        return print(&text);
    }
    let name = args.name.as_deref().unwrap_or_default();
    let Some(computation) = compute::find(name) else {
        let known: Vec<_> = compute::registry().iter().map(|c| c.name).collect();
        return Err(Failure::bad_input(format!(
            "unknown computation `{name}` (known: {})",
            known.join(", ")
        )));
    };
    let report = compute::run(computation, &args.params, &mut compute::no_progress).map_err(
        |e| match e {
            ComputeError::Param(_) | ComputeError::Shape(_) => {
                Failure::bad_input(format!("{name}: {e}"))
            }
            ComputeError::Cancelled => Failure {
                code: 1,
                message: format!("{name}: {e}"),
            },
        },
    )?;
    if args.json {
        let text = serde_json::to_string_pretty(&report.json).map_err(anyhow::Error::from)?;
        print(&(text + "\n"))
    } else {
        print(&report.text)
    }
}
