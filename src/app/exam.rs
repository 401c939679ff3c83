//! Exam mode (`x`): each part shows its question and the `Solution` heading
//! alone; `.` reveals the next step, `X` all of it, `x` leaves. A step is a
//! top-level block of the solution (a paragraph, a display equation, the
//! answer box, a table, a code block) or one item of a top-level list; when
//! the solution has `<!-- step -->` markers, the steps are the stretches
//! between them instead. Where the part's panel steps (the 2D RNN trace, the
//! BPTT schedule), each reveal steps it too.

use std::collections::HashMap;

use ratatui::text::Line;

use super::{App, DocLayout, Effect};
use crate::content::markdown::{Block, plain_text};
use crate::panels::PanelEffect;

/// Exam mode while it is on: how many steps each part has revealed.
#[derive(Debug, Clone, Default)]
pub struct Exam {
    revealed: HashMap<usize, usize>,
}

/// What exam mode shows of the current entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// Lines of the layout shown; the rest is hidden.
    pub cut: usize,
    pub shown: usize,
    pub total: usize,
}

/// Where the text is cut for 0, 1, … all steps shown (the first is the end
/// of the question and the `Solution` heading; the last is the whole text).
/// `None` when the body has no solution to hide.
pub fn cuts(body: &[Block], layout: &DocLayout) -> Option<Vec<usize>> {
    let solution = body.iter().position(|b| {
        matches!(b, Block::Heading { level: 3, text, .. } if plain_text(text).trim() == "Solution")
    })?;
    let end = layout.lines.len();
    let line_of = |b: usize| layout.starts.get(b).copied().unwrap_or(end).min(end);
    let mut cuts = vec![line_of(solution + 1)];
    let markers: Vec<usize> = (solution + 1..body.len())
        .filter(|&b| matches!(body[b], Block::Step { .. }))
        .collect();
    if markers.is_empty() {
        for (b, block) in body.iter().enumerate().skip(solution + 1) {
            if let Block::List { .. } = block {
                let items: Vec<usize> = layout
                    .items
                    .iter()
                    .filter(|(blk, _, _)| *blk == b)
                    .map(|(_, _, line)| *line)
                    .collect();
                cuts.extend(items.iter().skip(1).copied());
            }
            cuts.push(line_of(b + 1));
        }
    } else {
        cuts.extend(markers.iter().map(|&m| line_of(m)));
        cuts.push(end);
    }
    cuts.dedup();
    Some(cuts)
}

impl Exam {
    fn shown(&self, entry: usize) -> usize {
        self.revealed.get(&entry).copied().unwrap_or(0)
    }
}

impl App {
    /// Exam mode's view of the current entry (`None`: not in exam mode, or
    /// nothing to hide).
    pub fn exam_view(&self) -> Option<View> {
        let exam = self.exam.as_ref()?;
        let body = self.notebook.body(self.current()?);
        let cuts = cuts(body, &self.doc)?;
        let total = cuts.len() - 1;
        let shown = exam.shown(self.entry).min(total);
        Some(View {
            cut: cuts[shown],
            shown,
            total,
        })
    }

    /// The lines drawn after the shown text in exam mode.
    pub fn exam_footer(&self) -> Vec<Line<'static>> {
        let Some(v) = self.exam_view() else {
            return Vec::new();
        };
        let text = if v.shown == v.total {
            format!("┄ exam: all {} steps shown · x leaves exam mode", v.total)
        } else {
            format!(
                "┄ exam: {} of {} steps shown · . next step · X all · x leaves",
                v.shown, v.total
            )
        };
        // One blank line above it, whether or not the text ended with one.
        let blank_before = v.cut > 0
            && self
                .doc
                .lines
                .get(v.cut - 1)
                .is_some_and(|l| l.width() == 0);
        let mut lines = Vec::new();
        if !blank_before {
            lines.push(Line::default());
        }
        lines.push(Line::styled(text, self.theme.dim));
        lines
    }

    /// Lines of the derivation the reader can scroll through (with exam
    /// mode's footer).
    pub fn doc_shown_len(&self) -> usize {
        match self.exam_view() {
            Some(v) => v.cut + self.exam_footer().len(),
            None => self.doc.lines.len(),
        }
    }

    /// The end of the laid-out text that is not hidden: what links and copy
    /// may reach.
    pub fn doc_text_end(&self) -> usize {
        self.exam_view().map_or(self.doc.lines.len(), |v| v.cut)
    }

    pub(super) fn toggle_exam(&mut self) -> Effect {
        if self.exam.take().is_some() {
            self.message = Some("exam mode off: the whole text is shown".into());
            return Effect::None;
        }
        self.exam = Some(Exam::default());
        self.link = None;
        self.message = Some(match self.exam_view() {
            Some(v) => format!("exam mode: {} steps hidden (. reveals one)", v.total),
            None => "exam mode: this page has no solution to hide; the parts do".into(),
        });
        self.doc_scroll = self.doc_scroll.min(self.max_doc_scroll());
        Effect::None
    }

    /// `.` (one step) or `X` (all of them).
    pub(super) fn reveal(&mut self, all: bool) -> Effect {
        if self.exam.is_none() {
            self.message = Some("press x for exam mode first".into());
            return Effect::None;
        }
        let Some(view) = self.exam_view() else {
            self.message = Some("nothing hidden on this page".into());
            return Effect::None;
        };
        if view.shown == view.total {
            self.message = Some("every step is shown".into());
            return Effect::None;
        }
        let shown = if all { view.total } else { view.shown + 1 };
        if let Some(exam) = self.exam.as_mut() {
            exam.revealed.insert(self.entry, shown);
        }
        let mut effect = Effect::None;
        if !all {
            let (e, stepped) = self.panel_exam_step();
            effect = e;
            if stepped && self.rects().panel.is_none() {
                self.message = Some("the panel stepped with the text: v shows it".into());
            }
        }
        // Bring what was just revealed (and the footer) into view.
        let end = self.doc_shown_len();
        let height = self.doc_height().max(1);
        if end > self.doc_scroll + height {
            self.doc_scroll = end - height;
        }
        self.doc_scroll = self.doc_scroll.min(self.max_doc_scroll());
        effect
    }

    /// Step the current part's panel in sync with a reveal; says whether it moved.
    fn panel_exam_step(&mut self) -> (Effect, bool) {
        let Some(owner) = self.panel_owner().map(str::to_string) else {
            return (Effect::None, false);
        };
        let Some(panel) = self.panels.get_mut(&owner) else {
            return (Effect::None, false);
        };
        match panel.exam_step() {
            PanelEffect::Ignored => (Effect::None, false),
            PanelEffect::Redraw => (Effect::None, true),
            PanelEffect::Run(request) => (Effect::Jobs(vec![(owner, request)]), true),
        }
    }
}
