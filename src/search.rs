//! Finding text across the notebook: titles, prose, math (its rendered text and
//! its LaTeX) and code. Hits point at document positions (entry, top-level
//! block, source line), not screen rows, so they survive re-wrapping on a
//! resize. One matcher serves the TUI's `/` and `nnbook search`.

use crate::content::{Block, Inline, Notebook};
use crate::math::{Glyphs, render_inline};

/// One place a query matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index into [`Notebook::entries`].
    pub entry: usize,
    /// Top-level block of the entry's body (`None`: the entry's title).
    pub block: Option<usize>,
    /// 1-based line in the content file where that block starts.
    pub line: usize,
    /// The searched text of the block, for a one-line listing.
    pub text: String,
}

/// The searchable text of every entry, built once per notebook (rendering the
/// math is the costly part); each query is then a scan over plain strings.
pub struct Index {
    docs: Vec<Doc>,
}

struct Doc {
    entry: usize,
    block: Option<usize>,
    line: usize,
    text: String,
    lower: String,
}

impl Index {
    pub fn new(notebook: &Notebook) -> Index {
        let mut docs = Vec::new();
        let mut push = |entry, block, line, text: String| {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() {
                docs.push(Doc {
                    entry,
                    block,
                    line,
                    lower: text.to_lowercase(),
                    text,
                });
            }
        };
        for (i, &entry) in notebook.entries.iter().enumerate() {
            let problem = notebook.problem(entry);
            let (title, line, body) = match notebook.part(entry) {
                Some(part) => (&part.title, part.line, &part.body),
                None => (&problem.title, problem.line, &problem.statement),
            };
            // A title that is the body's first heading (ordinary Markdown)
            // is found there; listing it twice would say it twice.
            let heading_is_title = matches!(body.first(),
                Some(Block::Heading { text, .. }) if crate::content::markdown::plain_text(text).trim() == title.trim());
            if !heading_is_title {
                push(i, None, line, title.clone());
            }
            for (b, block) in body.iter().enumerate() {
                let mut text = String::new();
                block_text(block, &mut text);
                push(i, Some(b), block_line(block), text);
            }
        }
        Index { docs }
    }

    /// Every hit of `query`, in reading order. Case-insensitive, unless the
    /// query has a capital letter (smart case, as in vim and ripgrep).
    pub fn find(&self, query: &str) -> Vec<Hit> {
        let query = query.trim();
        if query.is_empty() {
            return Vec::new();
        }
        let exact = query.chars().any(char::is_uppercase);
        let needle = if exact {
            query.to_string()
        } else {
            query.to_lowercase()
        };
        self.docs
            .iter()
            .filter(|d| {
                if exact {
                    d.text.contains(&needle)
                } else {
                    d.lower.contains(&needle)
                }
            })
            .map(|d| Hit {
                entry: d.entry,
                block: d.block,
                line: d.line,
                text: d.text.clone(),
            })
            .collect()
    }
}

/// Whether `text` contains `query` under the same smart-case rule as
/// [`Index::find`], and where (byte ranges in `text`), for highlighting.
pub fn occurrences(text: &str, query: &str) -> Vec<(usize, usize)> {
    let query = query.trim();
    if query.is_empty() {
        return Vec::new();
    }
    let exact = query.chars().any(char::is_uppercase);
    let (hay, needle) = if exact {
        (text.to_string(), query.to_string())
    } else {
        (text.to_lowercase(), query.to_lowercase())
    };
    // Lower-casing can change byte lengths (rarely); only trust positions that
    // still fall on the same characters.
    if hay.len() != text.len() {
        return Vec::new();
    }
    hay.match_indices(&needle)
        .map(|(i, m)| (i, i + m.len()))
        .filter(|(a, b)| text.is_char_boundary(*a) && text.is_char_boundary(*b))
        .collect()
}

fn block_line(block: &Block) -> usize {
    match block {
        Block::Heading { line, .. }
        | Block::Paragraph { line, .. }
        | Block::DisplayMath { line, .. }
        | Block::List { line, .. }
        | Block::Quote { line, .. }
        | Block::Code { line, .. }
        | Block::Table { line, .. }
        | Block::Answer { line, .. }
        | Block::Rule { line }
        | Block::Step { line } => *line,
    }
}

fn inline_text(inlines: &[Inline], out: &mut String) {
    for i in inlines {
        match i {
            Inline::Text(t, _) | Inline::Code(t) => out.push_str(t),
            Inline::Math(latex) | Inline::DisplayMath(latex) => math_text(latex, out),
            // An anchor (`#3b`) is not something a reader sees.
            Inline::LinkTarget(t) if t.starts_with('#') => {}
            Inline::LinkTarget(t) => {
                out.push(' ');
                out.push_str(t);
            }
            Inline::SoftBreak | Inline::HardBreak => out.push(' '),
        }
    }
}

/// Math as a reader sees it (the rendered text, so `σ²` finds it) and as
/// written (the LaTeX, so `\sigma` does too).
fn math_text(latex: &str, out: &mut String) {
    let rendered = render_inline(latex, Glyphs::Unicode);
    out.push(' ');
    for span in rendered.lines.iter().flatten() {
        out.push_str(&span.text);
    }
    out.push(' ');
    out.push_str(latex);
    out.push(' ');
}

fn block_text(block: &Block, out: &mut String) {
    match block {
        Block::Heading { text, .. } | Block::Paragraph { text, .. } => inline_text(text, out),
        Block::DisplayMath { latex, .. } => math_text(latex, out),
        Block::List { items, .. } => {
            for item in items {
                for b in item {
                    block_text(b, out);
                    out.push(' ');
                }
            }
        }
        Block::Quote { blocks, .. } | Block::Answer { blocks, .. } => {
            for b in blocks {
                block_text(b, out);
                out.push(' ');
            }
        }
        Block::Code { code, .. } => out.push_str(code),
        Block::Table { header, rows, .. } => {
            for cell in header.iter().chain(rows.iter().flatten()) {
                inline_text(cell, out);
                out.push(' ');
            }
        }
        Block::Rule { .. } | Block::Step { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occurrences_follow_smart_case() {
        assert_eq!(
            occurrences("Batch norm, batch NORM", "batch"),
            [(0, 5), (12, 17)]
        );
        assert_eq!(occurrences("Batch norm, batch NORM", "Batch"), [(0, 5)]);
        assert!(occurrences("abc", "  ").is_empty());
    }
}
