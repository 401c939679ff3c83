//! What `y` copies: the LaTeX of the display equation at the top of the
//! view, else the code block on screen, else the part's answer box (as text,
//! math as `$LaTeX$`). Only what is shown counts (exam mode hides the rest).
//! The app names the text; the event loop writes it (OSC 52, tmux).

use super::{App, Effect};
use crate::content::markdown::{Block, Inline};

/// What `y` found to copy, and how the status line names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub text: String,
    pub what: &'static str,
}

/// The blocks' text as a reader would paste it: prose, `$math$`, code.
pub fn blocks_text(blocks: &[Block]) -> String {
    let mut out = Vec::new();
    for b in blocks {
        let mut s = String::new();
        block_text(b, &mut s);
        if !s.trim().is_empty() {
            out.push(s.trim_end().to_string());
        }
    }
    out.join("\n\n")
}

fn inline_text(text: &[Inline], out: &mut String) {
    for i in text {
        match i {
            Inline::Text(t, _) => out.push_str(t),
            Inline::Code(t) => {
                out.push('`');
                out.push_str(t);
                out.push('`');
            }
            Inline::Math(l) => out.push_str(&format!("${l}$")),
            Inline::DisplayMath(l) => out.push_str(&format!("$${l}$$")),
            Inline::SoftBreak | Inline::HardBreak => out.push(' '),
            Inline::LinkTarget(_) => {}
        }
    }
}

fn block_text(b: &Block, out: &mut String) {
    match b {
        Block::Heading { text, .. } | Block::Paragraph { text, .. } => inline_text(text, out),
        Block::DisplayMath { latex, .. } => out.push_str(&format!("$${latex}$$")),
        Block::List { start, items, .. } => {
            for (i, item) in items.iter().enumerate() {
                match start {
                    Some(n) => out.push_str(&format!("{}. ", n + i as u64)),
                    None => out.push_str("- "),
                }
                out.push_str(&blocks_text(item).replace('\n', "\n  "));
                out.push('\n');
            }
        }
        Block::Quote { blocks, .. } | Block::Answer { blocks, .. } => {
            out.push_str(&blocks_text(blocks))
        }
        Block::Code { code, .. } => out.push_str(code),
        Block::Table { header, rows, .. } => {
            for row in std::iter::once(header).chain(rows) {
                let cells: Vec<String> = row
                    .iter()
                    .map(|c| {
                        let mut s = String::new();
                        inline_text(c, &mut s);
                        s
                    })
                    .collect();
                out.push_str(&format!("| {} |\n", cells.join(" | ")));
            }
        }
        Block::Rule { .. } | Block::Step { .. } => {}
    }
}

impl App {
    /// What `y` would copy now.
    pub fn copy_target(&self) -> Option<Copied> {
        let body = self.notebook.body(self.current()?);
        let starts = &self.doc.starts;
        let shown = self.doc_text_end();
        let (top, bottom) = (self.doc_scroll, self.doc_scroll + self.doc_height().max(1));
        let end = |b: usize| starts.get(b + 1).copied().unwrap_or(self.doc.lines.len());
        // Blocks with a line on screen and not hidden, top first.
        let visible: Vec<usize> = (0..body.len().min(starts.len()))
            .filter(|&b| starts[b] < bottom.min(shown) && end(b) > top)
            .collect();
        let first =
            |pick: &dyn Fn(&Block) -> Option<String>| visible.iter().find_map(|&b| pick(&body[b]));
        if let Some(latex) = first(&|b| match b {
            Block::DisplayMath { latex, .. } => Some(latex.clone()),
            _ => None,
        }) {
            return Some(Copied {
                text: latex,
                what: "equation LaTeX",
            });
        }
        if let Some(code) = first(&|b| match b {
            Block::Code { code, .. } => Some(code.clone()),
            _ => None,
        }) {
            return Some(Copied {
                text: code,
                what: "code block",
            });
        }
        let answer = body
            .iter()
            .position(|b| matches!(b, Block::Answer { .. }))
            .filter(|&b| starts.get(b).is_some_and(|&s| s < shown))?;
        let Block::Answer { blocks, .. } = &body[answer] else {
            return None;
        };
        Some(Copied {
            text: blocks_text(blocks),
            what: "answer box",
        })
    }

    pub(super) fn copy(&mut self) -> Effect {
        match self.copy_target() {
            Some(c) => {
                self.message = Some(format!(
                    "copied {}, {} chars",
                    c.what,
                    c.text.chars().count()
                ));
                Effect::Copy(c.text)
            }
            None => {
                self.message = Some(
                    "nothing to copy here: no equation or code on screen, no answer box".into(),
                );
                Effect::None
            }
        }
    }
}
