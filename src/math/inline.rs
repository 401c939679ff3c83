//! One-line layout: `W⁽ⁱⁿ⁾`, `∂Lₜ/∂hₜ ∈ ℝᴷ`, `hₜ = tanh(W₍ₕₕ₎hₜ₋₁ + W₍ₓₕ₎xₜ)`.
//!
//! Rules:
//! - Scripts use Unicode sub/superscript characters only when *every* character has one;
//!   otherwise `_t`, `_(yh)`, `^(H×W×C)` (parentheses when longer than one character).
//! - Fractions are `a/b`, with parentheses around a numerator or denominator that has an
//!   operator, relation, punctuation or another fraction at its top level (`(a + b)/c`), and
//!   around the whole fraction when it touches a neighbour (`(1/√2)x`).
//! - Accents are combining marks on a single character (`x̂`, `W̃`), else `hat(xy)`; ASCII
//!   always uses `hat(x)`.
//! - Matrices are `[a, b; c, d]`; `cases` is `{1, x > 0; 0, otherwise`; aligned rows are
//!   joined with `; `.
use super::ast::{Accent, Atom, Class, Node, TableKind};
use super::glyphs::{atom_text, small_delim};
use super::symbols::{convert_all, negated, plain_letter, subscript, superscript};
use super::{Glyphs, Line, extend_line, line_text, push_span};

/// Renders the whole expression on one line.
pub fn line(node: &Node, glyphs: Glyphs) -> Line {
    let r = Inline { glyphs };
    r.node(node, false).line
}

/// A rendered piece with what its neighbours need to know.
pub(crate) struct Piece {
    pub line: Line,
    /// Starts or ends with a multi-letter word (needs a space next to a letter).
    pub word: bool,
}

#[derive(Clone, Copy)]
pub(crate) struct Inline {
    pub glyphs: Glyphs,
}

/// The spacing classes of an item on its left and right edges.
pub(crate) fn classes(node: &Node) -> (Class, Class) {
    match node {
        Node::Atom(a) => (a.class, a.class),
        Node::Row(v) if v.len() == 1 => classes(&v[0]),
        Node::Scripts { base, .. } => classes(base),
        Node::Fenced { .. } => (Class::Open, Class::Close),
        Node::Negated(n) => classes(n),
        _ => (Class::Ord, Class::Ord),
    }
}

/// Spacing classes of every item of a row, with binary operators that have no left operand
/// (or no right operand) turned into ordinary symbols, as TeX does (`-x`, `(-1)`).
pub(crate) fn row_classes(items: &[Node]) -> Vec<Option<(Class, Class)>> {
    let mut out: Vec<Option<(Class, Class)>> = items
        .iter()
        .map(|n| match n {
            Node::Space(_) => None,
            n => Some(classes(n)),
        })
        .collect();
    for i in 0..out.len() {
        let Some((l, r)) = out[i] else { continue };
        if l != Class::Bin {
            continue;
        }
        let prev = out[..i].iter().rev().find_map(|c| *c).map(|c| c.1);
        let next = out[i + 1..].iter().find_map(|c| *c).map(|c| c.0);
        let unary_left = matches!(
            prev,
            None | Some(Class::Bin | Class::Rel | Class::Open | Class::Punct | Class::LargeOp)
        );
        let unary_right = matches!(next, None | Some(Class::Rel | Class::Close | Class::Punct));
        if unary_left || unary_right {
            out[i] = Some((Class::Ord, if r == Class::Bin { Class::Ord } else { r }));
        }
    }
    out
}

/// Columns of space between two items (after [`row_classes`]); `tight` inside scripts.
pub(crate) fn gap(a: Class, b: Class, tight: bool) -> usize {
    use Class::*;
    if tight {
        return 0;
    }
    match (a, b) {
        (Rel, Rel) => 0,
        (Open, _) | (_, Close) => 0,
        (Rel, _) | (_, Rel) | (Bin, _) | (_, Bin) => 1,
        (Punct, _) => 1,
        (Func, Ord | Num | Func | LargeOp | Text) => 1,
        (LargeOp, Ord | Num | Func | LargeOp | Text) => 1,
        (Ord | Num | Close, LargeOp | Func) => 1,
        _ => 0,
    }
}

/// Whether a fraction operand needs parentheses on one line: it has an operator,
/// relation, punctuation or fraction outside any brackets (`(a + b)/c`), or it is
/// a product of more than one factor (`1/(2B)`, which as `1/2B` reads as B/2). A
/// bracketed group is one factor (`(x − μ)²/c`), and so is a named function applied
/// to one (`exp(x)`) and `∂` with what it differentiates (`∂L/∂h`). A letter before
/// a group is a product as far as the notation can tell (`T(T + 1)`, `σ(x)`), so
/// it is bracketed: `1/T(T + 1)` would read as (1/T)(T + 1).
pub(crate) fn compound(node: &Node) -> bool {
    match node.unwrap_row() {
        Node::Row(items) => items.len() > 1 && row_is_compound(items),
        Node::Frac { rule: true, .. } => true,
        Node::Atom(a) => a.class == Class::Text && a.text.trim().contains(' '),
        Node::Scripts { base, .. } => matches!(classes(base).0, Class::LargeOp),
        _ => false,
    }
}

fn row_is_compound(items: &[Node]) -> bool {
    let cls = row_classes(items);
    let mut depth = 0usize;
    let mut factors = 0usize;
    // Whether the previous top-level item is a function name (`exp`), whose
    // bracketed argument belongs to it, or is `∂`.
    let mut applies = false;
    let mut partial = false;
    // An open `|x|` or `‖x‖` (bars are ordinary symbols, not brackets).
    let mut bar: Option<&str> = None;
    for (i, (c, n)) in cls.iter().zip(items).enumerate() {
        let Some((l, r)) = *c else {
            return true; // explicit space
        };
        let bar_text = match n.unwrap_row() {
            Node::Atom(a) if matches!(a.text.as_str(), "|" | "‖") => Some(a.text.as_str()),
            _ => None,
        };
        if let Some(open) = bar {
            if bar_text == Some(open) {
                bar = None;
            }
            continue;
        }
        if depth == 0
            && let Some(b) = bar_text
            && items[i + 1..]
                .iter()
                .any(|m| matches!(m.unwrap_row(), Node::Atom(a) if a.text == b))
        {
            bar = Some(b);
            if !partial {
                factors += 1;
            }
            partial = false;
            applies = false;
            continue;
        }
        if depth > 0 {
            if l == Class::Open && r != Class::Close {
                depth += 1;
            } else if r == Class::Close && l != Class::Open {
                depth -= 1;
            }
            continue;
        }
        // A function name followed by an argument without parentheses (`sin x`) is
        // spaced, so it needs the parentheses.
        let spaced_func = l == Class::Func
            && cls[i + 1..]
                .iter()
                .find_map(|c| *c)
                .is_some_and(|(nl, _)| gap(Class::Func, nl, false) > 0);
        if spaced_func
            || matches!(l, Class::Bin | Class::Rel | Class::Punct | Class::LargeOp)
            || matches!(r, Class::Bin | Class::Rel | Class::Punct)
            || matches!(n.unwrap_row(), Node::Frac { rule: true, .. })
            || matches!(n.unwrap_row(), Node::Scripts { base, .. } if matches!(base.unwrap_row(), Node::Frac { .. }))
        {
            return true;
        }
        let opens = l == Class::Open;
        if !(partial || opens && applies) {
            factors += 1;
        }
        if opens && r != Class::Close {
            depth += 1;
        }
        partial = is_partial(n);
        applies = l == Class::Func && !opens && !partial;
    }
    factors > 1
}

fn is_partial(node: &Node) -> bool {
    matches!(node.unwrap_row(), Node::Atom(a) if a.text == "∂")
}

/// Wraps `s` in parentheses unless it is one character or already one parenthesised group.
pub(crate) fn needs_script_parens(s: &str) -> bool {
    let mut chars = s.chars().filter(|c| !is_combining(*c));
    match (chars.next(), chars.next()) {
        (None, _) | (Some(_), None) => return false,
        _ => {}
    }
    if !(s.starts_with('(') && s.ends_with(')')) {
        return true;
    }
    // One group only if the opening parenthesis closes at the very end.
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 && i + 1 != s.len() {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

pub(crate) fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x20D0..=0x20FF)
}

/// The combining mark for an accent, when one exists.
pub(crate) fn combining(accent: Accent) -> Option<char> {
    Some(match accent {
        Accent::Hat => '\u{0302}',
        Accent::Tilde => '\u{0303}',
        Accent::Bar => '\u{0304}',
        Accent::Vec => '\u{20D7}',
        Accent::Dot => '\u{0307}',
        Accent::Ddot => '\u{0308}',
        Accent::Acute => '\u{0301}',
        Accent::Grave => '\u{0300}',
        Accent::Breve => '\u{0306}',
        Accent::Check => '\u{030C}',
        Accent::Ring => '\u{030A}',
        Accent::Underline => '\u{0332}',
        Accent::Other(_) => return None,
    })
}

/// The function-style name of an accent (`hat(xy)`).
pub(crate) fn accent_name(accent: Accent) -> String {
    match accent {
        Accent::Hat => "hat".into(),
        Accent::Tilde => "tilde".into(),
        Accent::Bar => "bar".into(),
        Accent::Vec => "vec".into(),
        Accent::Dot => "dot".into(),
        Accent::Ddot => "ddot".into(),
        Accent::Acute => "acute".into(),
        Accent::Grave => "grave".into(),
        Accent::Breve => "breve".into(),
        Accent::Check => "check".into(),
        Accent::Ring => "ring".into(),
        Accent::Underline => "underline".into(),
        Accent::Other(c) => c.to_string(),
    }
}

/// Whether the line is exactly one visible character (plus combining marks).
pub(crate) fn single_char(line: &[MathSpan]) -> bool {
    let text = line_text(line);
    let mut it = text.chars().filter(|c| !is_combining(*c));
    matches!((it.next(), it.next()), (Some(_), None))
}

use super::MathSpan;

impl Inline {
    fn piece(line: Line) -> Piece {
        Piece { line, word: false }
    }

    pub(crate) fn atom(&self, a: &Atom) -> Piece {
        let t = atom_text(a, self.glyphs);
        let mut line = Vec::new();
        push_span(&mut line, &t.text, t.bold, t.italic);
        Piece { line, word: t.word }
    }

    /// Lays out one node; `tight` inside scripts (no spaces around operators).
    pub(crate) fn node(&self, node: &Node, tight: bool) -> Piece {
        if !super::budget::spend() {
            return Self::piece(Vec::new());
        }
        match node {
            Node::Atom(a) => self.atom(a),
            Node::Row(items) => self.row(items, tight),
            Node::Space(n) => Self::piece(vec![MathSpan::plain(" ".repeat(*n))]),
            Node::Scripts { base, sub, sup, .. } => {
                self.scripts(base, sub.as_deref(), sup.as_deref(), tight)
            }
            Node::Frac { num, den, rule, .. } => {
                let mut line = Vec::new();
                let n = self.node(num, tight).line;
                let d = self.node(den, tight).line;
                if !rule {
                    // `\binom` (its parentheses come from the enclosing group).
                    extend_line(&mut line, &n);
                    push_span(&mut line, " choose ", false, false);
                    extend_line(&mut line, &d);
                    return Self::piece(line);
                }
                self.wrapped(&mut line, &n, compound(num));
                push_span(&mut line, "/", false, false);
                self.wrapped(&mut line, &d, compound(den));
                Self::piece(line)
            }
            Node::Sqrt { body, index } => self.sqrt(body, index.as_deref(), tight),
            Node::Accent { base, accent } => {
                let b = self.node(base, tight).line;
                let mut line = Vec::new();
                if self.glyphs != Glyphs::Ascii
                    && single_char(&b)
                    && let Some(mark) = combining(*accent)
                {
                    line = b;
                    if let Some(last) = line.last_mut() {
                        last.text.push(mark);
                    }
                    return Self::piece(line);
                }
                push_span(&mut line, &accent_name(*accent), false, false);
                push_span(&mut line, "(", false, false);
                extend_line(&mut line, &b);
                push_span(&mut line, ")", false, false);
                Self::piece(line)
            }
            Node::Brace { base, .. } => {
                // Shown as `{...}`; the label follows as a script of this node.
                let mut line = Vec::new();
                push_span(&mut line, "{", false, false);
                extend_line(&mut line, &self.node(base, tight).line);
                push_span(&mut line, "}", false, false);
                Self::piece(line)
            }
            Node::Fenced { open, close, body } => {
                let mut line = Vec::new();
                if let Some(o) = open {
                    push_span(&mut line, &small_delim(*o, self.glyphs), false, false);
                }
                extend_line(&mut line, &self.node(body, tight).line);
                if let Some(c) = close {
                    push_span(&mut line, &small_delim(*c, self.glyphs), false, false);
                }
                Self::piece(line)
            }
            Node::Table {
                kind, rows, rules, ..
            } => {
                if rules.is_box(rows.len(), rows.first().map_or(0, Vec::len)) {
                    // `\boxed{x}` on one line: `[x]`.
                    let mut line = Vec::new();
                    push_span(&mut line, "[", false, false);
                    extend_line(&mut line, &self.table(*kind, rows, tight).line);
                    push_span(&mut line, "]", false, false);
                    return Self::piece(line);
                }
                self.table(*kind, rows, tight)
            }
            Node::Negated(inner) => {
                if let Node::Atom(a) = inner.unwrap_row() {
                    let mut chars = a.text.chars();
                    if let (Some(c), None) = (chars.next(), chars.next())
                        && let Some(n) = negated(c)
                    {
                        let atom = Atom {
                            text: n.to_string(),
                            class: a.class,
                            font: a.font,
                        };
                        return self.atom(&atom);
                    }
                }
                let inner_line = self.node(inner, tight).line;
                let mut line = Vec::new();
                if self.glyphs == Glyphs::Ascii {
                    push_span(&mut line, "not ", false, false);
                    extend_line(&mut line, &inner_line);
                } else {
                    line = inner_line;
                    if let Some(first) = line.first_mut() {
                        let mut chars = first.text.chars();
                        if let Some(c) = chars.next() {
                            let rest: String = chars.collect();
                            first.text = format!("{c}\u{0338}{rest}");
                        }
                    }
                }
                Self::piece(line)
            }
        }
    }

    fn wrapped(&self, line: &mut Line, inner: &[MathSpan], parens: bool) {
        if parens {
            push_span(line, "(", false, false);
        }
        extend_line(line, inner);
        if parens {
            push_span(line, ")", false, false);
        }
    }

    pub(crate) fn row(&self, items: &[Node], tight: bool) -> Piece {
        let cls = row_classes(items);
        let mut line: Line = Vec::new();
        let mut prev: Option<(Class, bool, Option<char>)> = None; // (right class, word, last char)
        let mut word_start = false;
        let mut word_end = false;
        for (i, item) in items.iter().enumerate() {
            let Some((l, r)) = cls[i] else {
                extend_line(&mut line, &self.node(item, tight).line);
                prev = None;
                continue;
            };
            let mut piece = self.node(item, tight);
            // A one-line fraction that touches a neighbour gets parentheses: `(1/√2)x`.
            if matches!(item.unwrap_row(), Node::Frac { rule: true, .. }) && items.len() > 1 {
                let before = cls[..i].iter().rev().find_map(|c| *c);
                let after = cls[i + 1..].iter().find_map(|c| *c);
                // After a sign (`−a/b`, which reads as −(a/b) anyway) it stays bare.
                let after_sign = items[..i]
                    .iter()
                    .rev()
                    .find(|n| !matches!(n, Node::Space(_)))
                    .is_some_and(|n| classes(n).0 == Class::Bin);
                let touches_before = !after_sign
                    && before.is_some_and(|(_, pr)| gap(pr, l, tight) == 0 && pr != Class::Open);
                let touches_after = after.is_some_and(|(nl, _)| {
                    gap(r, nl, tight) == 0 && !matches!(nl, Class::Close | Class::Punct)
                });
                if touches_before || touches_after {
                    let mut w = Vec::new();
                    self.wrapped(&mut w, &piece.line, true);
                    piece.line = w;
                }
            }
            let text = line_text(&piece.line);
            let first = text.chars().next();
            if let Some((pr, pword, plast)) = prev {
                let mut g = gap(pr, l, tight);
                if g == 0
                    && (pword || piece.word)
                    && plast.is_some_and(char::is_alphanumeric)
                    && first.is_some_and(char::is_alphanumeric)
                {
                    g = 1;
                }
                if g > 0 {
                    push_span(&mut line, &" ".repeat(g), false, false);
                }
            } else if line.is_empty() {
                word_start = piece.word;
            }
            extend_line(&mut line, &piece.line);
            word_end = piece.word;
            prev = Some((r, piece.word, text.chars().last()));
        }
        Piece {
            line,
            word: word_start || word_end,
        }
    }

    fn scripts(&self, base: &Node, sub: Option<&Node>, sup: Option<&Node>, tight: bool) -> Piece {
        let b = self.node(base, tight);
        let mut line = Vec::new();
        let base_parens = matches!(
            base.unwrap_row(),
            Node::Frac { rule: true, .. } | Node::Sqrt { .. }
        );
        self.wrapped(&mut line, &b.line, base_parens);
        // A script written as `_W` must not run into a following letter: mark it as a word.
        let mut fallback = false;
        if let Some(s) = sub {
            let (l, converted) = self.script_line(s, false);
            fallback |= !converted;
            extend_line(&mut line, &l);
        }
        if let Some(s) = sup {
            let (l, converted) = self.script_line(s, true);
            fallback |= !converted;
            extend_line(&mut line, &l);
        }
        Piece {
            line,
            word: b.word || fallback,
        }
    }

    /// A script on the line: Unicode characters when every character has one, else
    /// `_x` / `^(...)`. Primes attach directly (`f′`).
    pub(crate) fn script(&self, node: &Node, sup: bool) -> Line {
        self.script_line(node, sup).0
    }

    /// [`Inline::script`], and whether the script stayed attached (Unicode characters or
    /// primes) rather than written as `_x`. The script is laid out once: nested scripts
    /// would otherwise be laid out again at every level (exponential in the depth).
    fn script_line(&self, node: &Node, sup: bool) -> (Line, bool) {
        let s = self.node(node, true).line;
        if let Some(conv) = self.convert_script(&s, sup) {
            return (conv, true);
        }
        let text = line_text(&s);
        if sup && !text.is_empty() && text.chars().all(|c| matches!(c, '′' | '″' | '‴' | '\''))
        {
            return (s, true);
        }
        let mut line = Vec::new();
        push_span(&mut line, if sup { "^" } else { "_" }, false, false);
        self.wrapped(&mut line, &s, needs_script_parens(&text));
        (line, false)
    }

    /// The script in Unicode sub/superscript characters, if every character has one.
    pub(crate) fn try_unicode_script(&self, node: &Node, sup: bool) -> Option<Line> {
        if self.glyphs == Glyphs::Ascii {
            return None;
        }
        self.convert_script(&self.node(node, true).line, sup)
    }

    /// Converts a laid-out script to sub/superscript characters (mathematical alphanumerics
    /// first go back to their plain letters: there is no subscript `𝑡`).
    fn convert_script(&self, s: &[MathSpan], sup: bool) -> Option<Line> {
        if self.glyphs == Glyphs::Ascii {
            return None;
        }
        let text = line_text(s);
        if text.is_empty() {
            return Some(Vec::new());
        }
        if sup && text.chars().all(|c| matches!(c, '′' | '″' | '‴')) {
            return Some(s.to_vec());
        }
        let f = if sup { superscript } else { subscript };
        let mut out = Vec::new();
        for span in s {
            let plain: String = span.text.chars().map(plain_letter).collect();
            let conv = convert_all(&plain, f)?;
            push_span(&mut out, &conv, span.bold, span.italic);
        }
        Some(out)
    }

    fn sqrt(&self, body: &Node, index: Option<&Node>, tight: bool) -> Piece {
        let b = self.node(body, tight).line;
        let simple = matches!(
            body.unwrap_row(),
            Node::Atom(_) | Node::Fenced { .. } | Node::Sqrt { .. }
        ) || matches!(body.unwrap_row(), Node::Scripts { base, .. } if matches!(base.unwrap_row(), Node::Atom(_)));
        let mut line = Vec::new();
        if self.glyphs == Glyphs::Ascii {
            let (open, close) = if let Some(ix) = index {
                let i = line_text(&self.node(ix, true).line);
                ("(".to_string(), format!(")^(1/{i})"))
            } else {
                ("sqrt(".to_string(), ")".to_string())
            };
            push_span(&mut line, &open, false, false);
            extend_line(&mut line, &b);
            push_span(&mut line, &close, false, false);
            return Self::piece(line);
        }
        match index.map(|ix| (ix, self.try_unicode_script(ix, true))) {
            None => push_span(&mut line, "√", false, false),
            Some((ix, conv)) => {
                let text = line_text(&self.node(ix, true).line);
                match (text.as_str(), conv) {
                    ("3", _) => push_span(&mut line, "∛", false, false),
                    ("4", _) => push_span(&mut line, "∜", false, false),
                    (_, Some(c)) => {
                        extend_line(&mut line, &c);
                        push_span(&mut line, "√", false, false);
                    }
                    (t, None) => {
                        // No superscript form for the index: write the power instead.
                        push_span(&mut line, "(", false, false);
                        extend_line(&mut line, &b);
                        push_span(&mut line, &format!(")^(1/{t})"), false, false);
                        return Self::piece(line);
                    }
                }
            }
        }
        self.wrapped(&mut line, &b, !simple);
        Self::piece(line)
    }

    fn table(&self, kind: TableKind, rows: &[Vec<Node>], tight: bool) -> Piece {
        let mut line = Vec::new();
        let (cell_sep, row_sep) = match kind {
            TableKind::Matrix | TableKind::Cases => (", ", "; "),
            TableKind::Aligned | TableKind::Gather => ("", "; "),
        };
        for (r, row) in rows.iter().enumerate() {
            if r > 0 {
                push_span(&mut line, row_sep, false, false);
            }
            if kind == TableKind::Aligned {
                // Cells of an aligned row read as one expression: `a &= b` is `a = b`.
                // Column pairs (`a &= b & c &= d`) are separated by a comma.
                for (p, pair) in row.chunks(2).enumerate() {
                    if p > 0 {
                        push_span(&mut line, ", ", false, false);
                    }
                    let items: Vec<Node> = pair
                        .iter()
                        .flat_map(|c| match c {
                            Node::Row(v) => v.clone(),
                            other => vec![other.clone()],
                        })
                        .collect();
                    extend_line(&mut line, &self.row(&items, tight).line);
                }
                continue;
            }
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    push_span(&mut line, cell_sep, false, false);
                }
                extend_line(&mut line, &self.node(cell, tight).line);
            }
        }
        Self::piece(line)
    }
}
