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

/// First visible row of a list `height` rows tall that keeps row `selected`
/// in view (derived from state at draw time rather than stored). The contents
/// pane draws with it and the mouse maps clicks with it.
pub fn scroll_offset(selected: usize, height: usize) -> usize {
    (selected + 1).saturating_sub(height.max(1))
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

/// Whether the contents pane is shown beside the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TocMode {
    /// Shown when the derivation still gets a readable measure with it.
    #[default]
    Auto,
    Shown,
    Hidden,
}

impl TocMode {
    /// What the toggle key does: from whatever is on screen to the other.
    pub fn toggled(self, shown_now: bool) -> TocMode {
        if shown_now {
            TocMode::Hidden
        } else {
            TocMode::Shown
        }
    }
}

/// What the pure layout needs to know besides the area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutInput {
    pub focus: Pane,
    /// Width the current part's live panel asks for, if the part has one.
    pub panel_width: Option<u16>,
    pub toc: TocMode,
}

/// The derivation pane is never squeezed below this when the panel can give
/// way: 60 columns of text plus borders, margin and scrollbar.
pub const DOC_MIN_WIDTH: u16 = 65;
/// Beyond a 100-column measure more width does not help the text; it goes to
/// the panel instead.
pub const DOC_MAX_WIDTH: u16 = MAX_TEXT_WIDTH + 5;
/// A panel narrower than this cannot show its tables.
pub const PANEL_MIN_WIDTH: u16 = 36;
/// What a panel gets when it does not say.
pub const PANEL_DEFAULT_WIDTH: u16 = 48;

/// The help overlay for `rows` lines of keys: centred, at most 70 wide, and
/// inside the terminal; its last inner row holds the closing hint, so the keys
/// scroll in the rows above it.
pub fn help_rect(area: Rect, rows: usize) -> Rect {
    let width = 70.min(area.width);
    let height = (rows as u16).saturating_add(3).min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// How many key rows the help overlay shows at once.
pub fn help_visible_rows(rect: Rect) -> usize {
    rect.height.saturating_sub(3) as usize
}

fn toc_width(area: Rect) -> u16 {
    (area.width * 18 / 100).clamp(18, 30)
}

/// The panes for `area`. The derivation has priority: the contents pane is
/// dropped (in [`TocMode::Auto`]) and the panel narrowed before the text gets
/// less than [`DOC_MIN_WIDTH`]; room beyond [`DOC_MAX_WIDTH`] goes to the panel.
pub fn panes(area: Rect, input: LayoutInput) -> PaneRects {
    let LayoutInput {
        focus,
        panel_width,
        toc: toc_mode,
    } = input;
    let has_panel = panel_width.is_some();
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
    let wanted_panel = panel_width.map(|w| w.max(PANEL_MIN_WIDTH));
    let toc_fits = area
        .width
        .saturating_sub(toc_width(area) + wanted_panel.unwrap_or(0))
        >= DOC_MIN_WIDTH;
    let show_toc = match toc_mode {
        TocMode::Shown => true,
        TocMode::Hidden => false,
        TocMode::Auto => toc_fits,
    };
    let toc_w = if show_toc { toc_width(area) } else { 0 };
    let [toc, rest] =
        Layout::horizontal([Constraint::Length(toc_w), Constraint::Min(0)]).areas(main);
    let toc = show_toc.then_some(toc);
    let Some(wanted) = wanted_panel else {
        return PaneRects {
            tabs: None,
            toc,
            doc: Some(rest),
            panel: None,
            status,
        };
    };
    // The panel gets what it asks for if the text keeps its minimum, less (down
    // to its own minimum) if not, and whatever the text cannot use.
    let panel_w = if rest.width >= wanted + DOC_MIN_WIDTH {
        wanted.max(rest.width.saturating_sub(DOC_MAX_WIDTH))
    } else {
        rest.width
            .saturating_sub(DOC_MIN_WIDTH)
            .max(PANEL_MIN_WIDTH)
            .min(rest.width / 2)
    };
    let [doc, panel] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(panel_w)]).areas(rest);
    PaneRects {
        tabs: None,
        toc,
        doc: Some(doc),
        panel: Some(panel),
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_panel(focus: Pane) -> LayoutInput {
        LayoutInput {
            focus,
            panel_width: Some(PANEL_DEFAULT_WIDTH),
            toc: TocMode::Auto,
        }
    }

    /// The text gets a readable measure at the sizes students use; the
    /// contents pane gives way first, then the panel.
    #[test]
    fn the_derivation_gets_the_room() {
        for (w, h, toc, doc_at_least) in [
            (100, 30, false, 58),
            (120, 40, false, 65),
            (160, 48, true, 75),
            (200, 60, true, 100),
        ] {
            let r = panes(Rect::new(0, 0, w, h), with_panel(Pane::Doc));
            let text = doc_text_width(r.doc.unwrap());
            assert_eq!(r.toc.is_some(), toc, "{w}x{h}");
            assert!(text >= doc_at_least, "{w}x{h}: text {text}");
            assert!(r.panel.unwrap().width >= PANEL_MIN_WIDTH, "{w}x{h}");
        }
        let shown = panes(
            Rect::new(0, 0, 120, 40),
            LayoutInput {
                toc: TocMode::Shown,
                ..with_panel(Pane::Doc)
            },
        );
        assert!(shown.toc.is_some(), "the reader can ask for the contents");
        let hidden = panes(
            Rect::new(0, 0, 200, 60),
            LayoutInput {
                toc: TocMode::Hidden,
                ..with_panel(Pane::Doc)
            },
        );
        assert!(hidden.toc.is_none());
    }

    #[test]
    fn wide_terminals_get_three_panes() {
        let r = panes(Rect::new(0, 0, 160, 48), with_panel(Pane::Doc));
        let (toc, doc, panel) = (r.toc.unwrap(), r.doc.unwrap(), r.panel.unwrap());
        assert_eq!(toc.width + doc.width + panel.width, 160);
        assert_eq!(r.status, Rect::new(0, 47, 160, 1));
        assert_eq!(r.pane_at(toc.width + 1, 3), Some(Pane::Doc));
    }

    #[test]
    fn narrow_terminals_show_the_focused_pane() {
        let r = panes(Rect::new(0, 0, 80, 24), with_panel(Pane::Panel));
        assert!(r.single_pane() && r.doc.is_none());
        assert_eq!(r.panel, Some(Rect::new(0, 1, 80, 22)));
        let r = panes(
            Rect::new(0, 0, 80, 24),
            LayoutInput {
                panel_width: None,
                ..with_panel(Pane::Panel)
            },
        );
        assert!(r.doc.is_some(), "no panel: fall back to the derivation");
    }

    #[test]
    fn tiny_areas_do_not_underflow() {
        for (w, h) in [(0, 0), (1, 1), (3, 2), (100, 1)] {
            let r = panes(Rect::new(0, 0, w, h), with_panel(Pane::Doc));
            assert!(r.status.height <= h);
        }
    }
}
