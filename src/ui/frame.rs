//! The whole frame: panes from the pure layout, each drawn from `&App`.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState,
    StatefulWidget, Widget, Wrap,
};

use super::toc;
use crate::app::action::GLOBAL_KEYS;
use crate::app::{App, Overlay};
use crate::layout::{self, Pane};
use crate::panels::PanelContext;

pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    draw_buffer(app, area, frame.buffer_mut());
}

/// Draw into a buffer; shared by the terminal and headless rendering.
pub fn draw_buffer(app: &App, area: Rect, buf: &mut Buffer) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    if let Some(errors) = &app.errors {
        error_view(app, errors, area, buf);
        return;
    }
    let rects = app.rects();
    if let Some(tabs) = rects.tabs {
        tab_bar(app, tabs, buf);
    }
    if let Some(r) = rects.toc {
        let inner = pane_block(app, Pane::Toc, " Contents ".into(), r, buf);
        toc::render(app, inner, buf);
    }
    if let Some(r) = rects.doc {
        doc_pane(app, r, buf);
    }
    if let Some(r) = rects.panel {
        panel_pane(app, r, buf);
    }
    status_line(app, rects.status, buf);
    if app.overlay == Some(Overlay::Help) {
        help(app, area, buf);
    }
}

fn pane_block(app: &App, pane: Pane, title: String, area: Rect, buf: &mut Buffer) -> Rect {
    let focused = app.focus == pane;
    let style = if focused {
        app.theme.border_focused
    } else {
        app.theme.border
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(
            title,
            if focused {
                app.theme.current
            } else {
                app.theme.strong
            },
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

fn doc_title(app: &App) -> String {
    let Some(entry) = app.current() else {
        return String::new();
    };
    let problem = app.notebook.problem(entry);
    match app.notebook.part(entry) {
        None => format!(" Problem {} · statement ", problem.number),
        Some(part) => format!(
            " Problem {} · {} · {} pts ",
            problem.number, part.id, part.points
        ),
    }
}

fn doc_pane(app: &App, area: Rect, buf: &mut Buffer) {
    let inner = pane_block(app, Pane::Doc, doc_title(app), area, buf);
    let text_area = Rect {
        x: inner.x.saturating_add(1),
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let lines = &app.doc.lines;
    let visible = lines
        .iter()
        .skip(app.doc_scroll)
        .take(text_area.height as usize);
    for (row, line) in visible.enumerate() {
        line.render(
            Rect::new(text_area.x, text_area.y + row as u16, text_area.width, 1),
            buf,
        );
    }
    if lines.len() > inner.height as usize && inner.width > 0 {
        let mut state = ScrollbarState::new(lines.len().saturating_sub(inner.height as usize))
            .position(app.doc_scroll);
        Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None)
            .track_symbol(Some("│"))
            .track_style(app.theme.dim)
            .thumb_symbol("┃")
            .thumb_style(app.theme.accent)
            .render(inner, buf, &mut state);
    }
}

fn panel_pane(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(panel) = app.current_panel() else {
        let inner = pane_block(app, Pane::Panel, " Live ".into(), area, buf);
        Paragraph::new("(this part has no live panel)")
            .style(app.theme.dim)
            .render(inner, buf);
        return;
    };
    let inner = pane_block(app, Pane::Panel, format!(" {} ", panel.title()), area, buf);
    let job = app
        .job
        .as_ref()
        .filter(|j| Some(j.panel.as_str()) == app.panel_owner())
        .and_then(|j| j.progress.as_ref());
    let ctx = PanelContext {
        theme: &app.theme,
        focused: app.focus == Pane::Panel,
        job,
    };
    panel.render(inner, buf, &ctx);
}

fn tab_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let mut spans = Vec::new();
    let has_panel = app.panel_name().is_some();
    for pane in [Pane::Toc, Pane::Doc, Pane::Panel] {
        if pane == Pane::Panel && !has_panel {
            continue;
        }
        let label = format!(" {} ", pane.label());
        let style =
            if app.focus == pane || (app.focus == Pane::Panel && !has_panel && pane == Pane::Doc) {
                app.theme.selected
            } else {
                app.theme.dim
            };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    let hint = match (has_panel, app.focus) {
        (true, Pane::Panel) => "Tab: switch · v: back to the text",
        (true, _) => "Tab: switch · v: show the live panel",
        (false, _) => "Tab: switch",
    };
    spans.push(Span::styled(hint, app.theme.dim));
    Line::from(spans).render(area, buf);
}

fn status_line(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let mut left = match app.current() {
        Some(entry) => {
            let problem = app.notebook.problem(entry);
            match app.notebook.part(entry) {
                Some(part) => format!(" P{} › {} {} ", problem.number, part.id, part.title),
                None => format!(" P{} {} ", problem.number, problem.title),
            }
        }
        None => " nnbook ".into(),
    };
    if let Some(job) = &app.job {
        let pct = job
            .progress
            .as_ref()
            .map(|p| 100 * p.done / p.total.max(1))
            .unwrap_or(0);
        left += &format!("│ ⏳ {} {pct}% ", job.label);
        if job.progress.is_some() {
            left += &format!("· {:.1} s", job.elapsed.as_secs_f64());
            if let Some(rest) = job.remaining() {
                left += &format!(", ~{:.1} s left", rest.as_secs_f64());
            }
            left.push(' ');
        }
    }
    if let Some(message) = &app.message {
        left += &format!("│ {message} ");
    }
    let right = if area.width >= layout::SIDE_BY_SIDE_MIN_WIDTH {
        format!(
            "focus: {} │ math: {} │ ? help  q quit ",
            app.focus.label(),
            if app.math.rendered {
                app.math.glyphs.name()
            } else {
                "LaTeX source"
            }
        )
    } else {
        "? help  q quit ".to_string()
    };
    buf.set_style(area, theme.status);
    let right_w = right.chars().count() as u16;
    let left_area = Rect {
        width: area.width.saturating_sub(right_w),
        ..area
    };
    Line::from(toc::truncate(&left, left_area.width as usize))
        .style(theme.status)
        .render(left_area, buf);
    if area.width > right_w {
        let r = Rect {
            x: area.x + area.width - right_w,
            width: right_w,
            ..area
        };
        Line::from(right).style(theme.status).render(r, buf);
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}

fn help(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let mut lines = vec![Line::styled("Notebook", theme.heading[1])];
    let key_line = |k: &str, what: &str| {
        Line::from(vec![
            Span::styled(format!("  {k:<13}"), theme.accent),
            Span::raw(what.to_string()),
        ])
    };
    lines.extend(GLOBAL_KEYS.iter().map(|(k, w)| key_line(k, w)));
    if let Some(panel) = app.current_panel() {
        lines.push(Line::default());
        lines.push(Line::styled(
            format!("Live panel: {} (Tab to focus it)", panel.title()),
            theme.heading[1],
        ));
        lines.extend(panel.keys().iter().map(|(k, w)| key_line(k, w)));
    }
    lines.push(Line::default());
    lines.push(Line::styled("Esc or ? closes this help", theme.dim));
    let height = lines.len() as u16 + 2;
    let rect = centered(area, 64, height);
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border_focused)
                .title(" Keys "),
        )
        .wrap(Wrap { trim: false })
        .render(rect, buf);
}

fn error_view(app: &App, errors: &crate::content::ContentErrors, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let mut lines = vec![
        Line::styled(
            format!("The content in {} could not be loaded:", app.source),
            theme.bad,
        ),
        Line::default(),
    ];
    lines.extend(errors.0.iter().map(|e| Line::raw(format!("• {e}"))));
    lines.push(Line::default());
    lines.push(Line::styled(
        "Fix the files and start again; `nnbook check --content DIR` lists the same. q quits.",
        theme.dim,
    ));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.bad)
        .title(" Content errors ");
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}
