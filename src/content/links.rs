//! Links between places in the notebook: the anchor scheme, resolving an
//! anchor to a place, and the check that every anchor a link names exists.
//!
//! Anchors (case-insensitive, written after `#` in a link's destination):
//! - a part's id: `#1a`, `#2`, `#3b`;
//! - a problem's statement: `#p4`;
//! - a heading inside an entry: the entry's anchor, `-`, and the heading's
//!   slug: `#3a-solution`, `#2-what-batch-norm-hands-the-activation`. The slug
//!   is the heading's text in lower case with every run of characters other
//!   than letters and digits turned into one `-` (trimmed at both ends);
//! - a heading's own `{#name}` attribute (below level 2, where `{#id}` makes a
//!   part): `#name`.
//!
//! Anything not starting with `#` is an external address: shown, never opened.

use super::markdown::{Block, Inline, plain_text};
use super::{ContentError, Notebook};

/// The place an anchor names: an entry, and a top-level block of its body
/// (`None`: the entry's top).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub entry: usize,
    pub block: Option<usize>,
}

/// Whether a link's destination is an anchor in the notebook (`#...`).
pub fn is_anchor(dest: &str) -> bool {
    dest.starts_with('#')
}

/// A heading's text as an anchor: lower case, runs of anything but letters
/// and digits as one `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

impl Notebook {
    /// The top-level blocks an entry shows (a statement or a part's section).
    pub fn body(&self, entry: super::EntryRef) -> &[Block] {
        match self.part(entry) {
            Some(part) => &part.body,
            None => &self.problem(entry).statement,
        }
    }

    /// Every anchor of the notebook with the place it names, in reading order.
    pub fn anchors(&self) -> Vec<(String, Target)> {
        let mut out = Vec::new();
        for (i, &entry) in self.entries.iter().enumerate() {
            let id = self.entry_id(entry).to_lowercase();
            out.push((
                id.clone(),
                Target {
                    entry: i,
                    block: None,
                },
            ));
            for (b, block) in self.body(entry).iter().enumerate() {
                let Block::Heading {
                    text,
                    id: own,
                    level,
                    ..
                } = block
                else {
                    continue;
                };
                let target = Target {
                    entry: i,
                    block: Some(b),
                };
                if let Some(own) = own.as_ref().filter(|_| *level != 2) {
                    out.push((own.to_lowercase(), target));
                }
                out.push((format!("{id}-{}", slug(&plain_text(text))), target));
            }
        }
        out
    }

    /// Where `dest` (`#3b`, `3b`, `#3a-solution`) points, if anywhere.
    pub fn resolve(&self, dest: &str) -> Option<Target> {
        let anchor = dest.strip_prefix('#').unwrap_or(dest).to_lowercase();
        self.anchors()
            .into_iter()
            .find(|(a, _)| *a == anchor)
            .map(|(_, t)| t)
    }

    /// A content error for every link to an anchor that does not exist, at
    /// the line of the file where the link is written. `source_of` gives a
    /// file's text by name (for the exact line inside a long paragraph).
    pub fn broken_links<'a>(
        &self,
        source_of: impl Fn(&str) -> Option<&'a str>,
    ) -> Vec<ContentError> {
        let anchors = self.anchors();
        let names: Vec<&str> = anchors.iter().map(|(a, _)| a.as_str()).collect();
        let mut errors = Vec::new();
        for p in &self.problems {
            let mut found = Vec::new();
            links_in(&p.statement, &mut found);
            for part in &p.parts {
                links_in(&part.body, &mut found);
            }
            for (dest, block_line) in found {
                let anchor = dest[1..].to_lowercase();
                if names.contains(&anchor.as_str()) {
                    continue;
                }
                let line = source_of(&p.file)
                    .and_then(|text| line_of(text, &dest, block_line))
                    .unwrap_or(block_line);
                errors.push(ContentError::new(
                    &p.file,
                    Some(line),
                    format!(
                        "link to `{dest}`, which is no part, problem or heading anchor{}",
                        crate::suggest::hint(&anchor, names.iter().copied())
                    ),
                ));
            }
        }
        errors
    }
}

/// Every anchor link (`#...`) in `blocks`, with the line its block starts on.
pub fn links_in(blocks: &[Block], out: &mut Vec<(String, usize)>) {
    let inl = |text: &[Inline], line: usize, out: &mut Vec<(String, usize)>| {
        for i in text {
            if let Inline::LinkTarget(dest) = i
                && is_anchor(dest)
            {
                out.push((dest.clone(), line));
            }
        }
    };
    for b in blocks {
        match b {
            Block::Heading { text, line, .. } | Block::Paragraph { text, line } => {
                inl(text, *line, out)
            }
            Block::List { items, .. } => items.iter().for_each(|i| links_in(i, out)),
            Block::Quote { blocks, .. } | Block::Answer { blocks, .. } => links_in(blocks, out),
            Block::Table {
                header, rows, line, ..
            } => {
                for cell in header.iter().chain(rows.iter().flatten()) {
                    inl(cell, *line, out);
                }
            }
            Block::DisplayMath { .. }
            | Block::Code { .. }
            | Block::Rule { .. }
            | Block::Step { .. } => {}
        }
    }
}

/// The 1-based line at or after `from` where `(dest)` is written.
fn line_of(text: &str, dest: &str, from: usize) -> Option<usize> {
    let needle = format!("({dest}");
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(&needle))
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_letters_and_digits() {
        assert_eq!(
            slug("(a) What goes wrong with zero initialisation"),
            "a-what-goes-wrong-with-zero-initialisation"
        );
        assert_eq!(slug("  Solution "), "solution");
        assert_eq!(
            slug("FLOPs versus a 3×3 convolution"),
            "flops-versus-a-3-3-convolution"
        );
        assert_eq!(slug("!!"), "");
    }

    #[test]
    fn the_line_is_where_the_link_is_written() {
        let text = "a\nb [x](#1a)\nc [y](#9z)\n";
        assert_eq!(line_of(text, "#9z", 1), Some(3));
        assert_eq!(line_of(text, "#1a", 3), None);
    }
}
