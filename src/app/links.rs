//! Link mode: `f` selects the first link on screen, Tab / j / ↓ and
//! Shift-Tab / k / ↑ move between the part's links (scrolling to them), Enter
//! follows an anchor (remembering where the reader was), an external address
//! is only shown, Esc or `f` leaves.

use super::{App, Effect};
use crate::content::links::is_anchor;
use crate::content::sanitize::one_line;

impl App {
    /// Links the reader can select: placed by the layout and not hidden by exam mode.
    pub fn selectable_links(&self) -> Vec<usize> {
        let end = self.doc_text_end();
        self.doc
            .links
            .iter()
            .enumerate()
            .filter(|(_, l)| l.cells.first().is_some_and(|c| c.0 < end))
            .map(|(i, _)| i)
            .collect()
    }

    pub(super) fn toggle_link_mode(&mut self) -> Effect {
        if self.link.take().is_some() {
            return Effect::None;
        }
        let links = self.selectable_links();
        let (top, height) = (self.doc_scroll, self.doc_height().max(1));
        let on_screen = links.iter().copied().find(|&i| {
            self.doc.links[i]
                .cells
                .iter()
                .any(|c| (top..top + height).contains(&c.0))
        });
        match on_screen.or(links.first().copied()) {
            Some(i) => {
                self.link = Some(i);
                self.show_link(i);
            }
            None => self.message = Some("this part has no links".into()),
        }
        Effect::None
    }

    pub(super) fn link_step(&mut self, forward: bool) -> Effect {
        let links = self.selectable_links();
        let Some(current) = self.link else {
            return Effect::None;
        };
        if links.is_empty() {
            self.link = None;
            return Effect::None;
        }
        // Scrolled away from the selection (PgDn, the wheel): start again
        // from the links on screen.
        let (top, height) = (self.doc_scroll, self.doc_height().max(1));
        let on_screen = |i: usize| {
            self.doc.links[i]
                .cells
                .iter()
                .any(|c| (top..top + height).contains(&c.0))
        };
        if !on_screen(current) {
            let visible = links.iter().copied().filter(|&i| on_screen(i));
            let pick = if forward {
                visible.min()
            } else {
                visible.max()
            };
            if let Some(i) = pick {
                self.link = Some(i);
                return Effect::None;
            }
        }
        let pos = links.iter().position(|&i| i == current).unwrap_or(0);
        let n = links.len();
        let next = links[if forward {
            (pos + 1) % n
        } else {
            (pos + n - 1) % n
        }];
        self.link = Some(next);
        self.show_link(next);
        Effect::None
    }

    /// The link drawn at screen cell (`col`, `row`) of the derivation pane `rect`.
    pub(super) fn link_at(&self, rect: ratatui::layout::Rect, col: u16, row: u16) -> Option<usize> {
        // The text starts inside the border and a one-column margin (ui::frame).
        let inner = crate::layout::inner(rect);
        let x = usize::from(col.checked_sub(inner.x + 1)?);
        let line = usize::from(row.checked_sub(inner.y)?) + self.doc_scroll;
        self.selectable_links().into_iter().find(|&i| {
            self.doc.links[i]
                .cells
                .iter()
                .any(|&(l, c, w)| l == line && (c..c + w).contains(&x))
        })
    }

    /// Scroll so link `i` is in view (leaving the view alone if it already is).
    fn show_link(&mut self, i: usize) {
        let Some(&(line, _, _)) = self.doc.links.get(i).and_then(|l| l.cells.first()) else {
            return;
        };
        let height = self.doc_height().max(1);
        if line < self.doc_scroll || line >= self.doc_scroll + height {
            self.doc_scroll = line.saturating_sub(height / 3).min(self.max_doc_scroll());
        }
    }

    /// Enter in link mode: go where the selected link points.
    pub(super) fn follow_link(&mut self) -> Effect {
        let Some(link) = self.link.and_then(|i| self.doc.links.get(i)).cloned() else {
            return Effect::None;
        };
        if !is_anchor(&link.dest) {
            self.message = Some(format!(
                "external link, not opened: {}",
                one_line(&link.dest)
            ));
            return Effect::None;
        }
        let Some(target) = self.notebook.resolve(&link.dest) else {
            self.message = Some(format!("no place called {}", one_line(&link.dest)));
            return Effect::None;
        };
        self.link = None;
        self.jump_to(target.entry, target.block)
    }

    /// Jump to a block of an entry, remembering where the reader was.
    pub(super) fn jump_to(&mut self, entry: usize, block: Option<usize>) -> Effect {
        let from = self.place();
        self.history.jumped(from);
        let effect = self.go_to(entry);
        self.refresh_doc();
        let line = block
            .and_then(|b| self.doc.starts.get(b).copied())
            .unwrap_or(0);
        self.doc_scroll = line.min(self.max_doc_scroll());
        self.message = Some(format!(
            "at {} · Backspace goes back",
            self.current()
                .map(|e| self.notebook.entry_id(e))
                .unwrap_or_default()
        ));
        effect
    }

    /// "link 2 of 5 → #3b · …" for the status line in link mode.
    pub fn link_status(&self) -> Option<String> {
        let i = self.link?;
        let link = self.doc.links.get(i)?;
        let links = self.selectable_links();
        let n = links.iter().position(|&j| j == i).map_or(0, |p| p + 1);
        let dest = one_line(&link.dest);
        let what = if is_anchor(&link.dest) {
            match self.notebook.resolve(&link.dest) {
                Some(t) => format!(
                    "→ {}",
                    self.notebook
                        .entries
                        .get(t.entry)
                        .map(|e| self.notebook.entry_id(*e))
                        .unwrap_or_default()
                ),
                None => format!("→ {dest} (missing)"),
            }
        } else {
            format!("{dest} (external: shown, not opened)")
        };
        Some(format!(
            "link {n}/{} {what} · Enter follows · Tab next · Esc",
            links.len()
        ))
    }
}
