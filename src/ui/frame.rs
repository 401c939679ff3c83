//! The whole frame: panes from the pure layout, each drawn from `&App`.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState,
    StatefulWidget, Widget, Wrap,
};

use super::toc;
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
    draw_contents(app, area, buf);
    app.theme.finish(buf, area);
    scrub(buf, area);
}

/// The last line of defence of the one sanitiser: no cell may hold a control or
/// bidi character, whatever path its text took (content is sanitised when it is
/// parsed, so this normally finds nothing).
fn scrub(buf: &mut Buffer, area: Rect) {
    use crate::content::sanitize::is_unsafe;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            if cell.symbol().chars().any(|c| is_unsafe(c) || c == '\n') {
                cell.set_symbol("\u{FFFD}");
            }
        }
    }
}

fn draw_contents(app: &App, area: Rect, buf: &mut Buffer) {
    if let Some(errors) = &app.errors {
        error_view(app, errors, area, buf);
        return;
    }
    let rects = app.rects();
    if let Some(tabs) = rects.tabs {
        tab_bar(app, tabs, buf);
    }
    if let Some(r) = rects.toc {
        if app.outline.is_some() {
            let id = app
                .current()
                .map(|e| app.notebook.entry_id(e))
                .unwrap_or_default();
            let inner = pane_block(app, Pane::Toc, format!(" Outline · {id} "), r, buf);
            toc::render_outline(app, inner, buf);
        } else {
            let inner = pane_block(app, Pane::Toc, " Contents ".into(), r, buf);
            toc::render(app, inner, buf);
        }
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
    let title = Line::from(Span::styled(
        title,
        if focused {
            app.theme.current
        } else {
            app.theme.strong
        },
    ));
    crate::ui::cells::bordered(buf, area, style, &title);
    Block::bordered().inner(area)
}

fn doc_title(app: &App) -> String {
    let Some(entry) = app.current() else {
        return String::new();
    };
    let problem = app.notebook.problem(entry);
    if problem.plain {
        return match app.notebook.part(entry) {
            None => format!(" {} ", problem.title),
            Some(part) => format!(" {} · {} ", problem.title, part.id),
        };
    }
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
    // Exam mode shows the text up to its cut, then what is hidden.
    let cut = app.exam_view().map_or(app.doc.lines.len(), |v| v.cut);
    let footer = app.exam_footer();
    let shown = app.doc.lines[..cut.min(app.doc.lines.len())]
        .iter()
        .chain(footer.iter());
    let visible = shown.skip(app.doc_scroll).take(text_area.height as usize);
    for (row, line) in visible.enumerate() {
        let r = Rect::new(text_area.x, text_area.y + row as u16, text_area.width, 1);
        crate::ui::cells::render_line(line, r, buf);
        highlight_hits(app, line, r, buf);
    }
    highlight_link(app, text_area, buf);
    let total = app.doc_shown_len();
    if total > inner.height as usize && inner.width > 0 {
        let mut state = ScrollbarState::new(total.saturating_sub(inner.height as usize))
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

/// Mark the search query where it occurs in a drawn line (drawing only: the
/// laid-out lines stay as they are).
fn highlight_hits(app: &App, line: &Line<'_>, area: Rect, buf: &mut Buffer) {
    if app.search.query.trim().is_empty() || app.search.hits.is_empty() {
        return;
    }
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    for (start, end) in crate::search::occurrences(&text, &app.search.query) {
        let col = unicode_width::UnicodeWidthStr::width(&text[..start]) as u16;
        let w = unicode_width::UnicodeWidthStr::width(&text[start..end]) as u16;
        if col >= area.width {
            continue;
        }
        let r = Rect::new(area.x + col, area.y, w.min(area.width - col), 1);
        buf.set_style(r, app.theme.selected);
    }
}

/// In link mode, the selected link's text shown reversed where it is drawn.
fn highlight_link(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(link) = app.link.and_then(|i| app.doc.links.get(i)) else {
        return;
    };
    for &(line, col, width) in &link.cells {
        let Some(row) = line.checked_sub(app.doc_scroll) else {
            continue;
        };
        if row >= area.height as usize || col >= area.width as usize {
            continue;
        }
        let w = width.min(area.width as usize - col) as u16;
        let r = Rect::new(area.x + col as u16, area.y + row as u16, w, 1);
        buf.set_style(r, app.theme.selected);
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
        math: app.math,
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

/// The search prompt on the status line: `/` and the query, with the cursor
/// shown as a reversed cell, and the hit count so far.
fn search_prompt(app: &App, prompt: &tui_input::Input, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    buf.set_style(area, theme.status);
    let count = match (app.search.query.is_empty(), app.search.hits.len()) {
        (true, _) => "type to search all parts · Enter keep · Esc back".to_string(),
        (false, 0) => "no match".to_string(),
        (false, _) => app.search_status().unwrap_or_default(),
    };
    let value = crate::content::sanitize::visible(prompt.value(), 1).into_owned();
    let cursor = prompt.visual_cursor();
    let before: String = value.chars().take(cursor).collect();
    let at: String = value.chars().skip(cursor).take(1).collect();
    let after: String = value.chars().skip(cursor + 1).collect();
    let line = Line::from(vec![
        Span::styled(" /", theme.accent),
        Span::raw(before),
        Span::styled(
            if at.is_empty() { " ".to_string() } else { at },
            theme.selected,
        ),
        Span::raw(after),
        Span::styled(format!("   {count}"), theme.dim),
    ]);
    crate::panels::canvas::put_line(buf, area, &line);
}

fn status_line(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    if let Some(prompt) = &app.search.prompt {
        search_prompt(app, prompt, area, buf);
        return;
    }
    let mut left = match app.current() {
        Some(entry) => {
            let problem = app.notebook.problem(entry);
            // A message (what was copied, where a jump went) needs the room
            // more than the title, which the pane's border shows anyway.
            match (app.notebook.part(entry), &app.message) {
                (Some(part), None) if problem.plain => {
                    format!(" {} › {} ", problem.title, part.title)
                }
                (Some(part), Some(_)) if problem.plain => format!(" › {} ", part.id),
                (None, _) if problem.plain => format!(" {} ", problem.title),
                (Some(part), None) => {
                    format!(" P{} › {} {} ", problem.number, part.id, part.title)
                }
                (Some(part), Some(_)) => format!(" P{} › {} ", problem.number, part.id),
                (None, None) => format!(" P{} {} ", problem.number, problem.title),
                (None, Some(_)) => format!(" P{} ", problem.number),
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
    if let Some(status) = app.link_status() {
        // Where the link goes matters more than the part's title, which is
        // on the pane's border anyway.
        left = format!(" {status} ");
    }
    if let Some(v) = app.exam_view() {
        left += &format!("│ exam {}/{} ", v.shown, v.total);
    } else if app.exam.is_some() {
        left += "│ exam ";
    }
    if let Some(status) = app.search_status() {
        left += &format!("│ {status} (n/N, Esc clears) ");
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

fn help(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let rows = app.help_rows();
    let rect = layout::help_rect(area, rows.len());
    let visible = layout::help_visible_rows(rect);
    Clear.render(rect, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(" Keys ");
    let inner = block.inner(rect);
    block.render(rect, buf);
    let lines: Vec<Line<'_>> = rows
        .iter()
        .skip(app.help_scroll)
        .take(visible)
        .map(|(key, what)| match key {
            Some(k) => Line::from(vec![
                Span::styled(format!("  {k:<13}"), theme.accent),
                Span::raw(what.as_str()),
            ]),
            None => Line::styled(what.as_str(), theme.heading[1]),
        })
        .collect();
    let body = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    Paragraph::new(lines).render(body, buf);
    if inner.height > 0 {
        let more = app.help_scroll + visible < rows.len();
        let wide = inner.width >= 48;
        let closing = match (more, app.help_scroll > 0, wide) {
            (true, _, true) => "more ↓ j/k scroll · Esc or ? closes this help",
            (false, true, true) => "↑ k scrolls back · Esc or ? closes this help",
            (false, false, true) => "Esc or ? closes this help",
            (true, _, false) => "more ↓ j/k · Esc closes this help",
            (false, _, false) => "Esc closes this help",
        };
        let last = Rect {
            y: inner.y + inner.height - 1,
            height: 1,
            ..inner
        };
        Line::styled(closing, theme.dim).render(last, buf);
    }
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
    // With --watch the app says to save instead of starting again.
    let hint = app
        .message
        .as_deref()
        .unwrap_or("Fix the files and start again; `nnbook check --content DIR` lists the same.");
    lines.push(Line::styled(format!("{hint} q quits."), theme.dim));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.bad)
        .title(" Content errors ");
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}
