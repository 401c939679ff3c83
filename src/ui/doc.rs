//! The derivation pane's text: our document tree laid out as styled, wrapped
//! lines for one width. Pure (no terminal, no state): the app calls it when the
//! part, the width or the math settings change and keeps the result, and drawing
//! only slices it.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::highlight::highlight;
use super::theme::Theme;
use super::wrap::{Tokens, spans_width, wrap, wrap_tracked};
use crate::content::links::is_anchor;
use crate::content::markdown::{Align, Block, Inline, TextStyle};
use crate::content::{EntryRef, Notebook};
use crate::math::{self, Glyphs, MathSpan};

/// How math is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MathSettings {
    /// Rendered (true) or the LaTeX source (false, also how a user copies it).
    pub rendered: bool,
    pub glyphs: Glyphs,
}

impl Default for MathSettings {
    fn default() -> Self {
        MathSettings {
            rendered: true,
            glyphs: Glyphs::Unicode,
        }
    }
}

/// Lay out one notebook entry (a statement or a part) at `width` columns.
pub fn entry_lines(
    notebook: &Notebook,
    entry: EntryRef,
    width: u16,
    math: MathSettings,
    theme: &Theme,
) -> Vec<Line<'static>> {
    entry_layout(notebook, entry, width, math, theme).0
}

/// The entry's lines and, for each top-level block of its body, the line it
/// starts on (so a search hit, which names a block, can be scrolled to).
pub fn entry_layout(
    notebook: &Notebook,
    entry: EntryRef,
    width: u16,
    math: MathSettings,
    theme: &Theme,
) -> (Vec<Line<'static>>, Vec<usize>) {
    let l = layout_entry(notebook, entry, width, math, theme);
    (l.lines, l.starts)
}

/// One link of a laid-out entry, numbered in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLink {
    /// Its destination: an anchor (`#3b`) or an external address.
    pub dest: String,
    /// The top-level block it is in.
    pub block: Option<usize>,
    /// Where its text is drawn: (line, column, width) for each piece. Empty
    /// for links the layout does not place (inside tables).
    pub cells: Vec<(usize, usize, usize)>,
}

/// An entry laid out for one width: its lines, and the document positions
/// (blocks, list items, links) mapped to lines, so state that names a
/// position (a search hit, an outline entry, an exam step, a link) survives
/// re-wrapping.
#[derive(Debug, Clone, Default)]
pub struct EntryLayout {
    pub lines: Vec<Line<'static>>,
    /// First line of each top-level block.
    pub starts: Vec<usize>,
    /// First line of each item of a top-level list: (block, item, line).
    pub items: Vec<(usize, usize, usize)>,
    pub links: Vec<DocLink>,
}

/// [`entry_layout`] with links and list items.
pub fn layout_entry(
    notebook: &Notebook,
    entry: EntryRef,
    width: u16,
    math: MathSettings,
    theme: &Theme,
) -> EntryLayout {
    super::highlight::reset_budget();
    let mut r = Renderer {
        width: usize::from(width).max(1),
        math,
        theme,
        out: Vec::new(),
        starts: Vec::new(),
        items: Vec::new(),
        links: std::cell::RefCell::new(Vec::new()),
    };
    let problem = notebook.problem(entry);
    match notebook.part(entry) {
        None => {
            r.blocks(&problem.statement, &Prefix::none());
            if !problem.parts.is_empty() {
                r.gap();
                r.prose(
                    &[("Parts (press n for the next):", theme.dim)],
                    &Prefix::none(),
                );
                for part in &problem.parts {
                    // Notes' ids are long slugs: a bullet instead.
                    let id = if problem.plain {
                        Span::styled("  • ", theme.accent)
                    } else {
                        Span::styled(format!("  {:<4}", part.id), theme.accent)
                    };
                    let pad = Span::raw(" ".repeat(id.width()));
                    let mut t = Tokens::default();
                    t.text(&part.title, Style::new());
                    // Kept with the title's last word, two spaces and all.
                    if !problem.plain {
                        t.atom(&format!("  [{} pts]", part.points), theme.dim);
                    }
                    let p = Prefix::none().then(id, pad, r.width);
                    let lines = wrap(&t.finish(), r.width, &p.first, &p.rest);
                    r.out.extend(lines);
                }
            }
        }
        Some(part) => {
            r.blocks(&part.body, &Prefix::none());
            // The marker is for the notebook format: notes need no Solution.
            if !part.has_solution && !problem.plain {
                r.gap();
                let bar = Span::styled("▌ ", theme.not_written);
                r.prose(
                    &[("Solution: not yet written.", theme.not_written)],
                    &Prefix::none().then(bar.clone(), bar, r.width),
                );
            }
        }
    }
    let links = r.links.into_inner();
    EntryLayout {
        lines: fit_width(r.out, r.width),
        starts: r.starts,
        items: r.items,
        links,
    }
}

/// The width contract's safety net: every line at most `width` columns. Layout
/// already wraps to the width; a line that is still wider (a prefix deeper than
/// a tiny width, a wide character in a one-column pane) is split between
/// characters, and a character wider than the whole width shows as `…`.
pub fn fit_width(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    if lines.iter().all(|l| l.width() <= width) {
        return lines;
    }
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let style = line.style;
        let mut current: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        for span in line.spans {
            let mut chunk = String::new();
            let mut prev: Option<char> = None;
            for c in span.content.chars() {
                // Measured as a string with the previous character, the way
                // `Line::width` measures: `1` + VS16 is a two-column emoji.
                let w = match prev {
                    Some(p) => {
                        let mut pair = String::from(p);
                        pair.push(c);
                        pair.width().saturating_sub(p.to_string().width())
                    }
                    None => c.width().unwrap_or(0),
                };
                prev = Some(c);
                let (c, cw) = match w {
                    w if w > width => ('…', 1),
                    w => (c, w),
                };
                if used + cw > width {
                    current.push(Span::styled(std::mem::take(&mut chunk), span.style));
                    out.push(Line::from(std::mem::take(&mut current)).style(style));
                    used = 0;
                }
                chunk.push(c);
                used += cw;
            }
            if !chunk.is_empty() {
                current.push(Span::styled(chunk, span.style));
            }
        }
        out.push(Line::from(current).style(style));
    }
    out
}

#[derive(Clone)]
struct Prefix {
    first: Vec<Span<'static>>,
    rest: Vec<Span<'static>>,
}

impl Prefix {
    fn none() -> Self {
        Prefix {
            first: Vec::new(),
            rest: Vec::new(),
        }
    }

    /// After the first line has been used, every line takes `rest`.
    fn continued(&self) -> Self {
        Prefix {
            first: self.rest.clone(),
            rest: self.rest.clone(),
        }
    }

    /// One more level of nesting. Prefixes take at most half of `width`: deeper
    /// levels add no more indentation (the first line still gets its marker
    /// while it fits), so text always keeps room and no line carries more than
    /// `width / 2` columns of prefix however deep the nesting.
    fn then(&self, first: Span<'static>, rest: Span<'static>, width: usize) -> Self {
        let cap = width / 2;
        let mut f = self.first.clone();
        let mut r = self.rest.clone();
        if spans_width(&r) + rest.width() <= cap {
            f.push(first);
            r.push(rest);
        } else if first.content != rest.content && spans_width(&f) + first.width() < width {
            f.push(first);
        }
        Prefix { first: f, rest: r }
    }
}

struct Renderer<'a> {
    width: usize,
    math: MathSettings,
    theme: &'a Theme,
    out: Vec<Line<'static>>,
    /// First line of each top-level block, in order.
    starts: Vec<usize>,
    /// First line of each item of a top-level list.
    items: Vec<(usize, usize, usize)>,
    /// Links in reading order, as their text is tokenised (a cell, since
    /// tokenising reads `&self`).
    links: std::cell::RefCell<Vec<DocLink>>,
}

impl Renderer<'_> {
    fn line(&mut self, spans: Vec<Span<'static>>) {
        self.out.push(Line::from(spans));
    }

    fn gap(&mut self) {
        if self.out.last().is_some_and(|l| l.width() > 0) {
            self.out.push(Line::default());
        }
    }

    fn blocks(&mut self, blocks: &[Block], prefix: &Prefix) {
        self.blocks_spaced(blocks, prefix, true);
    }

    /// Blocks one after another; `spaced` puts a blank line between them (list
    /// items are tight: a nested list follows its item's text directly).
    fn blocks_spaced(&mut self, blocks: &[Block], prefix: &Prefix, spaced: bool) {
        let top = prefix.first.is_empty() && prefix.rest.is_empty() && spaced;
        let mut drawn = 0;
        for block in blocks {
            if let Block::Step { .. } = block {
                // Not drawn, but a position: exam mode stops here.
                if top {
                    self.starts.push(self.out.len());
                }
                continue;
            }
            let p = if drawn == 0 {
                prefix.clone()
            } else {
                prefix.continued()
            };
            if drawn > 0 && spaced {
                self.out.push(Line::from(p.first.clone()));
            }
            if top {
                self.starts.push(self.out.len());
            }
            self.block(block, &p);
            drawn += 1;
        }
    }

    /// The top-level block being laid out.
    fn current_block(&self) -> Option<usize> {
        self.starts.len().checked_sub(1)
    }

    fn block(&mut self, block: &Block, prefix: &Prefix) {
        match block {
            Block::Heading { level, text, .. } => {
                let style = self.theme.heading[usize::from(level.saturating_sub(1)).min(2)];
                self.inlines(text, style, prefix);
            }
            Block::Paragraph { text, .. } => self.inlines(text, self.theme.text, prefix),
            Block::DisplayMath { latex, .. } => self.display_math(latex, prefix),
            Block::List { start, items, .. } => {
                let depth = prefix
                    .rest
                    .iter()
                    .filter(|s| s.content.starts_with(' ') || s.content.starts_with('•'))
                    .count();
                let top = prefix.first.is_empty() && prefix.rest.is_empty();
                for (i, item) in items.iter().enumerate() {
                    if top && let Some(b) = self.current_block() {
                        self.items.push((b, i, self.out.len()));
                    }
                    let marker = match start {
                        Some(n) => format!("{}. ", n + i as u64),
                        None => format!("{} ", ["•", "◦", "▪"][depth % 3]),
                    };
                    let pad = " ".repeat(marker.width());
                    let p = if i == 0 {
                        prefix.clone()
                    } else {
                        prefix.continued()
                    };
                    let item_prefix = p.then(
                        Span::styled(marker, self.theme.accent),
                        Span::raw(pad),
                        self.width,
                    );
                    self.blocks_spaced(item, &item_prefix, false);
                }
            }
            Block::Quote { blocks, .. } => {
                let bar = Span::styled("│ ", self.theme.quote);
                let p = prefix.then(bar.clone(), bar, self.width);
                self.blocks(blocks, &p);
            }
            Block::Answer { blocks, .. } => {
                // A heavy coloured bar and a bold label, so the answer stands out
                // from quotes (thin bar) at a glance and in monochrome.
                let bar = Span::styled("┃ ", self.theme.answer_bar);
                let p = prefix.then(bar.clone(), bar, self.width);
                let mut label = Tokens::default();
                label.text("Answer", self.theme.answer_label);
                let lines = wrap(&label.finish(), self.width, &p.first, &p.rest);
                self.out.extend(lines);
                self.blocks(blocks, &p.continued());
            }
            Block::Code { lang, code, .. } => self.code(lang, code, prefix),
            Block::Table {
                align,
                header,
                rows,
                ..
            } => self.table(align, header, rows, prefix),
            Block::Step { .. } => {}
            Block::Rule { .. } => {
                let w = self.width.saturating_sub(spans_width(&prefix.first));
                let mut spans = prefix.first.clone();
                spans.push(Span::styled("─".repeat(w), self.theme.rule));
                self.line(spans);
            }
        }
    }

    fn tokens(&self, inlines: &[Inline], base: Style) -> Tokens {
        let mut t = Tokens::default();
        // The text of the link being read, to tell whether its address adds anything.
        let mut shown = String::new();
        for inline in inlines {
            match inline {
                Inline::Text(text, style) if style.link => {
                    shown.push_str(text);
                    let id = self.links.borrow().len();
                    t.text_in(text, base.patch(self.text_style(*style)), Some(id));
                }
                Inline::Text(text, style) => t.text(text, base.patch(self.text_style(*style))),
                Inline::Code(code) => t.text(code, self.theme.inline_code),
                Inline::Math(latex) => self.inline_math(&mut t, latex),
                Inline::DisplayMath(latex) => {
                    t.hard_break();
                    self.inline_math(&mut t, latex);
                    t.hard_break();
                }
                Inline::LinkTarget(url) => {
                    let mut links = self.links.borrow_mut();
                    let id = links.len();
                    links.push(DocLink {
                        dest: url.clone(),
                        block: self.current_block(),
                        cells: Vec::new(),
                    });
                    // An anchor's text says where it goes; an address is
                    // shown (it is never opened), unless it is the text.
                    if !is_anchor(url) && shown.trim() != url {
                        t.space();
                        t.text_in(&format!("<{url}>"), self.theme.dim, Some(id));
                    }
                    shown.clear();
                }
                Inline::SoftBreak => t.space(),
                Inline::HardBreak => t.hard_break(),
            }
        }
        t
    }

    fn inline_math(&self, t: &mut Tokens, latex: &str) {
        if !self.math.rendered {
            t.text(&format!("${latex}$"), self.theme.math);
            return;
        }
        let rendered = math::render_inline(latex, self.math.glyphs);
        if rendered.error.is_some() {
            // Nothing is lost: what we cannot render is shown as written.
            t.text(latex, self.theme.math);
            return;
        }
        for line in &rendered.lines {
            for span in line {
                t.text(&span.text, self.math_style(span, self.theme.math));
            }
        }
    }

    fn math_style(&self, span: &MathSpan, base: Style) -> Style {
        let mut style = base;
        if span.bold {
            style = style.add_modifier(Modifier::BOLD);
        }
        if span.italic {
            style = style.add_modifier(Modifier::ITALIC);
        }
        style
    }

    fn text_style(&self, s: TextStyle) -> Style {
        let mut style = Style::new();
        if s.emphasis {
            style = style.patch(self.theme.emphasis);
        }
        if s.strong {
            style = style.patch(self.theme.strong);
        }
        if s.strikethrough {
            style = style.add_modifier(Modifier::CROSSED_OUT);
        }
        if s.link {
            style = style.patch(self.theme.link);
        }
        style
    }

    /// Fixed text of our own (not content), wrapped like prose.
    fn prose(&mut self, runs: &[(&str, Style)], prefix: &Prefix) {
        let mut t = Tokens::default();
        for (text, style) in runs {
            t.text(text, *style);
        }
        let lines = wrap(&t.finish(), self.width, &prefix.first, &prefix.rest);
        self.out.extend(lines);
    }

    fn inlines(&mut self, inlines: &[Inline], base: Style, prefix: &Prefix) {
        let tokens = self.tokens(inlines, base).finish();
        let (lines, cells) = wrap_tracked(&tokens, self.width, &prefix.first, &prefix.rest);
        let first = self.out.len();
        let mut links = self.links.borrow_mut();
        for c in cells {
            if let Some(link) = links.get_mut(c.link) {
                link.cells.push((first + c.line, c.col, c.width));
            }
        }
        drop(links);
        self.out.extend(lines);
    }

    fn display_math(&mut self, latex: &str, prefix: &Prefix) {
        let indent = Span::raw("    ");
        let p = prefix.then(indent.clone(), indent, self.width);
        let available = self.width.saturating_sub(spans_width(&p.first));
        let mut t = Tokens::default();
        if !self.math.rendered {
            t.text(&format!("$${latex}$$"), self.theme.math);
        } else {
            let rendered = math::render_display(latex, available, self.math.glyphs);
            if rendered.error.is_some() {
                t.text(latex, self.theme.math);
            } else if rendered.one_line || rendered.lines.len() == 1 {
                // Too wide for a 2D block (or one row anyway): the one-line form,
                // wrapped like prose; the fallback is marked by its style.
                let base = if rendered.one_line {
                    self.theme.math_one_line
                } else {
                    self.theme.math
                };
                for span in rendered.lines.iter().flatten() {
                    t.text(&span.text, self.math_style(span, base));
                }
            } else {
                let block_width = rendered
                    .lines
                    .iter()
                    .map(|l| math::width(l))
                    .max()
                    .unwrap_or(0);
                let centre = " ".repeat(available.saturating_sub(block_width) / 2);
                for (i, row) in rendered.lines.iter().enumerate() {
                    let mut spans = if i == 0 {
                        p.first.clone()
                    } else {
                        p.rest.clone()
                    };
                    spans.push(Span::raw(centre.clone()));
                    spans.extend(row.iter().map(|m| {
                        Span::styled(m.text.clone(), self.math_style(m, self.theme.math))
                    }));
                    self.out.push(Line::from(spans));
                }
                return;
            }
        }
        let lines = wrap(&t.finish(), self.width, &p.first, &p.rest);
        self.out.extend(lines);
    }

    fn code(&mut self, lang: &str, code: &str, prefix: &Prefix) {
        let bar = Span::styled("▎ ", self.theme.dim);
        let p = prefix.then(bar.clone(), bar, self.width);
        if !lang.is_empty() {
            let mut spans = p.first.clone();
            spans.push(Span::styled(lang.to_string(), self.theme.dim));
            self.line(spans);
        }
        let cont = Span::styled("↪ ", self.theme.dim);
        let wrapped = p.then(Span::raw(""), cont, self.width);
        for line in highlight(code, lang).iter() {
            let mut t = Tokens::default();
            for (text, style) in line {
                t.atom(text, self.theme.code_block.patch(*style));
            }
            let lines = wrap(&t.finish(), self.width, &wrapped.first, &wrapped.rest);
            self.out.extend(lines);
        }
    }

    fn table(
        &mut self,
        align: &[Align],
        header: &[Vec<Inline>],
        rows: &[Vec<Vec<Inline>>],
        prefix: &Prefix,
    ) {
        let columns = align
            .len()
            .max(header.len())
            .max(rows.iter().map(Vec::len).max().unwrap_or(0));
        if columns == 0 {
            return;
        }
        let header_style = self.theme.table_header;
        let cell_tokens = |cells: &[Vec<Inline>], style: Style| -> Vec<Vec<super::wrap::Token>> {
            (0..columns)
                .map(|c| {
                    cells
                        .get(c)
                        .map(|cell| self.tokens(cell, style).finish())
                        .unwrap_or_default()
                })
                .collect()
        };
        let head = cell_tokens(header, header_style);
        let body: Vec<_> = rows
            .iter()
            .map(|r| cell_tokens(r, self.theme.text))
            .collect();
        let natural = |toks: &[super::wrap::Token]| -> usize {
            wrap(toks, usize::MAX / 2, &[], &[])
                .iter()
                .map(|l| l.width())
                .max()
                .unwrap_or(0)
        };
        let mut widths: Vec<usize> = (0..columns)
            .map(|c| {
                std::iter::once(&head[c])
                    .chain(body.iter().map(|r| &r[c]))
                    .map(|t| natural(t))
                    .max()
                    .unwrap_or(0)
                    .max(1)
            })
            .collect();
        // A column is never narrower than its longest word, so a cell wraps
        // only at spaces and no number or word is ever split across lines.
        let longest_word = |toks: &[super::wrap::Token]| -> usize {
            toks.iter()
                .map(|t| match t {
                    super::wrap::Token::Word(w) => super::wrap::word_width(w),
                    _ => 0,
                })
                .max()
                .unwrap_or(0)
        };
        let minimum: Vec<usize> = (0..columns)
            .map(|c| {
                std::iter::once(&head[c])
                    .chain(body.iter().map(|r| &r[c]))
                    .map(|t| longest_word(t))
                    .max()
                    .unwrap_or(0)
                    .max(1)
            })
            .collect();
        // Borders: "│ " before each column, " │" after the last, " │ " between.
        let available = self
            .width
            .saturating_sub(spans_width(&prefix.first) + 3 * columns + 1);
        if minimum.iter().sum::<usize>() > available {
            self.stacked_table(&head, &body, prefix);
            return;
        }
        while widths.iter().sum::<usize>() > available {
            // Narrow the column with the most room above its minimum.
            let Some((i, _)) = widths
                .iter()
                .zip(&minimum)
                .enumerate()
                .filter(|(_, (w, m))| w > m)
                .max_by_key(|(_, (w, _))| **w)
            else {
                break;
            };
            widths[i] -= 1;
        }
        let border = self.theme.border;
        let rule = |l: &str, m: &str, r: &str| -> Vec<Span<'static>> {
            let mut s = String::from(l);
            for (i, w) in widths.iter().enumerate() {
                s.push_str(&"─".repeat(w + 2));
                s.push_str(if i + 1 == widths.len() { r } else { m });
            }
            vec![Span::styled(s, border)]
        };
        let emit = |out: &mut Vec<Line<'static>>, first: bool, spans: Vec<Span<'static>>| {
            let mut line = if first {
                prefix.first.clone()
            } else {
                prefix.rest.clone()
            };
            line.extend(spans);
            out.push(Line::from(line));
        };
        emit(&mut self.out, true, rule("┌", "┬", "┐"));
        let first = false;
        let row_lines = |cells: &[Vec<super::wrap::Token>]| -> Vec<Vec<Span<'static>>> {
            let wrapped: Vec<Vec<Line<'static>>> = cells
                .iter()
                .zip(&widths)
                .map(|(t, w)| wrap(t, *w, &[], &[]))
                .collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
            (0..height)
                .map(|row| {
                    let mut spans = Vec::new();
                    for (c, lines) in wrapped.iter().enumerate() {
                        spans.push(Span::styled(if c == 0 { "│ " } else { " │ " }, border));
                        let line = lines.get(row).cloned().unwrap_or_default();
                        let slack = widths[c].saturating_sub(line.width());
                        let (left, right) = match align.get(c).copied().unwrap_or(Align::Left) {
                            Align::Left => (0, slack),
                            Align::Right => (slack, 0),
                            Align::Center => (slack / 2, slack - slack / 2),
                        };
                        spans.push(Span::raw(" ".repeat(left)));
                        spans.extend(line.spans);
                        spans.push(Span::raw(" ".repeat(right)));
                    }
                    spans.push(Span::styled(" │", border));
                    spans
                })
                .collect()
        };
        for spans in row_lines(&head) {
            emit(&mut self.out, first, spans);
        }
        emit(&mut self.out, first, rule("├", "┼", "┤"));
        for row in &body {
            for spans in row_lines(row) {
                emit(&mut self.out, first, spans);
            }
        }
        emit(&mut self.out, first, rule("└", "┴", "┘"));
    }

    /// A table too wide for the pane even with every column at its longest
    /// word: one record per row instead, each cell on its own line after its
    /// column's header, so every number stays whole and every line fits.
    fn stacked_table(
        &mut self,
        head: &[Vec<super::wrap::Token>],
        body: &[Vec<Vec<super::wrap::Token>>],
        prefix: &Prefix,
    ) {
        let border = self.theme.border;
        let width = self.width;
        let plain = |toks: &[super::wrap::Token]| -> String {
            wrap(toks, usize::MAX / 2, &[], &[])
                .iter()
                .map(|l| {
                    l.spans
                        .iter()
                        .map(|s| s.content.as_ref())
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        for (r, row) in body.iter().enumerate() {
            let marker = Span::styled(if r == 0 { "┌ " } else { "├ " }, border);
            let bar = Span::styled("│ ", border);
            for (c, cell) in row.iter().enumerate() {
                let label = head.get(c).map(|h| plain(h)).unwrap_or_default();
                // The block's own first line (a list bullet, say) starts the
                // table; every later line continues it.
                let mut first = if r == 0 && c == 0 {
                    prefix.first.clone()
                } else {
                    prefix.rest.clone()
                };
                first.push(if c == 0 { marker.clone() } else { bar.clone() });
                if !label.is_empty() {
                    first.push(Span::styled(format!("{label}: "), self.theme.table_header));
                }
                let mut rest = prefix.rest.clone();
                rest.push(bar.clone());
                rest.push(Span::raw("  "));
                self.out.extend(wrap(cell, width, &first, &rest));
            }
        }
        let mut end = prefix.rest.clone();
        end.push(Span::styled("└", border));
        self.out.push(Line::from(end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::Facts;
    use crate::content::{Known, Notebook, Source};

    /// Lay out a one-part notebook whose part body is `md`, as plain lines.
    fn layout(md: &str, width: u16) -> Vec<String> {
        layout_styled(md, width)
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    fn layout_styled(md: &str, width: u16) -> Vec<Line<'static>> {
        let dir = std::env::temp_dir().join(format!(
            "nnbook-doc-{}-{}",
            std::process::id(),
            md.len() as u64 * 131 + width as u64
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = format!(
            "+++\nproblem = 1\ntitle = \"T\"\npoints = 1\n[[parts]]\nid = \"1a\"\ntitle = \"A\"\npoints = 1\n+++\n## A {{#1a}}\n\n### Solution\n\n{md}\n"
        );
        std::fs::write(dir.join("p.md"), file).unwrap();
        let facts = Facts::new();
        let nb = Notebook::load(
            &Source::Dir(dir.clone()),
            &Known {
                panels: &[],
                facts: &facts,
                panel_state: crate::panels::check_state,
            },
        )
        .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let lines = entry_lines(
            &nb,
            nb.entries[1],
            width,
            MathSettings::default(),
            &Theme::default(),
        );
        lines[4..].to_vec()
    }

    #[test]
    fn paragraphs_wrap_at_word_boundaries() {
        let lines = layout("alpha beta gamma delta epsilon zeta", 16);
        assert_eq!(lines, vec!["alpha beta gamma", "delta epsilon", "zeta"]);
    }

    #[test]
    fn wide_unicode_never_overflows() {
        for line in layout_styled("漢字と かな、そして ℝᴷ ∂L/∂h 文字列の折り返し", 9)
        {
            assert!(line.width() <= 9, "{line:?}");
        }
    }

    #[test]
    fn emphasis_strong_and_code_keep_their_styles() {
        let theme = Theme::default();
        let lines = layout_styled("*it* **bold** `code`", 40);
        let spans = &lines[0].spans;
        let find = |t: &str| {
            spans
                .iter()
                .find(|s| s.content == t)
                .map(|s| s.style)
                .unwrap()
        };
        assert!(find("it").add_modifier.contains(Modifier::ITALIC));
        assert!(find("bold").add_modifier.contains(Modifier::BOLD));
        assert_eq!(find("code"), theme.inline_code);
    }

    #[test]
    fn nested_and_numbered_lists_indent() {
        let lines = layout(
            "1. one\n2. two is a longer item\n   - inner\n     - deeper",
            16,
        );
        assert_eq!(
            lines,
            vec![
                "1. one",
                "2. two is a",
                "   longer item",
                "   ◦ inner",
                "     ▪ deeper"
            ]
        );
    }

    #[test]
    fn block_quotes_get_a_bar_on_every_line() {
        let lines = layout("> a quoted line that wraps", 14);
        assert_eq!(lines, vec!["│ a quoted", "│ line that", "│ wraps"]);
    }

    #[test]
    fn answer_boxes_have_a_label_and_a_bar_within_the_width() {
        let theme = Theme::default();
        let md = "> [!answer]\n> Row 18, the Pool after the conv.\n>\n> - a listed point";
        let lines = layout(md, 16);
        assert_eq!(
            lines,
            vec![
                "┃ Answer",
                "┃ Row 18, the",
                "┃ Pool after the",
                "┃ conv.",
                "┃",
                "┃ • a listed",
                "┃   point",
            ]
        );
        let styled = layout_styled(md, 16);
        assert_eq!(styled[0].spans[0].style, theme.answer_bar);
        assert_eq!(styled[0].spans[1].style, theme.answer_label);
        // From the deepest prefix (bar and list marker) plus one character up;
        // narrower, any prefixed block (quote, list) needs more than the pane.
        for width in 5..30 {
            for line in layout_styled(md, width) {
                assert!(line.width() <= usize::from(width), "{width}: {line:?}");
            }
        }
    }

    #[test]
    fn tables_are_boxed_and_aligned() {
        let lines = layout(
            "| Layer | Params |\n|:--|--:|\n| Conv | 1,216 |\n| ReLU | 0 |",
            40,
        );
        assert_eq!(
            lines,
            vec![
                "┌───────┬────────┐",
                "│ Layer │ Params │",
                "├───────┼────────┤",
                "│ Conv  │  1,216 │",
                "│ ReLU  │      0 │",
                "└───────┴────────┘",
            ]
        );
    }

    #[test]
    fn narrow_tables_wrap_cells_instead_of_overflowing() {
        for line in layout_styled(
            "| A long header | Another long header |\n|--|--|\n| some words here | more words |",
            24,
        ) {
            assert!(line.width() <= 24, "{line:?}");
        }
    }

    #[test]
    fn links_show_their_target_and_rules_span_the_width() {
        let lines = layout("[ReNet](https://arxiv.org/abs/1505.00393)\n\n---", 60);
        assert_eq!(lines[0], "ReNet <https://arxiv.org/abs/1505.00393>");
        assert_eq!(lines[2], "─".repeat(60));
    }

    #[test]
    fn code_blocks_keep_lines_and_mark_continuations() {
        let lines = layout(
            "```python\ndef f(x):\n    return x * 2 + 1  # a long comment\n```",
            24,
        );
        assert_eq!(lines[0], "▎ python");
        assert_eq!(lines[1], "▎ def f(x):");
        assert!(lines[2].starts_with("▎     return"), "{lines:?}");
        assert!(lines[3].starts_with("▎ ↪"), "{lines:?}");
    }

    #[test]
    fn headings_take_heading_styles() {
        let theme = Theme::default();
        let lines = layout_styled("#### Deep heading", 40);
        assert_eq!(lines[0].spans[0].style, theme.heading[2]);
    }

    #[test]
    fn missing_solution_says_so() {
        let known = Known {
            panels: &crate::panels::names(),
            facts: crate::compute::facts(),
            panel_state: crate::panels::check_state,
        };
        let nb = Notebook::load(&Source::Embedded, &known).unwrap();
        for (i, e) in nb.entries.iter().enumerate() {
            if let Some(part) = nb.part(*e) {
                let text: String = entry_lines(
                    &nb,
                    nb.entries[i],
                    80,
                    MathSettings::default(),
                    &Theme::default(),
                )
                .iter()
                .flat_map(|l| l.spans.iter().map(|s| s.content.to_string()))
                .collect();
                assert_eq!(
                    text.contains("not yet written"),
                    !part.has_solution,
                    "{}",
                    part.id
                );
            }
        }
    }
}
