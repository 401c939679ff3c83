//! Command-line interface: parses arguments, dispatches to the TUI or one of the
//! headless commands, and maps errors to exit codes (0 ok, 2 bad input, 1 other).

use std::io::Write;
use std::process::ExitCode;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ratatui::layout::Rect;

use crate::app::App;
use crate::compute::{self, ComputeError};
use crate::content::{Notebook, Source};
use crate::layout::Pane;
use crate::math::Glyphs;
use crate::ui::doc::MathSettings;
use crate::ui::theme::{Theme, ThemeChoice};
use crate::{headless, ui};

#[derive(Debug, Parser)]
#[command(
    name = "nnbook",
    version,
    about = "A terminal notebook of worked solutions to a neural-networks midterm",
    long_about = "A terminal notebook of worked solutions to a neural-networks midterm.\n\n\
                  Without a command, opens the notebook (press ? inside for keys)."
)]
pub struct Cli {
    /// Read this .md file, or folder of .md files, instead of the built-in
    /// content: the notebook's format (front matter) or ordinary Markdown.
    #[arg(long, global = true, value_name = "PATH")]
    pub content: Option<PathBuf>,
    /// Open this .md file or folder (the same as --content PATH).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Glyphs for math: unicode (default), unicode-math (𝐖, for fonts that have
    /// mathematical alphanumerics) or ascii.
    #[arg(long, global = true, value_name = "SET", value_parser = parse_glyphs)]
    pub glyphs: Option<Glyphs>,
    /// Colour theme: dark, light, 16 (the 16 ANSI colours, for either
    /// background) or auto (the default: the terminal is asked for its
    /// background after the first frame; COLORFGBG is a hint). NO_COLOR
    /// turns colours off whatever the theme.
    #[arg(long, global = true, value_name = "THEME", value_parser = parse_theme)]
    pub theme: Option<ThemeChoice>,
    /// Neither read nor write the remembered place (last part, scroll
    /// positions, panel states, marks).
    #[arg(long, global = true)]
    pub no_state: bool,
    /// Read the content again whenever one of its files changes (checked
    /// four times a second), keeping the part and scroll position.
    #[arg(long, global = true)]
    pub watch: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the frame the notebook would draw, as plain text.
    Render(RenderArgs),
    /// Validate the content (a folder or a .md file) and list every problem found.
    Check,
    /// Run a live computation and print the result the panel shows.
    Compute(ComputeArgs),
    /// Print one LaTeX expression as the notebook shows it (exit 2 if it fell back to source).
    Math(MathArgs),
    /// Print every match of QUERY as `PART:LINE: text` (exit 1 when nothing matches):
    /// the same matcher as `/` in the notebook, case-insensitive unless QUERY has a capital.
    Search(SearchArgs),
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The text to find in titles, prose, math (rendered or LaTeX) and code.
    pub query: String,
}

#[derive(Debug, Args)]
pub struct MathArgs {
    /// The LaTeX, without `$` delimiters.
    pub latex: String,
    /// Lay it out as a display block (`$$...$$`) rather than inline.
    #[arg(long)]
    pub display: bool,
    /// Width available to a display block.
    #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub width: u16,
    /// Mark bold and italic with ANSI codes.
    #[arg(long)]
    pub color: bool,
}

fn parse_glyphs(s: &str) -> Result<Glyphs, String> {
    s.parse()
}

fn parse_theme(s: &str) -> Result<ThemeChoice, String> {
    s.parse()
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FocusArg {
    Toc,
    Doc,
    Panel,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Part to show: a part id such as 1a or 2, or pN for problem N's statement.
    #[arg(long, default_value = "p1")]
    pub part: String,
    /// Frame width in columns.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub width: u16,
    /// Frame height in rows.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub height: u16,
    /// Pane with focus.
    #[arg(long, value_enum, default_value = "doc")]
    pub focus: FocusArg,
    /// Keep colours and attributes as ANSI escape codes.
    #[arg(long)]
    pub color: bool,
    /// Print the part's whole derivation (not one screen) and then its live panel.
    #[arg(long)]
    pub full: bool,
    /// Show math as LaTeX source instead of rendering it.
    #[arg(long)]
    pub latex: bool,
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
    let source = match (&cli.content, &cli.path) {
        (Some(_), Some(_)) => {
            eprintln!("nnbook: give the content as PATH or as --content PATH, not both");
            return ExitCode::from(2);
        }
        (Some(path), None) | (None, Some(path)) => Source::Dir(path.clone()),
        (None, None) => Source::Embedded,
    };
    let math = MathSettings {
        rendered: true,
        glyphs: cli.glyphs.unwrap_or_default(),
    };
    let result = match cli.command {
        Some(Command::Compute(args)) => run_compute(&args),
        Some(Command::Render(args)) => {
            run_render(&source, &args, math, cli.theme.unwrap_or_default())
        }
        Some(Command::Check) => run_check(&source),
        Some(Command::Search(args)) => run_search(&source, &args),
        Some(Command::Math(args)) => run_math(&args, math.glyphs),
        None => run_tui(
            &source,
            crate::tui::Options {
                math,
                theme: cli.theme,
                state: !cli.no_state,
                watch: cli.watch,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // `search` finding nothing exits 1 silently, as grep does. Each
            // line escaped: a message may quote an argument or a name.
            if !f.message.is_empty() {
                let shown: Vec<_> = f
                    .message
                    .split('\n')
                    .map(crate::content::sanitize::one_line)
                    .collect();
                eprintln!("nnbook: {}", shown.join("\n"));
            }
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

fn run_math(args: &MathArgs, glyphs: Glyphs) -> Result<(), Failure> {
    let (text, error) = crate::math::render_to_ansi_string(
        &args.latex,
        args.display,
        glyphs,
        usize::from(args.width),
        args.color,
    );
    print(&format!("{}\n", text.trim_end_matches('\n')))?;
    match error {
        None => Ok(()),
        Some(reason) => Err(Failure::bad_input(format!(
            "shown as LaTeX source: {reason}"
        ))),
    }
}

/// Why the TUI cannot run here, if it cannot: it needs a terminal on stdin and
/// stdout that understands cursor movement.
fn tui_unavailable() -> Option<String> {
    use std::io::IsTerminal;
    let hint = "use `nnbook render` (add --full for a whole part) to print the notebook as text";
    if std::env::var_os("TERM").is_some_and(|t| t == "dumb") {
        return Some(format!(
            "TERM=dumb: this terminal cannot show the interactive notebook; {hint}"
        ));
    }
    if !std::io::stdout().is_terminal() {
        return Some(format!("stdout is not a terminal; {hint}"));
    }
    if !std::io::stdin().is_terminal() {
        return Some(format!("stdin is not a terminal (no keys to read); {hint}"));
    }
    None
}

fn run_tui(source: &Source, options: crate::tui::Options) -> Result<(), Failure> {
    if let Some(reason) = tui_unavailable() {
        return Err(Failure::bad_input(reason));
    }
    let content_ok = crate::tui::run(source, options)?;
    if content_ok {
        Ok(())
    } else {
        // The errors were on screen; say where to see them again after the
        // alternate screen is gone.
        Err(Failure::bad_input(format!(
            "the content in {} has errors; run `nnbook check{}` to list them",
            source.describe(),
            match source {
                Source::Dir(_) => format!(" --content {}", source.describe()),
                Source::Embedded => String::new(),
            }
        )))
    }
}

fn load_known(source: &Source) -> Result<Notebook, Failure> {
    crate::app::load_notebook(source).map_err(|e| Failure::bad_input(e.to_string()))
}

fn run_check(source: &Source) -> Result<(), Failure> {
    let notebook = load_known(source)?;
    let mut text = format!(
        "ok: {} problems, {} parts in {}\n",
        notebook.problems.len(),
        notebook.part_count(),
        source.describe()
    );
    for p in &notebook.problems {
        if p.plain {
            text += &format!(
                "  {}:{}  {} (ordinary Markdown): {} sections\n",
                p.file,
                p.line,
                p.title,
                p.parts.len()
            );
            continue;
        }
        let written = p.parts.iter().filter(|q| q.has_solution).count();
        text += &format!(
            "  {}:{}  problem {} ({} pts): {} parts, {} with solutions\n",
            p.file,
            p.line,
            p.number,
            p.points,
            p.parts.len(),
            written
        );
    }
    print(&text)
}

fn run_search(source: &Source, args: &SearchArgs) -> Result<(), Failure> {
    let notebook = load_known(source)?;
    let hits = crate::search::Index::new(&notebook).find(&args.query);
    if hits.is_empty() {
        return Err(Failure {
            code: 1,
            message: String::new(),
        });
    }
    let mut text = String::new();
    for hit in &hits {
        let id = notebook.entry_id(notebook.entries[hit.entry]);
        // One line per hit, like grep: the block's text cut to a screenful.
        let shown: String = hit.text.chars().take(160).collect();
        let more = if hit.text.chars().count() > 160 {
            "…"
        } else {
            ""
        };
        text += &format!(
            "{id}:{}: {}{more}\n",
            hit.line,
            crate::content::sanitize::visible(&shown, 1)
        );
    }
    print(&text)
}

fn run_render(
    source: &Source,
    args: &RenderArgs,
    math: MathSettings,
    theme: ThemeChoice,
) -> Result<(), Failure> {
    let notebook = load_known(source)?;
    let Some(entry) = notebook.find_entry(&args.part) else {
        let ids = notebook.entry_ids();
        return Err(Failure::bad_input(format!(
            "--part {}: no such part{} (known: {})",
            crate::content::sanitize::one_line(&args.part),
            crate::suggest::hint(&args.part, ids.iter().map(String::as_str)),
            ids.join(", ")
        )));
    };
    let mut app = App::new(
        notebook,
        None,
        source.describe(),
        Rect::new(0, 0, args.width, args.height),
    );
    app.focus = match args.focus {
        FocusArg::Toc => Pane::Toc,
        FocusArg::Doc => Pane::Doc,
        FocusArg::Panel
            if app
                .notebook
                .part(app.notebook.entries[entry])
                .and_then(|p| p.panel.as_ref())
                .is_some() =>
        {
            Pane::Panel
        }
        FocusArg::Panel => Pane::Doc,
    };
    app.set_math(MathSettings {
        rendered: !args.latex,
        ..math
    });
    // No terminal to ask here: `auto` is what COLORFGBG hints, else the
    // 16-colour theme that reads on both backgrounds.
    let colorfgbg = std::env::var("COLORFGBG").ok();
    app.set_theme(Theme::named(
        theme.initial(colorfgbg.as_deref()),
        crate::ui::theme::no_color_from_env(),
    ));
    let effect = app.open(entry);
    app.run_inline(effect);
    if !args.full {
        return print(&headless::render_frame(&app, args.color));
    }
    let current = app.notebook.entries[entry];
    let lines = ui::doc::entry_lines(&app.notebook, current, args.width, app.math, &app.theme);
    let mut text = headless::lines_to_text_in(&lines, args.color, &app.theme);
    if let Some(panel) = app.current_panel() {
        let header = ratatui::text::Line::from(format!("── Live: {} ──", panel.title()));
        text.push('\n');
        text += &headless::lines_to_text(
            &ui::doc::fit_width(vec![header], usize::from(args.width)),
            false,
        );
        let height = panel.full_height(args.width);
        let drawn =
            headless::render_panel_in(panel, args.width, height, args.color, &app.theme, app.math);
        text += drawn.trim_end_matches('\n');
        text.push('\n');
    }
    print(&text)
}

pub fn run_compute(args: &ComputeArgs) -> Result<(), Failure> {
    if args.list || args.name.is_none() {
        let mut text = String::new();
        for c in compute::registry() {
            text += &format!("{:<14} {}\n", c.name, c.summary);
            for p in c.params {
                text += &format!(
                    "    {:<30} {}\n",
                    format!("{}={}", p.name, p.default),
                    p.help
                );
            }
        }
        return print(&text);
    }
    let name = args.name.as_deref().unwrap_or_default();
    let Some(computation) = compute::find(name) else {
        let known: Vec<_> = compute::registry().iter().map(|c| c.name).collect();
        return Err(Failure::bad_input(format!(
            "unknown computation `{name}`{} (known: {})",
            crate::suggest::hint(name, known.iter().copied()),
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
