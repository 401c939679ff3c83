//! The outline of the current entry: its headings and its answer box, shown
//! in the left pane instead of the contents (`o`). Entries are document
//! positions (top-level block indices), so they survive re-wrapping; the one
//! being read is the last whose block starts at or above the top of the view.

use super::{App, Effect};
use crate::content::markdown::{Block, Inline};
use crate::layout::{Pane, TocMode};
use crate::math::{Glyphs, render_inline};

/// One line of the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Top-level block of the entry's body.
    pub block: usize,
    /// Heading level (the answer box counts as one below the heading it follows).
    pub level: u8,
    pub title: String,
}

/// The outline while it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outline {
    /// Index into [`items`] of the entry chosen with j/k (Enter jumps to it).
    pub cursor: usize,
    /// The contents pane's setting before the outline opened it.
    toc_before: TocMode,
}

/// Headings and the answer box of `body`, in order.
pub fn items(body: &[Block], glyphs: Glyphs) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::new();
    for (b, block) in body.iter().enumerate() {
        match block {
            Block::Heading { level, text, .. } => out.push(Item {
                block: b,
                level: *level,
                title: title(text, glyphs),
            }),
            Block::Answer { .. } => {
                let level = out.last().map_or(2, |i| i.level + 1);
                out.push(Item {
                    block: b,
                    level,
                    title: "Answer".into(),
                });
            }
            _ => {}
        }
    }
    out
}

/// A heading as the outline shows it: math rendered, on one line.
fn title(text: &[Inline], glyphs: Glyphs) -> String {
    let mut s = String::new();
    for i in text {
        match i {
            Inline::Text(t, _) | Inline::Code(t) => s.push_str(t),
            Inline::Math(latex) | Inline::DisplayMath(latex) => {
                let r = render_inline(latex, glyphs);
                if r.error.is_some() {
                    s.push_str(latex);
                } else {
                    r.lines.iter().flatten().for_each(|m| s.push_str(&m.text));
                }
            }
            Inline::SoftBreak | Inline::HardBreak => s.push(' '),
            Inline::LinkTarget(_) => {}
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The item being read: the last whose block starts at or above `top`.
pub fn reading(items: &[Item], starts: &[usize], top: usize) -> Option<usize> {
    if items.is_empty() {
        return None;
    }
    let i = items
        .iter()
        .rposition(|it| starts.get(it.block).is_some_and(|&s| s <= top));
    Some(i.unwrap_or(0))
}

impl App {
    /// The current entry's outline (in exam mode, only what is revealed:
    /// headings such as "(3) ReLU(x − 10): poor" would give answers away).
    pub fn outline_items(&self) -> Vec<Item> {
        let end = self.doc_text_end();
        let mut all = self
            .current()
            .map(|e| items(self.notebook.body(e), self.math.glyphs))
            .unwrap_or_default();
        all.retain(|it| self.doc.starts.get(it.block).is_none_or(|&s| s < end));
        all
    }

    /// The outline item at the top of the view.
    pub fn outline_reading(&self) -> Option<usize> {
        reading(&self.outline_items(), &self.doc.starts, self.doc_scroll)
    }

    pub(super) fn toggle_outline(&mut self) -> Effect {
        if let Some(o) = self.outline.take() {
            self.toc = o.toc_before;
            if self.focus == Pane::Toc {
                self.focus = Pane::Doc;
            }
            return Effect::None;
        }
        let toc_before = self.toc;
        if self.rects().toc.is_none() && !self.rects().single_pane() {
            self.toc = TocMode::Shown;
        }
        self.outline = Some(Outline {
            cursor: self.outline_reading().unwrap_or(0),
            toc_before,
        });
        self.focus = Pane::Toc;
        Effect::None
    }

    /// j/k in the outline: move its cursor.
    pub(super) fn outline_move(&mut self, delta: isize) {
        let n = self.outline_items().len();
        if let Some(o) = self.outline.as_mut() {
            o.cursor = (o.cursor as isize + delta).clamp(0, n.saturating_sub(1) as isize) as usize;
        }
    }

    /// Enter in the outline: scroll the text to the chosen heading.
    pub(super) fn outline_jump(&mut self) -> Effect {
        let items = self.outline_items();
        let Some(item) = self.outline.and_then(|o| items.get(o.cursor)) else {
            return Effect::None;
        };
        let effect = self.jump_to(self.entry, Some(item.block));
        self.focus = Pane::Doc;
        effect
    }

    /// A new entry: the outline follows it, its cursor on the first item.
    pub(super) fn outline_entry_changed(&mut self) {
        if let Some(o) = self.outline.as_mut() {
            o.cursor = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::markdown::parse;

    #[test]
    fn headings_and_the_answer_box_in_order() {
        let body = parse(
            "## (a) Part {#1a}\n\nq\n\n### Solution\n\n> [!answer]\n> yes\n\ntext\n\n#### Why $\\sigma$\n",
            1,
        );
        let it = items(&body, Glyphs::Unicode);
        let shown: Vec<(u8, &str)> = it.iter().map(|i| (i.level, i.title.as_str())).collect();
        assert_eq!(
            shown,
            vec![
                (2, "(a) Part"),
                (3, "Solution"),
                (4, "Answer"),
                (4, "Why σ")
            ]
        );
        let starts = [0, 2, 4, 6, 9, 11];
        assert_eq!(reading(&it, &starts, 0), Some(0));
        assert_eq!(reading(&it, &starts, 5), Some(1));
        assert_eq!(reading(&it, &starts, 6), Some(2));
        assert_eq!(reading(&it, &starts, 50), Some(3));
    }
}
