//! The table of contents: problems and parts with their points.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::app::App;
use crate::content::EntryRef;

/// First visible row so that the current entry stays in view (derived from
/// state at draw time rather than stored).
pub fn scroll_offset(selected: usize, height: usize) -> usize {
    (selected + 1).saturating_sub(height.max(1))
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let nb = &app.notebook;
    let offset = scroll_offset(app.entry, area.height as usize);
    for (row, (i, entry)) in nb
        .entries
        .iter()
        .enumerate()
        .skip(offset)
        .take(area.height as usize)
        .enumerate()
    {
        let (label, points, indent) = match *entry {
            EntryRef::Statement { problem } => {
                let p = &nb.problems[problem];
                (format!("{} {}", p.number, p.title), p.points, "")
            }
            EntryRef::Part { problem, part } => {
                let p = &nb.problems[problem].parts[part];
                let letter = p.id.trim_start_matches(|c: char| c.is_ascii_digit());
                let label = if letter.is_empty() {
                    p.title.clone()
                } else {
                    format!("({letter}) {}", p.title)
                };
                (label, p.points, "  ")
            }
        };
        let pts = format!(" {points}");
        let width = area.width as usize;
        let room = width.saturating_sub(indent.len() + pts.len());
        let label = truncate(&label, room);
        let fill = width.saturating_sub(indent.len() + label.width() + pts.len());
        let selected = i == app.entry;
        let base = match (selected, matches!(entry, EntryRef::Statement { .. })) {
            (true, _) => theme.current.patch(theme.selected),
            (false, true) => theme.strong,
            (false, false) => theme.text,
        };
        let line = Line::from(vec![
            Span::styled(format!("{indent}{label}{}", " ".repeat(fill)), base),
            Span::styled(pts, if selected { base } else { theme.dim }),
        ]);
        crate::ui::cells::render_line(
            &line,
            Rect::new(area.x, area.y + row as u16, area.width, 1),
            buf,
        );
    }
}

/// Cut to `width` columns, with an ellipsis when anything was cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_selection_visible() {
        for height in 1..10 {
            for selected in 0..30 {
                let off = scroll_offset(selected, height);
                assert!(
                    off <= selected && selected < off + height,
                    "h={height} s={selected} off={off}"
                );
            }
        }
    }

    #[test]
    fn truncates_with_ellipsis() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
