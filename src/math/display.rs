//! 2D layout for display math: stacked fractions with a rule, limits above and below, roots
//! with an overbar, matrices in tall brackets, aligned rows, all baseline-aligned.
//!
//! Terminal rows cannot shrink, so scripts stay on the line as Unicode sub/superscript
//! characters when every character has one (`hₜ₋₁`, `W⁽ⁱⁿ⁾`), and otherwise go one row above
//! or below, to the right of the base (`ℝ` with `H×W×C` raised). In `ascii` they stay on the
//! line as `_t`/`^(in)` (friendlier to screen readers than raised text).
use unicode_width::UnicodeWidthStr;

use super::ast::{Accent, Align, Class, FracStyle, Node, Place, Rules, TableKind};
use super::glyphs::tall_delim;
use super::inline::{Inline, combining, gap, row_classes, single_char};
use super::{Glyphs, Line, MathSpan, extend_line, line_text, push_span, width};

/// TeX's layout styles, reduced to what changes in a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `$$...$$`: fractions stacked, `\sum`/`\lim` limits above and below.
    Display,
    /// Compact: fractions `a/b` and limits to the right, matrices and aligned rows still 2D.
    Text,
    /// Inside scripts and limits: like `Text`, with no spaces around operators.
    Script,
}

/// A rectangle of text: every row is exactly `width` columns; `baseline` is the row that
/// lines up with the neighbours' baselines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub rows: Vec<Line>,
    pub width: usize,
    pub baseline: usize,
}

impl Block {
    pub fn from_line(line: Line) -> Block {
        let width = width(&line);
        Block {
            rows: vec![line],
            width,
            baseline: 0,
        }
    }

    fn text(s: &str) -> Block {
        Block::from_line(vec![MathSpan::plain(s)])
    }

    pub fn height(&self) -> usize {
        self.rows.len()
    }

    fn blank_row(w: usize) -> Line {
        if w == 0 {
            Vec::new()
        } else {
            vec![MathSpan::plain(" ".repeat(w))]
        }
    }

    /// Pads every row on the left by `left` and on the right up to `total` columns.
    fn padded(mut self, left: usize, total: usize) -> Block {
        let total = total.max(self.width + left);
        for row in &mut self.rows {
            let w = width(row);
            let mut new = Block::blank_row(left);
            extend_line(&mut new, row);
            push_span(&mut new, &" ".repeat(total - left - w), false, false);
            *row = new;
        }
        self.width = total;
        self
    }
}

/// Places blocks side by side, each with its top at `offset` rows (relative to a common
/// origin), and gives the result the baseline at origin row `baseline`.
fn place(parts: Vec<(Block, isize)>, baseline: isize) -> Block {
    let top = parts
        .iter()
        .map(|(_, o)| *o)
        .min()
        .unwrap_or(0)
        .min(baseline);
    let bottom = parts
        .iter()
        .map(|(b, o)| *o + b.height() as isize)
        .max()
        .unwrap_or(1)
        .max(baseline + 1);
    let height = (bottom - top) as usize;
    let mut rows: Vec<Line> = vec![Vec::new(); height];
    let mut total = 0;
    for (b, o) in &parts {
        let start = (*o - top) as usize;
        for (r, row) in rows.iter_mut().enumerate() {
            if r >= start && r < start + b.height() {
                extend_line(row, &b.rows[r - start]);
            } else {
                push_span(row, &" ".repeat(b.width), false, false);
            }
        }
        total += b.width;
    }
    Block {
        rows,
        width: total,
        baseline: (baseline - top) as usize,
    }
}

/// Side by side, baselines aligned.
fn hcat(blocks: Vec<Block>) -> Block {
    if blocks.is_empty() {
        return Block::from_line(Vec::new());
    }
    let parts = blocks
        .into_iter()
        .map(|b| {
            let o = -(b.baseline as isize);
            (b, o)
        })
        .collect();
    place(parts, 0)
}

/// Stacked and centred; the result's baseline is row `baseline_row` of block `baseline_of`
/// (counted from that block's top).
fn vstack(blocks: Vec<Block>, baseline_of: usize, align: Align) -> Block {
    let w = blocks.iter().map(|b| b.width).max().unwrap_or(0);
    let mut rows = Vec::new();
    let mut baseline = 0;
    for (i, b) in blocks.into_iter().enumerate() {
        if i == baseline_of {
            baseline = rows.len() + b.baseline;
        }
        let left = match align {
            Align::Left => 0,
            Align::Center => (w - b.width) / 2,
            Align::Right => w - b.width,
        };
        rows.extend(b.padded(left, w).rows);
    }
    Block {
        rows,
        width: w,
        baseline,
    }
}

/// Lays out `node` in `style`.
pub fn block(node: &Node, glyphs: Glyphs, style: Style) -> Block {
    Display { glyphs }.node(node, style)
}

struct Display {
    glyphs: Glyphs,
}

impl Display {
    fn inline(&self) -> Inline {
        Inline {
            glyphs: self.glyphs,
            plain: false,
        }
    }

    fn flat(&self, node: &Node, style: Style) -> Block {
        Block::from_line(self.inline().node(node, style == Style::Script).line)
    }

    fn node(&self, node: &Node, style: Style) -> Block {
        match node {
            Node::Atom(_) | Node::Space(_) => self.flat(node, style),
            Node::Row(items) => self.row(items, style),
            Node::Scripts {
                base,
                sub,
                sup,
                place,
            } => self.scripts(base, sub.as_deref(), sup.as_deref(), *place, style),
            Node::Frac {
                num,
                den,
                rule,
                style: fs,
            } => {
                let stacked = match fs {
                    FracStyle::Text => false,
                    FracStyle::Display => style != Style::Script,
                    FracStyle::Auto => style == Style::Display,
                };
                if !stacked && *rule {
                    return self.flat(node, style);
                }
                let inner = if style == Style::Script {
                    Style::Script
                } else {
                    style
                };
                let n = self.node(num, inner);
                let d = self.node(den, inner);
                let w = n.width.max(d.width) + if *rule { 2 } else { 0 };
                let bar = if *rule {
                    let c = if self.glyphs == Glyphs::Ascii {
                        "-"
                    } else {
                        "─"
                    };
                    Block::text(&c.repeat(w))
                } else {
                    Block::text(&" ".repeat(w))
                };
                vstack(vec![n, bar, d], 1, Align::Center)
            }
            Node::Sqrt { body, index } => {
                if style != Style::Display {
                    return self.flat(node, style);
                }
                self.sqrt(body, index.as_deref(), style)
            }
            Node::Accent { base, accent } => {
                // ASCII keeps accents on the line (`tilde(W)`), like its scripts.
                if self.glyphs == Glyphs::Ascii && self.is_flat(base, style) {
                    return self.flat(node, style);
                }
                let b = self.node(base, style);
                if b.height() == 1
                    && self.glyphs != Glyphs::Ascii
                    && single_char(&b.rows[0])
                    && combining(*accent).is_some()
                {
                    return self.flat(node, style);
                }
                self.accent(b, *accent)
            }
            Node::Brace { base, over } => {
                let b = self.node(base, style);
                let w = b.width;
                let ascii = self.glyphs == Glyphs::Ascii;
                let line = match (w, *over, ascii) {
                    (0, ..) => String::new(),
                    (1, true, false) => "⏞".into(),
                    (1, false, false) => "⏟".into(),
                    (1, true, true) => "^".into(),
                    (1, false, true) => "v".into(),
                    (_, over, false) => {
                        let (l, m, r) = if over {
                            ("╭", "┴", "╮")
                        } else {
                            ("╰", "┬", "╯")
                        };
                        let inner = w - 2;
                        let left = inner / 2;
                        if inner == 0 {
                            format!("{l}{r}")
                        } else {
                            format!(
                                "{l}{}{m}{}{r}",
                                "─".repeat(left),
                                "─".repeat(inner - left - 1)
                            )
                        }
                    }
                    (_, over, true) => {
                        let c = if over { "." } else { "'" };
                        format!("{c}{}{c}", "-".repeat(w - 2))
                    }
                };
                let mark = Block::text(&line);
                if *over {
                    vstack(vec![mark, b], 1, Align::Center)
                } else {
                    vstack(vec![b, mark], 0, Align::Center)
                }
            }
            Node::Fenced { open, close, body } => {
                let b = self.node(body, style);
                if b.height() == 1 {
                    return self.flat(node, style);
                }
                let h = b.height();
                let pad = if self.glyphs == Glyphs::Ascii { 1 } else { 0 };
                let mut parts = Vec::new();
                if let Some(o) = open {
                    parts.push((self.delim_block(*o, h), 0));
                    if pad > 0 {
                        parts.push((Block::text(" "), 0));
                    }
                }
                let baseline = b.baseline as isize;
                parts.push((b, 0));
                if let Some(c) = close {
                    if pad > 0 {
                        parts.push((Block::text(" "), 0));
                    }
                    parts.push((self.delim_block(*c, h), 0));
                }
                place(parts, baseline)
            }
            Node::Table {
                kind,
                rows,
                align,
                rules,
            } => self.table(*kind, rows, align, rules, style),
            Node::Negated(inner) => {
                let b = self.node(inner, style);
                if b.height() == 1 {
                    return self.flat(node, style);
                }
                b
            }
        }
    }

    fn delim_block(&self, c: char, h: usize) -> Block {
        let rows = tall_delim(c, h, self.glyphs);
        let w = rows.iter().map(|r| r.width()).max().unwrap_or(0);
        Block {
            rows: rows
                .into_iter()
                .map(|r| {
                    let pad = w - r.width();
                    vec![MathSpan::plain(format!("{r}{}", " ".repeat(pad)))]
                })
                .collect(),
            width: w,
            baseline: 0,
        }
    }

    fn row(&self, items: &[Node], style: Style) -> Block {
        if items.iter().all(|n| self.is_flat(n, style)) {
            return self.flat(&Node::Row(items.to_vec()), style);
        }
        let tight = style == Style::Script;
        let cls = row_classes(items);
        let mut blocks = Vec::new();
        let mut prev: Option<(Class, bool, Option<char>)> = None;
        let mut prev_stacked = false;
        for (i, item) in items.iter().enumerate() {
            let Some((l, r)) = cls[i] else {
                blocks.push(self.node(item, style));
                prev = None;
                prev_stacked = false;
                continue;
            };
            // Two stacked fractions side by side would share one long rule: keep them apart.
            let stacked =
                matches!(item.unwrap_row(), Node::Frac { .. }) && !self.is_flat(item, style);
            if stacked && prev_stacked {
                blocks.push(Block::text(" "));
            }
            prev_stacked = stacked;
            // One-line pieces are laid out by the inline renderer (which also wraps a flat
            // fraction that touches a neighbour); 2D pieces by this one.
            let (b, word) = if self.is_flat(item, style) {
                let p = self.inline().row(std::slice::from_ref(item), tight);
                let mut line = p.line;
                if matches!(item.unwrap_row(), Node::Frac { rule: true, .. }) {
                    let before = cls[..i].iter().rev().find_map(|c| *c);
                    let after = cls[i + 1..].iter().find_map(|c| *c);
                    let touches = before
                        .is_some_and(|(_, pr)| gap(pr, l, tight) == 0 && pr != Class::Open)
                        || after.is_some_and(|(nl, _)| {
                            gap(r, nl, tight) == 0 && !matches!(nl, Class::Close | Class::Punct)
                        });
                    if touches {
                        let mut w = Vec::new();
                        push_span(&mut w, "(", false, false);
                        extend_line(&mut w, &line);
                        push_span(&mut w, ")", false, false);
                        line = w;
                    }
                }
                (Block::from_line(line), p.word)
            } else {
                (self.node(item, style), false)
            };
            let base_text = line_text(&b.rows[b.baseline.min(b.height().saturating_sub(1))]);
            if let Some((pr, pword, plast)) = prev {
                let mut g = gap(pr, l, tight);
                let first = base_text.trim_start().chars().next();
                if g == 0
                    && (pword || word)
                    && plast.is_some_and(char::is_alphanumeric)
                    && first.is_some_and(char::is_alphanumeric)
                {
                    g = 1;
                }
                if g > 0 {
                    blocks.push(Block::text(&" ".repeat(g)));
                }
            }
            prev = Some((r, word, base_text.trim_end().chars().last()));
            blocks.push(b);
        }
        hcat(blocks)
    }

    /// Whether `node` renders on one line in `style` (then the inline renderer does it).
    fn is_flat(&self, node: &Node, style: Style) -> bool {
        match node {
            Node::Atom(_) | Node::Space(_) => true,
            Node::Row(items) => items.iter().all(|n| self.is_flat(n, style)),
            Node::Scripts {
                base,
                sub,
                sup,
                place,
            } => {
                let limits = match place {
                    Place::AboveBelow => true,
                    Place::Movable => style == Style::Display,
                    Place::Right => false,
                };
                !limits
                    && self.is_flat(base, style)
                    && self.scripts_flat(sub.as_deref(), sup.as_deref())
            }
            Node::Frac {
                rule,
                style: fs,
                num,
                den,
            } => {
                let stacked = match fs {
                    FracStyle::Text => false,
                    FracStyle::Display => style != Style::Script,
                    FracStyle::Auto => style == Style::Display,
                };
                (!stacked && *rule)
                    || (!stacked && self.is_flat(num, style) && self.is_flat(den, style))
            }
            Node::Sqrt { body, .. } => style != Style::Display && self.is_flat(body, style),
            Node::Accent { base, accent } => {
                self.is_flat(base, style)
                    && (self.glyphs == Glyphs::Ascii || combining(*accent).is_some())
                    && (self.glyphs == Glyphs::Ascii
                        || single_char(&self.inline().node(base, false).line))
            }
            Node::Brace { .. } | Node::Table { .. } => false,
            Node::Fenced { body, .. } => self.is_flat(body, style),
            Node::Negated(inner) => self.is_flat(inner, style),
        }
    }

    /// Scripts stay on the line when each converts to Unicode characters (or in ASCII).
    fn scripts_flat(&self, sub: Option<&Node>, sup: Option<&Node>) -> bool {
        if self.glyphs == Glyphs::Ascii {
            return true;
        }
        sub.is_none_or(|s| self.inline().try_unicode_script(s, false).is_some())
            && sup.is_none_or(|s| self.inline().try_unicode_script(s, true).is_some())
    }

    fn scripts(
        &self,
        base: &Node,
        sub: Option<&Node>,
        sup: Option<&Node>,
        place_: Place,
        style: Style,
    ) -> Block {
        let limits = match place_ {
            Place::AboveBelow => true,
            Place::Movable => style == Style::Display,
            Place::Right => false,
        };
        let b = self.node(base, style);
        if limits {
            let mut parts = Vec::new();
            let mut idx = 0;
            if let Some(s) = sup {
                parts.push(self.node(s, Style::Script));
                idx = 1;
            }
            parts.push(b);
            if let Some(s) = sub {
                parts.push(self.node(s, Style::Script));
            }
            return vstack(parts, idx, Align::Center);
        }
        // Scripts to the right: on the line when they convert, else raised/lowered blocks.
        let h = b.height() as isize;
        let base_parens = matches!(
            base.unwrap_row(),
            Node::Frac { rule: true, .. } | Node::Sqrt { .. }
        ) && h == 1;
        let b = if base_parens {
            let mut line = Vec::new();
            push_span(&mut line, "(", false, false);
            extend_line(&mut line, &b.rows[0]);
            push_span(&mut line, ")", false, false);
            Block::from_line(line)
        } else {
            b
        };
        let baseline = b.baseline as isize;
        let script = |s: &Node, is_sup: bool| -> (Block, bool) {
            if self.glyphs == Glyphs::Ascii {
                return (Block::from_line(self.inline().script(s, is_sup)), true);
            }
            match self.inline().try_unicode_script(s, is_sup) {
                Some(line) => (Block::from_line(line), true),
                None => (self.node(s, Style::Script), false),
            }
        };
        let sub_b = sub.map(|s| script(s, false));
        let sup_b = sup.map(|s| script(s, true));
        let mut parts = vec![(b, 0isize)];
        // Rows (relative to the base's top) where the sub starts and the sup ends.
        let (sub_row, sup_row) = if h == 1 {
            (
                if sub_b.as_ref().is_some_and(|x| x.1) {
                    0
                } else {
                    1
                },
                if sup_b.as_ref().is_some_and(|x| x.1) {
                    0
                } else {
                    -1
                },
            )
        } else {
            (h - 1, 0)
        };
        match (sub_b, sup_b) {
            (Some((s, _)), Some((p, _))) if sub_row == 0 && sup_row == 0 => {
                parts.push((hcat(vec![s, p]), 0));
            }
            (sub_b, sup_b) => {
                let mut col = Vec::new();
                let mut top = 0isize;
                if let Some((p, _)) = sup_b {
                    top = sup_row - p.height() as isize + 1;
                    let end = sup_row + 1;
                    col.push(p);
                    if let Some((s, _)) = &sub_b {
                        let gap = (sub_row - end).max(0) as usize;
                        for _ in 0..gap {
                            col.push(Block::text(""));
                        }
                        col.push(s.clone());
                    }
                } else if let Some((s, _)) = &sub_b {
                    top = sub_row;
                    col.push(s.clone());
                }
                if !col.is_empty() {
                    let column = vstack(col, 0, Align::Left);
                    parts.push((column, top));
                }
            }
        }
        place(parts, baseline)
    }

    fn sqrt(&self, body: &Node, index: Option<&Node>, style: Style) -> Block {
        let b = self.node(body, style);
        let ascii = self.glyphs == Glyphs::Ascii;
        let h = b.height();
        let pw = if ascii { 2 } else { 1 };
        let mut rows = Vec::new();
        let index_line = index.map(|ix| {
            self.inline()
                .try_unicode_script(ix, true)
                .filter(|_| !ascii)
                .unwrap_or_else(|| self.inline().node(ix, true).line)
        });
        let iw = index_line.as_ref().map_or(0, |l| width(l));
        let mut top = index_line.unwrap_or_default();
        push_span(&mut top, &" ".repeat(pw), false, false);
        push_span(&mut top, &"_".repeat(b.width), false, false);
        rows.push(top);
        for (r, row) in b.rows.iter().enumerate() {
            let mut line = Block::blank_row(iw);
            let prefix = match (r + 1 == h, ascii) {
                (true, false) => "√",
                (false, false) => "│",
                (true, true) => "\\/",
                (false, true) => " |",
            };
            push_span(&mut line, prefix, false, false);
            extend_line(&mut line, row);
            rows.push(line);
        }
        Block {
            rows,
            width: iw + pw + b.width,
            baseline: b.baseline + 1,
        }
    }

    fn accent(&self, b: Block, accent: Accent) -> Block {
        let w = b.width.max(1);
        let ascii = self.glyphs == Glyphs::Ascii;
        let centred = |c: &str| {
            let cw = c.width();
            let left = (w.saturating_sub(cw)) / 2;
            format!("{}{c}", " ".repeat(left))
        };
        let mark = match accent {
            Accent::Bar => "_".repeat(w),
            Accent::Underline => {
                let line = if ascii {
                    "-".repeat(w)
                } else {
                    "‾".repeat(w)
                };
                let under = Block::text(&line);
                return vstack(vec![b, under], 0, Align::Left);
            }
            Accent::Vec => {
                if ascii {
                    format!("{}>", "-".repeat(w - 1))
                } else {
                    format!("{}→", "─".repeat(w - 1))
                }
            }
            Accent::Hat => centred("^"),
            Accent::Tilde => centred("~"),
            Accent::Dot => centred(if ascii { "." } else { "˙" }),
            Accent::Ddot => centred(if ascii { ".." } else { "¨" }),
            Accent::Acute => centred(if ascii { "'" } else { "´" }),
            Accent::Grave => centred("`"),
            Accent::Breve => centred(if ascii { "u" } else { "˘" }),
            Accent::Check => centred(if ascii { "v" } else { "ˇ" }),
            Accent::Ring => centred(if ascii { "o" } else { "˚" }),
            Accent::Other(c) => {
                let mut s = String::new();
                if ascii {
                    super::glyphs::ascii_char(c, &mut s);
                } else {
                    s.push(c);
                }
                centred(&s)
            }
        };
        vstack(vec![Block::text(&mark), b], 1, Align::Left)
    }

    fn table(
        &self,
        kind: TableKind,
        rows: &[Vec<Node>],
        align: &[Align],
        rules: &Rules,
        style: Style,
    ) -> Block {
        let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
        let cell_style = match (kind, style) {
            (_, Style::Script) => Style::Script,
            // A single cell (`\boxed`) keeps the surrounding style.
            (TableKind::Matrix, s) if rows.len() == 1 && ncols == 1 => s,
            (TableKind::Matrix | TableKind::Cases, _) => Style::Text,
            (TableKind::Aligned | TableKind::Gather, s) => s,
        };
        let mut grid: Vec<Vec<Block>> = Vec::with_capacity(rows.len());
        for row in rows {
            let mut cells = Vec::with_capacity(ncols);
            for (j, cell) in row.iter().enumerate() {
                let node = if kind == TableKind::Aligned && j % 2 == 1 {
                    // `&= b`: an empty left operand keeps the relation spaced on both sides.
                    let mut items = vec![Node::empty()];
                    match cell {
                        Node::Row(v) => items.extend(v.iter().cloned()),
                        other => items.push(other.clone()),
                    }
                    Node::Row(items)
                } else {
                    cell.clone()
                };
                cells.push(self.node(&node, cell_style));
            }
            while cells.len() < ncols {
                cells.push(Block::from_line(Vec::new()));
            }
            grid.push(cells);
        }
        if grid.is_empty() || ncols == 0 {
            return Block::from_line(Vec::new());
        }
        let col_w: Vec<usize> = (0..ncols)
            .map(|j| grid.iter().map(|r| r[j].width).max().unwrap_or(0))
            .collect();
        let col_align = |j: usize| -> Align {
            match kind {
                TableKind::Aligned if j.is_multiple_of(2) => Align::Right,
                TableKind::Aligned | TableKind::Cases => Align::Left,
                TableKind::Gather => Align::Center,
                TableKind::Matrix => match align.len() {
                    0 => Align::Center,
                    1 => align[0],
                    _ => align.get(j).copied().unwrap_or(Align::Center),
                },
            }
        };
        let ascii = self.glyphs == Glyphs::Ascii;
        let vbar = if ascii { "|" } else { "│" };
        // The text between column j-1 and column j (j = 0 and j = ncols are the edges).
        let boundary = |j: usize| -> (&'static str, &'static str, &'static str) {
            let ruled = rules.vertical.contains(&j);
            let gap = match kind {
                TableKind::Aligned if j % 2 == 1 => 0,
                _ if j == 0 || j == ncols => 0,
                _ => 2,
            };
            match (ruled, j == 0, j == ncols) {
                (true, true, _) => ("", vbar, " "),
                (true, _, true) => (" ", vbar, ""),
                (true, ..) => (" ", vbar, " "),
                (false, ..) => (["", " ", "  "][gap.min(2)], "", ""),
            }
        };
        // One table row: cells padded to their columns, rule blocks as tall as the row.
        let build_row = |cells: Vec<Block>| -> Block {
            let above = cells.iter().map(|c| c.baseline).max().unwrap_or(0);
            let below = cells
                .iter()
                .map(|c| c.height() - c.baseline - 1)
                .max()
                .unwrap_or(0);
            let rule = |s: &str| Block {
                rows: vec![vec![MathSpan::plain(s)]; above + below + 1],
                width: s.width(),
                baseline: above,
            };
            let mut parts = Vec::new();
            for (j, cell) in cells.into_iter().enumerate() {
                let (l, m, r) = boundary(j);
                for piece in [l, m, r] {
                    if !piece.is_empty() {
                        parts.push(rule(piece));
                    }
                }
                let extra = col_w[j] - cell.width;
                let left = match col_align(j) {
                    Align::Left => 0,
                    Align::Center => extra / 2,
                    Align::Right => extra,
                };
                parts.push(cell.padded(left, col_w[j]));
            }
            let (l, m, r) = boundary(ncols);
            for piece in [l, m, r] {
                if !piece.is_empty() {
                    parts.push(rule(piece));
                }
            }
            hcat(parts)
        };
        let nrows = grid.len();
        // A horizontal rule at row boundary i, with joints where vertical rules cross it.
        let hrule = |i: usize| -> Block {
            let (dash, first, last) = if ascii {
                ("-", "+", "+")
            } else if i == 0 {
                ("─", "┌", "┐")
            } else if i == nrows {
                ("─", "└", "┘")
            } else {
                ("─", "├", "┤")
            };
            let cross = if ascii {
                "+"
            } else if i == 0 {
                "┬"
            } else if i == nrows {
                "┴"
            } else {
                "┼"
            };
            let mut s = String::new();
            for j in 0..=ncols {
                let (l, m, r) = boundary(j);
                s.push_str(&dash.repeat(l.width()));
                if !m.is_empty() {
                    s.push_str(if j == 0 {
                        first
                    } else if j == ncols {
                        last
                    } else {
                        cross
                    });
                }
                s.push_str(&dash.repeat(r.width()));
                if let Some(w) = col_w.get(j) {
                    s.push_str(&dash.repeat(*w));
                }
            }
            Block::text(&s)
        };
        let tall = grid.iter().flatten().any(|b| b.height() > 1);
        let mut out_rows: Vec<Block> = Vec::new();
        for (i, cells) in grid.into_iter().enumerate() {
            if rules.horizontal.contains(&i) {
                out_rows.push(hrule(i));
            } else if tall && i > 0 {
                out_rows.push(build_row(vec![Block::from_line(Vec::new()); ncols]));
            }
            out_rows.push(build_row(cells));
        }
        if rules.horizontal.contains(&nrows) {
            out_rows.push(hrule(nrows));
        }
        let total = out_rows.len();
        let single_row = nrows == 1;
        let first_is_rule = rules.horizontal.contains(&0);
        let mut b = vstack(out_rows, usize::from(first_is_rule), Align::Left);
        if !single_row {
            b.baseline = (total - 1) / 2;
        }
        b
    }
}
