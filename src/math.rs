//! Math that reads like math: LaTeX rendered as Unicode (or ASCII) text, as one line for
//! inline `$...$` and as a 2D block for display `$$...$$`.
//!
//! Pipeline: [`parse`](self::parse) turns the source into our own small tree ([`ast`]) through
//! pulldown-latex events (so the parser can be swapped); [`inline`] lays the tree out on one
//! line; [`display`] lays it out as a block of baseline-aligned rows. Nothing here knows about
//! ratatui: the UI turns [`MathSpan`]s into styled spans.
//!
//! Nothing is lost: if the source fails to parse, uses a command we do not support, or is too
//! long or deeply nested, the result is the raw source on one line with `error: Some(reason)`.
//! No input panics (property-tested over arbitrary strings and mutations of the content).
//!
//! Glyph sets ([`Glyphs`]):
//! - `unicode` (default): Basic Multilingual Plane symbols only. Bold (`\mathbf`) is the
//!   terminal bold attribute on plain letters. Variables are *not* italicised: terminal italics
//!   are missing or ugly in many terminal fonts and would slant every letter of every
//!   derivation; the one distinction the notes rely on (bold matrices and vectors against plain
//!   scalars) is carried by bold. Explicit `\mathit`/`\boldsymbol` set the italic attribute.
//! - `unicode-math`: mathematical alphanumerics (`𝐖`, `𝑥`, `𝔼`) as TeX would typeset them:
//!   Latin letters and lowercase Greek in italic, `\mathbf` in bold; the attribute flags are
//!   then false because the glyph carries the style.
//! - `ascii`: plain ASCII (`alpha`, `->`, `<=`, `sum`) for limited fonts and screen readers;
//!   scripts stay on the line (`h_t`, `W^(in)`) even in display blocks, and only fractions,
//!   limits, roots and matrices are drawn in 2D.
pub mod ast;
pub mod corpus;
pub mod display;
pub mod glyphs;
pub mod inline;
pub mod parse;
pub mod symbols;

use std::fmt;
use std::str::FromStr;

use unicode_width::UnicodeWidthStr;

/// Which characters the renderer may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Glyphs {
    /// BMP symbols, bold by terminal attribute.
    #[default]
    Unicode,
    /// Mathematical alphanumerics (𝐖, 𝑥) for fonts that have them.
    UnicodeMath,
    /// Plain ASCII.
    Ascii,
}

impl Glyphs {
    /// All glyph sets, in the order [`Glyphs::next`] cycles through them.
    pub const ALL: [Glyphs; 3] = [Glyphs::Unicode, Glyphs::UnicodeMath, Glyphs::Ascii];

    /// The next glyph set (for a key that cycles them).
    pub fn next(self) -> Glyphs {
        match self {
            Glyphs::Unicode => Glyphs::UnicodeMath,
            Glyphs::UnicodeMath => Glyphs::Ascii,
            Glyphs::Ascii => Glyphs::Unicode,
        }
    }

    /// The name used by `--glyphs` and shown in the status line.
    pub fn name(self) -> &'static str {
        match self {
            Glyphs::Unicode => "unicode",
            Glyphs::UnicodeMath => "unicode-math",
            Glyphs::Ascii => "ascii",
        }
    }
}

impl fmt::Display for Glyphs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Glyphs {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Glyphs::ALL
            .into_iter()
            .find(|g| g.name() == s)
            .ok_or_else(|| {
                format!("unknown glyph set {s:?} (expected unicode, unicode-math or ascii)")
            })
    }
}

/// A run of text with one set of attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MathSpan {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
}

impl MathSpan {
    pub fn plain(text: impl Into<String>) -> MathSpan {
        MathSpan {
            text: text.into(),
            bold: false,
            italic: false,
        }
    }
}

/// One rendered line.
pub type Line = Vec<MathSpan>;

/// A rendered expression.
///
/// Width contract of [`render_display`] with `max_width = W`:
/// - `one_line == false` and `error == None`: one or more rows, all exactly the same width,
///   and that width is at most `W`.
/// - `one_line == true`: the 2D form did not fit in `W`; the result is exactly the one-line
///   form ([`render_inline`]), which is at most `W` wide unless the one-line form itself is
///   wider, in which case the caller wraps it.
/// - `error == Some(..)`: one line, the raw source (whitespace runs collapsed to one space),
///   any width; the caller wraps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Inline: exactly one line. Display: one or more rows, baseline-aligned, padded to the
    /// same width.
    pub lines: Vec<Vec<MathSpan>>,
    /// `Some(reason)` when we fell back to the raw LaTeX source.
    pub error: Option<String>,
    /// Display requested but too wide: fell back to the one-line form.
    pub one_line: bool,
}

impl Rendered {
    /// The width of the widest line.
    pub fn width(&self) -> usize {
        self.lines.iter().map(|l| width(l)).max().unwrap_or(0)
    }

    /// The lines as plain text (no attributes), trailing spaces trimmed.
    pub fn to_plain_lines(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| line_text(l).trim_end().to_string())
            .collect()
    }
}

/// The display width of a rendered line (unicode-width, so wide symbols count as two).
pub fn width(rendered_line: &[MathSpan]) -> usize {
    rendered_line.iter().map(|s| s.text.width()).sum()
}

/// The text of a line without attributes.
pub fn line_text(line: &[MathSpan]) -> String {
    line.iter().map(|s| s.text.as_str()).collect()
}

/// Appends text to a line, merging with the last span when the attributes match.
pub(crate) fn push_span(line: &mut Line, text: &str, bold: bool, italic: bool) {
    if text.is_empty() {
        return;
    }
    if let Some(last) = line.last_mut()
        && last.bold == bold
        && last.italic == italic
    {
        last.text.push_str(text);
        return;
    }
    line.push(MathSpan {
        text: text.to_string(),
        bold,
        italic,
    });
}

/// Appends a whole line to another, merging spans.
pub(crate) fn extend_line(line: &mut Line, more: &[MathSpan]) {
    for s in more {
        push_span(line, &s.text, s.bold, s.italic);
    }
}

/// A cap on layout work per expression, so that no input can take long to lay out
/// (the parse limits already bound the tree; this is the safety net behind them).
pub(crate) mod budget {
    use std::cell::Cell;

    /// Node layouts allowed per expression. Our largest display equation needs about 2,000.
    pub const STEPS: usize = 200_000;

    thread_local! {
        static LEFT: Cell<usize> = const { Cell::new(STEPS) };
    }

    /// Starts a new expression.
    pub fn reset() {
        LEFT.with(|l| l.set(STEPS));
    }

    /// Spends one step; false once the budget is exhausted (callers then lay out nothing).
    pub fn spend() -> bool {
        LEFT.with(|l| {
            let left = l.get();
            l.set(left.saturating_sub(1));
            left > 0
        })
    }

    pub fn exhausted() -> bool {
        LEFT.with(|l| l.get() == 0)
    }
}

const TOO_COMPLEX: &str = "expression too complex to lay out";

/// Renders `latex` (the text between `$...$`) as one line.
pub fn render_inline(latex: &str, glyphs: Glyphs) -> Rendered {
    match parse::parse(latex) {
        Ok(node) => {
            budget::reset();
            let line = inline::line(&node, glyphs);
            if budget::exhausted() {
                return raw(latex, TOO_COMPLEX.into());
            }
            Rendered {
                lines: vec![sanitize(line)],
                error: None,
                one_line: false,
            }
        }
        Err(reason) => raw(latex, reason),
    }
}

/// Renders `latex` (the text between `$$...$$`) as a 2D block at most `max_width` columns wide.
///
/// The 2D layout (stacked fractions, limits above and below, tall brackets) when it fits in
/// `max_width`, else the one-line form with `one_line: true`. (A "compact" 2D layout with
/// fractions and limits on the line was tried as a middle step and dropped: in a terminal it
/// is never narrower than the stacked one, only shorter.) See [`Rendered`] for the exact
/// width contract.
pub fn render_display(latex: &str, max_width: usize, glyphs: Glyphs) -> Rendered {
    let node = match parse::parse(latex) {
        Ok(node) => node,
        Err(reason) => return raw(latex, reason),
    };
    budget::reset();
    let block = display::block(&node, glyphs, display::Style::Display);
    if budget::exhausted() {
        return raw(latex, TOO_COMPLEX.into());
    }
    if block.width <= max_width {
        return Rendered {
            lines: block.rows.into_iter().map(sanitize).collect(),
            error: None,
            one_line: false,
        };
    }
    budget::reset();
    let line = inline::line(&node, glyphs);
    if budget::exhausted() {
        return raw(latex, TOO_COMPLEX.into());
    }
    Rendered {
        lines: vec![sanitize(line)],
        error: None,
        one_line: true,
    }
}

/// For `nnbook math`: the text as the notebook would show it (no ANSI attributes; see
/// [`render_to_ansi_string`]), and the parse error if it fell back to the source.
/// Lines are joined with `\n` and trailing spaces are trimmed.
pub fn render_to_string(
    latex: &str,
    display: bool,
    glyphs: Glyphs,
    width: usize,
) -> (String, Option<String>) {
    render_to_ansi_string(latex, display, glyphs, width, false)
}

/// Like [`render_to_string`], with bold and italic marked by ANSI SGR codes when `ansi`.
pub fn render_to_ansi_string(
    latex: &str,
    display: bool,
    glyphs: Glyphs,
    width: usize,
    ansi: bool,
) -> (String, Option<String>) {
    let r = if display {
        render_display(latex, width, glyphs)
    } else {
        render_inline(latex, glyphs)
    };
    let text = r
        .lines
        .iter()
        .map(|l| {
            if ansi {
                let mut s = String::new();
                for span in l {
                    match (span.bold, span.italic) {
                        (false, false) => s.push_str(&span.text),
                        (b, i) => {
                            s.push_str(match (b, i) {
                                (true, true) => "\x1b[1;3m",
                                (true, false) => "\x1b[1m",
                                _ => "\x1b[3m",
                            });
                            s.push_str(&span.text);
                            s.push_str("\x1b[0m");
                        }
                    }
                }
                s.trim_end().to_string()
            } else {
                line_text(l).trim_end().to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    (text, r.error)
}

/// The raw-source fallback: one line, whitespace runs collapsed.
fn raw(latex: &str, reason: String) -> Rendered {
    let text = latex.split_whitespace().collect::<Vec<_>>().join(" ");
    Rendered {
        lines: vec![sanitize(vec![MathSpan::plain(text)])],
        // Reasons quote the source (`unknown command \foo`): one line, escaped.
        error: Some(crate::content::sanitize::one_line(&reason).into_owned()),
        one_line: false,
    }
}

/// Makes control and bidi characters visible (the content sanitiser's forms: `\char27`
/// would otherwise put an ESC on the terminal).
fn sanitize(mut line: Line) -> Line {
    for span in &mut line {
        if let std::borrow::Cow::Owned(clean) = crate::content::sanitize::visible(&span.text, 1) {
            span.text = clean;
        }
    }
    line.retain(|s| !s.text.is_empty());
    line
}
