//! The parser adapter: LaTeX source → our tree (`ast.rs`), through pulldown-latex events.
//!
//! Steps:
//! 1. [`guard`] rejects input that is too long or nested too deeply before any parser sees it
//!    (pulldown-latex recurses on commands used as arguments, e.g. `\frac\frac\frac...`).
//! 2. [`preprocess`] rewrites a few common commands pulldown-latex 0.8 does not know or gets
//!    wrong, into equivalents it handles:
//!    - `\bm{x}` (bm package) → `\boldsymbol{x}` (unknown to pulldown-latex);
//!    - `\operatorname*{f}` → `\operatorname{f}\limits` (pulldown-latex 0.8 swallows the `*`
//!      and the rest of the expression into the operator name);
//!    - `\argmin`, `\argmax` (usually a `\DeclareMathOperator*` in a preamble) → `arg min`
//!      with limits;
//!    - `\tr`, `\Tr`, `\diag`, `\rank` (same) → `\operatorname{...}`;
//!    - `\mathbbm`, `\mathds` → `\mathbb`; `\mathscr` → `\mathcal`;
//!    - `\nonumber`, `\notag`, `\label{..}` are dropped; `\tag{t}` becomes `\qquad (t)`;
//!    - `\phantom`, `\hphantom`, `\vphantom` (invisible spacing tweaks) are dropped and
//!      `\smash{x}` becomes `{x}`;
//!    - `\boxed{x}` → a one-cell `array` ruled on all sides (drawn as a box);
//!    - rows (`\\`) outside any environment, which KaTeX allows in display math, are wrapped
//!      in `aligned` (if they use `&`) or `gathered`.
//! 3. The events are folded into [`Node`]s; any parser error, or an event sequence we do not
//!    understand, is an `Err` with a one-line reason, and the caller shows the raw source.
use pulldown_latex::event::{
    ColumnAlignment, Content, DelimiterType, Dimension, DimensionUnit, EnvironmentFlow, Event,
    Font as PFont, Grouping, ScriptPosition, ScriptType, StateChange, Style, Visual,
};
use pulldown_latex::{Parser, Storage};

use super::ast::{Accent, Align, Atom, Class, Font, FracStyle, Node, Place, Rules, TableKind};

/// Longest source we try to parse (bytes). Our longest display equation is about 350 bytes.
pub const MAX_SOURCE: usize = 4000;
/// Deepest nesting of groups (`{`, `\left`, `\begin`) in the source we accept.
pub const MAX_DEPTH: usize = 48;
/// Deepest tree we build (a script level is two nodes: the script and its group).
pub const MAX_TREE_DEPTH: usize = 2 * MAX_DEPTH + 16;
/// Most parser events we fold into a tree.
const MAX_EVENTS: usize = 20_000;

/// Parses `latex` into our tree, or says why not in one line.
pub fn parse(latex: &str) -> Result<Node, String> {
    guard(latex)?;
    let source = preprocess(latex)?;
    guard(&source)?;
    let source = normalise_for_parser(&source)?;
    let storage = Storage::new();
    // pulldown-latex 0.8 can still panic on input we did not foresee; the panic is
    // contained and the expression falls back to its source like any parse error.
    let events = crate::contain::contained(|| {
        let mut events = Vec::new();
        for item in Parser::new(&source, &storage) {
            match item {
                Ok(e) => events.push(e),
                Err(e) => return Err(describe_error(&e.to_string())),
            }
            if events.len() > MAX_EVENTS {
                return Err("expression too large".into());
            }
        }
        Ok(events)
    })
    .map_err(|_| "the LaTeX parser failed on this expression".to_string())??;
    let mut b = Builder {
        events,
        pos: 0,
        depth: 0,
        hlines: Vec::new(),
    };
    let ctx = Ctx {
        font: Font::Normal,
        frac: FracStyle::Auto,
    };
    let cells = b.sequence(ctx, false, false)?;
    let row = cells
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .unwrap_or_default();
    Ok(Node::Row(row))
}

/// Makes the source safe for pulldown-latex 0.8's lexer, which assumes some
/// characters are one byte long and slices `&input[1..]` after them (a panic
/// inside a multi-byte character):
/// - after a dimension or number it skips "one optional space" tested with
///   `char::is_whitespace`, so U+00A0, U+2003, U+3000, U+2029, ... panic. Every
///   non-ASCII whitespace character becomes an ASCII space (math mode ignores
///   spaces anyway);
/// - `\char` reads its number's first character and skips one byte, so `\charé`
///   panics: `\char` must be followed by a digit, `'`, `"` or `` ` `` (its three
///   TeX forms), anything else is refused here.
fn normalise_for_parser(latex: &str) -> Result<String, String> {
    let mut out: String = latex
        .chars()
        .map(|c| {
            if c.is_whitespace() && !c.is_ascii() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut from = 0;
    while let Some(at) = out[from..].find("\\char").map(|i| i + from) {
        let (name, after) = command_at(&out, at);
        from = after;
        // `\\char` is a row break followed by the letters "char".
        let escaped = out[..at].chars().rev().take_while(|&c| c == '\\').count() % 2 == 1;
        if name != "char" || escaped {
            continue;
        }
        let next = out[after..].trim_start_matches(' ').chars().next();
        if !next.is_some_and(|c| c.is_ascii_digit() || matches!(c, '\'' | '"' | '`')) {
            return Err("\\char must be followed by a number".into());
        }
        // TeX skips spaces before the number; the lexer does not, so drop them.
        let spaces = out[after..].len() - out[after..].trim_start_matches(' ').len();
        out.replace_range(after..after + spaces, "");
    }
    Ok(out)
}

/// Rejects sources that are too long, or nested too deeply, for the parser and layouts.
fn guard(latex: &str) -> Result<(), String> {
    if latex.len() > MAX_SOURCE {
        return Err(format!(
            "expression too long ({} bytes, limit {MAX_SOURCE})",
            latex.len()
        ));
    }
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    // A run of commands with no separators can be a chain of commands used as arguments
    // (`\sqrt\sqrt\sqrt...`), which nests without braces.
    let mut run = 0usize;
    let mut max_run = 0usize;
    let mut chars = latex.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let mut letters = false;
                while chars.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                    chars.next();
                    letters = true;
                }
                if letters {
                    run += 1;
                    max_run = max_run.max(run);
                    continue;
                }
                // A control symbol such as `\{` or `\\`.
                chars.next();
            }
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        max_depth = max_depth.max(depth);
        if !c.is_whitespace() || c == '{' {
            run = 0;
        }
    }
    let lefts = latex.matches("\\left").count() + latex.matches("\\begin").count();
    if max_depth + lefts > MAX_DEPTH || max_run > MAX_DEPTH {
        return Err(format!(
            "expression nested too deeply (limit {MAX_DEPTH} levels)"
        ));
    }
    Ok(())
}

/// Reads a command name after a backslash at byte `i` (which points at the `\`).
/// Returns the name (letters only, possibly empty) and the byte index after it.
fn command_at(s: &str, i: usize) -> (&str, usize) {
    let rest = &s[i + 1..];
    let len = rest
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(rest.len(), |(k, _)| k);
    (&rest[..len], i + 1 + len)
}

/// Reads one argument starting at byte `i` (skipping spaces): a `{...}` group (returned
/// without its braces), a control sequence, or one character. Returns (argument, next index).
fn argument_at(s: &str, mut i: usize) -> Option<(&str, usize)> {
    while s[i..].starts_with(char::is_whitespace) {
        i += s[i..].chars().next().map_or(1, char::len_utf8);
    }
    let c = s[i..].chars().next()?;
    match c {
        '{' => {
            let mut depth = 0usize;
            let mut k = i;
            let bytes = s.as_bytes();
            while k < s.len() {
                match bytes[k] {
                    b'\\' => k += 1,
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some((&s[i + 1..k], k + 1));
                        }
                    }
                    _ => {}
                }
                k += 1;
            }
            None
        }
        '\\' => {
            let (name, end) = command_at(s, i);
            if name.is_empty() {
                let end = i + 1 + s[i + 1..].chars().next().map_or(0, char::len_utf8);
                Some((&s[i..end], end))
            } else {
                Some((&s[i..end], end))
            }
        }
        _ => Some((&s[i..i + c.len_utf8()], i + c.len_utf8())),
    }
}

/// Rewrites the commands listed in the module docs. Errors only on a malformed argument of a
/// command we rewrite (e.g. `\operatorname*` with no argument).
pub fn preprocess(latex: &str) -> Result<String, String> {
    if !latex.contains('\\') {
        return Ok(latex.to_string());
    }
    let mut out = String::with_capacity(latex.len() + 16);
    let mut i = 0;
    while i < latex.len() {
        let Some(c) = latex[i..].chars().next() else {
            break;
        };
        if c != '\\' {
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        let (name, end) = command_at(latex, i);
        if name.is_empty() {
            // Control symbol: copy `\` and the next character verbatim.
            let next = latex[i + 1..].chars().next().map_or(0, char::len_utf8);
            out.push_str(&latex[i..i + 1 + next]);
            i += 1 + next;
            continue;
        }
        let starred = latex[end..].starts_with('*');
        match (name, starred) {
            ("bm", _) => {
                out.push_str("\\boldsymbol");
                i = end;
            }
            ("operatorname", true) => {
                let (arg, next) = argument_at(latex, end + 1)
                    .ok_or_else(|| "\\operatorname* needs an argument".to_string())?;
                out.push_str("\\operatorname{");
                out.push_str(arg);
                out.push_str("}\\limits ");
                i = next;
            }
            ("argmin" | "argmax", _) => {
                out.push_str("\\operatorname{arg\\,");
                out.push_str(&name[3..]);
                out.push_str("}\\limits ");
                i = end;
            }
            ("tr" | "Tr" | "diag" | "rank", _) => {
                out.push_str("\\operatorname{");
                out.push_str(name);
                out.push('}');
                i = end;
            }
            ("mathbbm" | "mathds", _) => {
                out.push_str("\\mathbb");
                i = end;
            }
            ("mathscr", _) => {
                out.push_str("\\mathcal");
                i = end;
            }
            ("boxed", _) => {
                let (arg, next) = argument_at(latex, end)
                    .ok_or_else(|| "\\boxed needs an argument".to_string())?;
                out.push_str("\\begin{array}{|c|}\\hline ");
                out.push_str(arg);
                out.push_str(" \\\\ \\hline\\end{array}");
                i = next;
            }
            ("phantom" | "hphantom" | "vphantom", _) => {
                let (_, next) =
                    argument_at(latex, end).ok_or_else(|| format!("\\{name} needs an argument"))?;
                out.push(' ');
                i = next;
            }
            ("smash", _) => {
                let mut start = end;
                // `\smash[t]{x}`: skip the optional argument.
                if latex[start..].trim_start().starts_with('[') {
                    let open = start + latex[start..].find('[').unwrap_or(0);
                    start = latex[open..].find(']').map_or(open + 1, |k| open + k + 1);
                }
                let (arg, next) = argument_at(latex, start)
                    .ok_or_else(|| "\\smash needs an argument".to_string())?;
                out.push('{');
                out.push_str(arg);
                out.push('}');
                i = next;
            }
            ("nonumber" | "notag", _) => {
                out.push(' ');
                i = end;
            }
            ("label", _) => {
                let (_, next) = argument_at(latex, end)
                    .ok_or_else(|| "\\label needs an argument".to_string())?;
                out.push(' ');
                i = next;
            }
            ("tag", _) => {
                let start = if starred { end + 1 } else { end };
                let (arg, next) = argument_at(latex, start)
                    .ok_or_else(|| "\\tag needs an argument".to_string())?;
                out.push_str("\\qquad (\\text{");
                out.push_str(arg);
                out.push_str("})");
                i = next;
            }
            _ => {
                out.push_str(&latex[i..end]);
                i = end;
            }
        }
    }
    Ok(wrap_top_level_rows(out))
}

/// KaTeX accepts `\\` (and `&`) outside any environment in display math (`$$a \\ b$$`);
/// pulldown-latex does not. Such a source is wrapped in `aligned` (with `&`) or `gathered`.
fn wrap_top_level_rows(src: String) -> String {
    let bytes = src.as_bytes();
    let (mut depth, mut rows, mut amp) = (0usize, false, false);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let rest = &src[i + 1..];
            if rest.starts_with("begin") {
                depth += 1;
            } else if rest.starts_with("end") {
                depth = depth.saturating_sub(1);
            } else if rest.starts_with('\\') && depth == 0 {
                rows = true;
            }
            i += 2;
            continue;
        }
        if bytes[i] == b'&' && depth == 0 {
            amp = true;
        }
        i += 1;
    }
    if !rows {
        return src;
    }
    let env = if amp { "aligned" } else { "gathered" };
    format!("\\begin{{{env}}}{src}\\end{{{env}}}")
}

/// Turns pulldown-latex's multi-line error report into one line:
/// `unknown primitive command found near "\foo{x}"`.
fn describe_error(report: &str) -> String {
    let mut lines = report.lines();
    let first = lines.next().unwrap_or("parse error");
    let reason = first.trim_start_matches("parsing error: ").trim();
    let all: Vec<&str> = report.lines().collect();
    let caret = all.iter().position(|l| {
        let t = l.trim_start_matches('│').trim();
        !t.is_empty() && t.chars().all(|c| c == '^')
    });
    let context = caret
        .and_then(|k| k.checked_sub(1))
        .map(|k| {
            all[k]
                .trim_start_matches('│')
                .trim_start_matches(['…', ' '])
                .trim()
        })
        .filter(|s| !s.is_empty());
    match context {
        Some(ctx) => format!("{reason} near \"{ctx}\""),
        None => reason.to_string(),
    }
}

#[derive(Clone, Copy)]
struct Ctx {
    font: Font,
    frac: FracStyle,
}

struct Builder<'a> {
    events: Vec<Event<'a>>,
    pos: usize,
    depth: usize,
    /// Row boundaries with `\hline` seen by the last table [`Builder::sequence`].
    hlines: Vec<usize>,
}

/// Rows of cells of nodes (a plain group is one row of one cell).
type Cells = Vec<Vec<Vec<Node>>>;

impl Builder<'_> {
    fn next(&mut self) -> Option<Event<'_>> {
        let e = self.events.get(self.pos).cloned();
        self.pos += 1;
        e
    }

    /// Reads elements until the matching `End` (or the end of input when `closed` is false).
    /// With `table`, `&` and `\\` split the content into cells and rows.
    fn sequence(&mut self, start: Ctx, closed: bool, table: bool) -> Result<Cells, String> {
        let mut rows: Cells = vec![vec![Vec::new()]];
        let mut hlines = Vec::new();
        let mut ctx = start;
        loop {
            let Some(ev) = self.events.get(self.pos) else {
                if closed {
                    return Err("unbalanced group".into());
                }
                return Ok(rows);
            };
            match ev {
                Event::End => {
                    self.pos += 1;
                    if !closed {
                        return Err("unexpected end of group".into());
                    }
                    if table {
                        self.hlines = hlines;
                    }
                    return Ok(rows);
                }
                Event::StateChange(change) => {
                    match change {
                        StateChange::Font(f) => ctx.font = map_font(*f),
                        StateChange::Style(Style::Display) => ctx.frac = FracStyle::Display,
                        StateChange::Style(_) => ctx.frac = FracStyle::Text,
                        StateChange::Color(_) => {}
                    }
                    self.pos += 1;
                }
                Event::EnvironmentFlow(flow) => {
                    if !table {
                        return Err("alignment outside an environment".into());
                    }
                    match flow {
                        EnvironmentFlow::Alignment => {
                            if let Some(row) = rows.last_mut() {
                                row.push(Vec::new());
                            }
                        }
                        EnvironmentFlow::NewLine {
                            horizontal_lines, ..
                        } => {
                            if !horizontal_lines.is_empty() {
                                hlines.push(rows.len());
                            }
                            rows.push(vec![Vec::new()]);
                        }
                        EnvironmentFlow::StartLines { lines } => {
                            if !lines.is_empty() {
                                hlines.push(0);
                            }
                        }
                    }
                    ctx = start;
                    self.pos += 1;
                }
                _ => {
                    let node = self.element(ctx)?;
                    let cell = rows
                        .last_mut()
                        .and_then(|r| r.last_mut())
                        .ok_or_else(|| "internal: no cell".to_string())?;
                    push_merging(cell, node);
                }
            }
        }
    }

    /// One element: content, a group, a visual with its operands, or a script with its parts.
    fn element(&mut self, ctx: Ctx) -> Result<Node, String> {
        self.depth += 1;
        if self.depth > MAX_TREE_DEPTH {
            return Err(format!(
                "expression nested too deeply (limit {MAX_DEPTH} levels)"
            ));
        }
        let node = self.element_inner(ctx);
        self.depth -= 1;
        node
    }

    fn element_inner(&mut self, ctx: Ctx) -> Result<Node, String> {
        let Some(ev) = self.next() else {
            return Err("missing argument".into());
        };
        Ok(match ev {
            Event::Content(c) => Node::Atom(atom(c, ctx)?),
            Event::Begin(g) => self.group(g, ctx)?,
            Event::End => return Err("unexpected end of group".into()),
            Event::Visual(v) => match v {
                Visual::SquareRoot => Node::Sqrt {
                    body: Box::new(self.element(ctx)?),
                    index: None,
                },
                Visual::Root => {
                    let body = Box::new(self.element(ctx)?);
                    let index = Some(Box::new(self.element(ctx)?));
                    Node::Sqrt { body, index }
                }
                Visual::Fraction(bar) => {
                    let num = Box::new(self.element(ctx)?);
                    let den = Box::new(self.element(ctx)?);
                    Node::Frac {
                        num,
                        den,
                        rule: bar.is_none_or(|d| d.value != 0.0),
                        style: ctx.frac,
                    }
                }
                Visual::Negation => Node::Negated(Box::new(self.element(ctx)?)),
            },
            Event::Script { ty, position } => {
                let base = self.element(ctx)?;
                let (sub, sup) = match ty {
                    ScriptType::Subscript => (Some(self.element(ctx)?), None),
                    ScriptType::Superscript => (None, Some(self.element(ctx)?)),
                    ScriptType::SubSuperscript => {
                        let sub = self.element(ctx)?;
                        (Some(sub), Some(self.element(ctx)?))
                    }
                };
                let place = match position {
                    ScriptPosition::Right => Place::Right,
                    ScriptPosition::AboveBelow => Place::AboveBelow,
                    ScriptPosition::Movable => Place::Movable,
                };
                scripts(base, sub, sup, place)
            }
            Event::Space { width, .. } => Node::Space(space_columns(width)),
            // A state change where an element is expected (e.g. `x^\displaystyle`): no content.
            Event::StateChange(_) => Node::empty(),
            Event::EnvironmentFlow(_) => return Err("misplaced `&` or `\\\\`".into()),
        })
    }

    fn group(&mut self, g: Grouping, ctx: Ctx) -> Result<Node, String> {
        let table = |kind, align: Vec<Align>, vertical: Vec<usize>, b: &mut Self| {
            b.hlines.clear();
            let rows = b.sequence(ctx, true, true)?;
            let rows = rows
                .into_iter()
                .map(|r| r.into_iter().map(Node::Row).collect())
                .collect::<Vec<Vec<Node>>>();
            let rows = trim_last_empty_row(rows);
            let mut horizontal = std::mem::take(&mut b.hlines);
            horizontal.retain(|h| *h <= rows.len());
            Ok::<Node, String>(Node::Table {
                kind,
                rows,
                align,
                rules: Rules {
                    vertical,
                    horizontal,
                },
            })
        };
        match g {
            Grouping::Normal => {
                let cells = self.sequence(ctx, true, false)?;
                let mut row = flatten_single(cells);
                // TeX makes a braced group an ordinary atom: `1{,}216` is a
                // thousands separator, not a comma followed by a space.
                if let [Node::Atom(atom)] = row.as_mut_slice()
                    && atom.class == Class::Punct
                {
                    atom.class = Class::Ord;
                }
                Ok(Node::Row(row))
            }
            Grouping::LeftRight(open, close) => {
                let cells = self.sequence(ctx, true, false)?;
                Ok(Node::Fenced {
                    open,
                    close,
                    body: Box::new(Node::Row(flatten_single(cells))),
                })
            }
            Grouping::Equation { .. } => {
                let cells = self.sequence(ctx, true, true)?;
                Ok(Node::Row(flatten_single(cells)))
            }
            Grouping::Matrix { alignment } => table(
                TableKind::Matrix,
                vec![map_align(alignment)],
                Vec::new(),
                self,
            ),
            Grouping::SubArray { alignment } => table(
                TableKind::Matrix,
                vec![map_align(alignment)],
                Vec::new(),
                self,
            ),
            Grouping::Array(cols) => {
                let mut align = Vec::new();
                let mut vertical = Vec::new();
                for c in cols.iter() {
                    match c {
                        pulldown_latex::event::ArrayColumn::Column(a) => align.push(map_align(*a)),
                        pulldown_latex::event::ArrayColumn::Separator(_) => {
                            if vertical.last() != Some(&align.len()) {
                                vertical.push(align.len());
                            }
                        }
                    }
                }
                table(TableKind::Matrix, align, vertical, self)
            }
            Grouping::Cases { left } => {
                let t = table(TableKind::Cases, Vec::new(), Vec::new(), self)?;
                Ok(if left {
                    Node::Fenced {
                        open: Some('{'),
                        close: None,
                        body: Box::new(t),
                    }
                } else {
                    Node::Fenced {
                        open: None,
                        close: Some('}'),
                        body: Box::new(t),
                    }
                })
            }
            Grouping::Align { .. }
            | Grouping::Aligned
            | Grouping::Alignat { .. }
            | Grouping::Alignedat { .. }
            | Grouping::Split => table(TableKind::Aligned, Vec::new(), Vec::new(), self),
            Grouping::Gather { .. } | Grouping::Gathered | Grouping::Multline => {
                table(TableKind::Gather, Vec::new(), Vec::new(), self)
            }
        }
    }
}

/// A trailing `\\` before `\end{...}` leaves an empty last row; LaTeX does not show it.
fn trim_last_empty_row(mut rows: Vec<Vec<Node>>) -> Vec<Vec<Node>> {
    if rows.len() > 1
        && rows
            .last()
            .is_some_and(|r| r.len() == 1 && matches!(&r[0], Node::Row(v) if v.is_empty()))
    {
        rows.pop();
    }
    rows
}

fn flatten_single(cells: Cells) -> Vec<Node> {
    cells.into_iter().flatten().flatten().collect::<Vec<Node>>()
}

/// Appends a node, merging `\arg` with a following `\min`/`\max` (with or without limits) into
/// one operator name so that the limits sit under the whole of "arg min".
fn push_merging(cell: &mut Vec<Node>, node: Node) {
    let prev_is_arg =
        matches!(cell.last(), Some(Node::Atom(a)) if a.class == Class::Func && a.text == "arg");
    if prev_is_arg {
        let merged = match node {
            Node::Atom(mut a) if a.class == Class::Func => {
                a.text = format!("arg {}", a.text);
                Some(Node::Atom(a))
            }
            Node::Scripts {
                base,
                sub,
                sup,
                place,
            } if matches!(&*base, Node::Atom(a) if a.class == Class::Func) => {
                let Node::Atom(mut a) = *base else {
                    unreachable!("checked by the guard above")
                };
                a.text = format!("arg {}", a.text);
                Some(Node::Scripts {
                    base: Box::new(Node::Atom(a)),
                    sub,
                    sup,
                    place,
                })
            }
            other => {
                cell.push(other);
                None
            }
        };
        if let Some(m) = merged {
            cell.pop();
            cell.push(m);
        }
    } else {
        cell.push(node);
    }
}

/// Builds a script node, recognising accents (`\hat x` is a superscript `^` above `x`) and
/// braces (`\underbrace`), which pulldown-latex encodes as above/below scripts.
fn scripts(base: Node, sub: Option<Node>, sup: Option<Node>, place: Place) -> Node {
    let mark = |n: &Option<Node>| -> Option<char> {
        match n {
            Some(Node::Atom(a)) if a.class == Class::Ord => {
                let mut cs = a.text.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => Some(c),
                    _ => None,
                }
            }
            _ => None,
        }
    };
    if place == Place::AboveBelow {
        if sub.is_none()
            && let Some(c) = mark(&sup)
        {
            let accent = match c {
                '^' => Some(Accent::Hat),
                '~' => Some(Accent::Tilde),
                '‾' => Some(Accent::Bar),
                '→' => Some(Accent::Vec),
                '˙' => Some(Accent::Dot),
                '¨' => Some(Accent::Ddot),
                '´' => Some(Accent::Acute),
                '`' => Some(Accent::Grave),
                '˘' => Some(Accent::Breve),
                'ˇ' => Some(Accent::Check),
                '˚' => Some(Accent::Ring),
                '←' | '⇒' | '↔' | '↼' | '⇀' | '⏜' | '⏠' | '⎴' => {
                    Some(Accent::Other(c))
                }
                _ => None,
            };
            if c == '⏞' {
                return Node::Brace {
                    base: Box::new(base),
                    over: true,
                };
            }
            if let Some(accent) = accent {
                return Node::Accent {
                    base: Box::new(base),
                    accent,
                };
            }
        }
        if sup.is_none()
            && let Some(c) = mark(&sub)
        {
            match c {
                '_' => {
                    return Node::Accent {
                        base: Box::new(base),
                        accent: Accent::Underline,
                    };
                }
                '⏟' | '⏝' | '⏡' | '⎵' => {
                    return Node::Brace {
                        base: Box::new(base),
                        over: false,
                    };
                }
                _ => {}
            }
        }
    }
    Node::Scripts {
        base: Box::new(base),
        sub: sub.map(Box::new),
        sup: sup.map(Box::new),
        place,
    }
}

fn atom(c: Content<'_>, ctx: Ctx) -> Result<Atom, String> {
    // Control and bidi characters would corrupt the terminal or reorder the
    // line: shown as U+FFFD, one column, before layout measures anything.
    // pulldown-latex hands back `\mu` as U+00B5 MICRO SIGN, which is not the
    // Greek letter (fonts draw it differently, the ascii set has no name for
    // it): use U+03BC.
    let unsafe_char = crate::content::sanitize::is_unsafe;
    let mk = |text: String, class: Class, font: Font| Atom {
        text: if text.chars().any(|c| unsafe_char(c) || c == '\u{B5}') {
            text.chars()
                .map(|c| match c {
                    '\u{B5}' => '\u{3BC}',
                    c if unsafe_char(c) => '\u{FFFD}',
                    c => c,
                })
                .collect()
        } else {
            text
        },
        class,
        font,
    };
    Ok(match c {
        Content::Text(s) => mk(
            clean_text(s)?,
            Class::Text,
            if ctx.font == Font::Normal {
                Font::Upright
            } else {
                ctx.font
            },
        ),
        Content::Number(s) => mk(s.to_string(), Class::Num, ctx.font),
        Content::Function(s) => mk(
            clean_operator_name(s)?,
            Class::Func,
            bold_or_upright(ctx.font),
        ),
        // `\colon` arrives as an ordinary `:`; TeX spaces it as punctuation (`f: A → B`).
        Content::Ordinary { content: ':', .. } => mk(":".into(), Class::Punct, ctx.font),
        Content::Ordinary { content, .. } => mk(content.to_string(), Class::Ord, ctx.font),
        Content::LargeOp { content, .. } => mk(content.to_string(), Class::LargeOp, ctx.font),
        Content::BinaryOp { content, .. } => mk(content.to_string(), Class::Bin, ctx.font),
        Content::Relation { content, .. } => {
            let mut buf = [0u8; 8];
            let bytes = content.encode_utf8_to_buf(&mut buf);
            let text = std::str::from_utf8(bytes)
                .map_err(|_| "internal: relation is not UTF-8".to_string())?
                .to_string();
            mk(text, Class::Rel, ctx.font)
        }
        Content::Delimiter { content, ty, .. } => mk(
            content.to_string(),
            match ty {
                DelimiterType::Open => Class::Open,
                DelimiterType::Close => Class::Close,
                DelimiterType::Fence => Class::Ord,
            },
            ctx.font,
        ),
        // TeX's period is an ordinary symbol (mathcode class 0), not
        // punctuation like `,` and `;`: `0..i` has no space after its dots.
        Content::Punctuation('.') => mk(".".into(), Class::Ord, ctx.font),
        Content::Punctuation(c) => mk(c.to_string(), Class::Punct, ctx.font),
    })
}

fn bold_or_upright(f: Font) -> Font {
    if f.is_bold() {
        Font::Bold
    } else {
        Font::Upright
    }
}

/// `\text{...}` arrives as raw source: resolve escaped characters, refuse other commands.
fn clean_text(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('$' | '%' | '&' | '_' | '#' | '{' | '}')) => out.push(e),
                Some(' ') => out.push(' '),
                Some(e) if e.is_ascii_alphabetic() => {
                    let mut name = String::from(e);
                    while let Some(&n) = chars.peek() {
                        if !n.is_ascii_alphabetic() {
                            break;
                        }
                        name.push(n);
                        chars.next();
                    }
                    return Err(format!("unsupported command \\{name} inside \\text"));
                }
                _ => return Err("stray backslash inside \\text".into()),
            },
            '{' | '}' => {}
            '~' => out.push(' '),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// `\operatorname{arg\,min}` arrives as raw source: turn spacing commands into spaces.
fn clean_operator_name(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(',' | ':' | ';' | ' ' | '>') => out.push(' '),
                Some('!') => {}
                Some(e @ ('_' | '{' | '}' | '&' | '%' | '$' | '#')) => out.push(e),
                _ => return Err(format!("unsupported command inside operator name {s:?}")),
            },
            '{' | '}' => {}
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Ok(out)
}

fn map_font(f: Option<PFont>) -> Font {
    match f {
        None => Font::Normal,
        Some(f) => match f {
            PFont::BoldScript => Font::BoldScript,
            PFont::BoldItalic | PFont::BoldSymbol => Font::BoldItalic,
            PFont::Bold => Font::Bold,
            PFont::Fraktur => Font::Fraktur,
            PFont::Script => Font::Script,
            PFont::Monospace => Font::Monospace,
            PFont::SansSerif => Font::SansSerif,
            PFont::DoubleStruck | PFont::DoubleStruckItalic => Font::DoubleStruck,
            PFont::Italic => Font::Italic,
            PFont::BoldFraktur => Font::BoldFraktur,
            PFont::SansSerifBoldItalic => Font::SansSerifBoldItalic,
            PFont::SansSerifItalic => Font::SansSerifItalic,
            PFont::BoldSansSerif => Font::BoldSansSerif,
            PFont::UpRight => Font::Upright,
        },
    }
}

fn map_align(a: ColumnAlignment) -> Align {
    match a {
        ColumnAlignment::Left => Align::Left,
        ColumnAlignment::Center => Align::Center,
        ColumnAlignment::Right => Align::Right,
    }
}

/// Terminal columns for a LaTeX space: anything positive is at least one column,
/// `\quad` (1em) is two, capped at eight.
fn space_columns(width: Option<Dimension>) -> usize {
    let Some(d) = width else { return 0 };
    let em = match d.unit {
        DimensionUnit::Em => d.value,
        DimensionUnit::Mu => d.value / 18.0,
        DimensionUnit::Ex => d.value * 0.5,
        DimensionUnit::Pt | DimensionUnit::Bp | DimensionUnit::Dd => d.value / 10.0,
        DimensionUnit::Pc | DimensionUnit::Cc => d.value * 1.2,
        DimensionUnit::Mm => d.value * 0.28,
        DimensionUnit::Cm => d.value * 2.8,
        DimensionUnit::In => d.value * 7.2,
        DimensionUnit::Sp => 0.0,
    };
    if em.is_nan() || em <= 0.01 {
        0
    } else if em < 0.75 {
        1
    } else {
        // Bounded above by the clamp, so the cast cannot overflow.
        ((em * 2.0).round().clamp(1.0, 8.0)) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprocess_rewrites() {
        assert_eq!(preprocess(r"\bm{x}").unwrap(), r"\boldsymbol{x}");
        assert_eq!(
            preprocess(r"\operatorname*{arg\,max}_x f").unwrap(),
            r"\operatorname{arg\,max}\limits _x f"
        );
        assert_eq!(preprocess(r"a \nonumber").unwrap(), "a  ");
        assert_eq!(preprocess(r"\bmod").unwrap(), r"\bmod");
    }

    #[test]
    fn errors_are_one_line() {
        let e = parse(r"\foo{x}").unwrap_err();
        assert!(!e.contains('\n'), "{e}");
        assert!(e.contains("\\foo"), "{e}");
    }

    /// pulldown-latex 0.8 panicked on these (slicing inside a multi-byte character
    /// after `\char` and after a dimension's optional space); now each is either
    /// rendered or refused with a reason, never a panic.
    #[test]
    fn multibyte_after_char_and_dimensions_never_panics() {
        assert!(parse("\\charé").unwrap_err().contains("\\char"));
        assert!(parse("\\char").is_err());
        assert!(parse("\\char 65").is_ok());
        assert!(parse("a\\\\char").is_ok(), "a row break, then the letters");
        for space in [
            '\u{a0}', '\u{3000}', '\u{2003}', '\u{2029}', '\u{2028}', '\u{85}',
        ] {
            for cmd in [
                "\\kern1em",
                "\\hspace{1em}",
                "\\kern 2pt",
                "\\mkern3mu",
                "\\char65",
            ] {
                let src = format!("{cmd}{space}x");
                let _ = parse(&src);
            }
        }
        assert!(parse("\\kern1em\u{a0}x").is_ok());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}x{}", "{".repeat(200), "}".repeat(200));
        assert!(parse(&deep).unwrap_err().contains("nested"));
        let chain = r"\sqrt".repeat(300) + "x";
        assert!(parse(&chain).is_err());
    }
}
