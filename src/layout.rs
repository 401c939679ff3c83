//! Pane geometry, as a pure function of the terminal area and what is shown.
//! Both drawing and input (scroll clamping, mouse hit-testing) use it, so they
//! can never disagree about where a pane is.

use ratatui::layout::{Constraint, Layout, Position, Rect};

/// The three panes a reader moves focus between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Toc,
    Doc,
    Panel,
}

impl Pane {
    pub fn label(self) -> &'static str {
        match self {
            Pane::Toc => "contents",
            Pane::Doc => "derivation",
            Pane::Panel => "live panel",
        }
    }
}

/// Below this width the panes no longer fit side by side: one pane is shown at
/// a time, chosen by focus, with a tab bar on top.
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PaneRects {
    /// Tab bar naming the panes, only in single-pane mode.
    pub tabs: Option<Rect>,
    pub toc: Option<Rect>,
    pub doc: Option<Rect>,
    pub panel: Option<Rect>,
    pub status: Rect,
}

impl PaneRects {
    pub fn get(&self, pane: Pane) -> Option<Rect> {
        match pane {
            Pane::Toc => self.toc,
            Pane::Doc => self.doc,
            Pane::Panel => self.panel,
        }
    }

    pub fn pane_at(&self, col: u16, row: u16) -> Option<Pane> {
        [Pane::Toc, Pane::Doc, Pane::Panel].into_iter().find(|p| {
            self.get(*p)
                .is_some_and(|r| r.contains(Position::new(col, row)))
        })
    }

    pub fn single_pane(&self) -> bool {
        self.tabs.is_some()
    }
}

/// Inside of a bordered pane.
pub fn inner(rect: Rect) -> Rect {
    Rect {
        x: rect.x.saturating_add(1),
        y: rect.y.saturating_add(1),
        width: rect.width.saturating_sub(2),
        height: rect.height.saturating_sub(2),
    }
}

/// Width the derivation text is wrapped to: the pane's inside, less a margin
/// and the scrollbar, at most [`MAX_TEXT_WIDTH`].
pub fn doc_text_width(rect: Rect) -> u16 {
    inner(rect).width.saturating_sub(3).clamp(1, MAX_TEXT_WIDTH)
}

/// Prose is hard to read in lines much longer than this, however wide the pane.
pub const MAX_TEXT_WIDTH: u16 = 100;

pub fn panes(area: Rect, focus: Pane, has_panel: bool) -> PaneRects {
    let [main, status] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    if area.width < SIDE_BY_SIDE_MIN_WIDTH {
        let [tabs, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(main);
        let focus = if focus == Pane::Panel && !has_panel {
            Pane::Doc
        } else {
            focus
        };
        let mut rects = PaneRects {
            tabs: Some(tabs),
            status,
            ..Default::default()
        };
        match focus {
            Pane::Toc => rects.toc = Some(body),
            Pane::Doc => rects.doc = Some(body),
            Pane::Panel => rects.panel = Some(body),
        }
        return rects;
    }
    let toc_width = (area.width * 18 / 100).clamp(18, 30);
    let [toc, rest] =
        Layout::horizontal([Constraint::Length(toc_width), Constraint::Min(0)]).areas(main);
    if !has_panel {
        return PaneRects {
            tabs: None,
            toc: Some(toc),
            doc: Some(rest),
            panel: None,
            status,
        };
    }
    let [doc, panel] =
        Layout::horizontal([Constraint::Percentage(54), Constraint::Percentage(46)]).areas(rest);
    PaneRects {
        tabs: None,
        toc: Some(toc),
        doc: Some(doc),
        panel: Some(panel),
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_terminals_get_three_panes() {
        let r = panes(Rect::new(0, 0, 160, 48), Pane::Doc, true);
        let (toc, doc, panel) = (r.toc.unwrap(), r.doc.unwrap(), r.panel.unwrap());
        assert_eq!(toc.width + doc.width + panel.width, 160);
        assert_eq!(r.status, Rect::new(0, 47, 160, 1));
        assert_eq!(r.pane_at(toc.width + 1, 3), Some(Pane::Doc));
    }

    #[test]
    fn narrow_terminals_show_the_focused_pane() {
        let r = panes(Rect::new(0, 0, 80, 24), Pane::Panel, true);
        assert!(r.single_pane() && r.doc.is_none());
        assert_eq!(r.panel, Some(Rect::new(0, 1, 80, 22)));
        let r = panes(Rect::new(0, 0, 80, 24), Pane::Panel, false);
        assert!(r.doc.is_some(), "no panel: fall back to the derivation");
    }

    #[test]
    fn tiny_areas_do_not_underflow() {
        for (w, h) in [(0, 0), (1, 1), (3, 2), (100, 1)] {
            let r = panes(Rect::new(0, 0, w, h), Pane::Doc, true);
            assert!(r.status.height <= h);
        }
    }
}
