use std::process::ExitCode;

fn main() -> ExitCode {
    nnbook::cli::main()
}
