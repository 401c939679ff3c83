//! The table of contents: problems and parts with their points.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::app::App;
use crate::content::EntryRef;
use crate::layout::scroll_offset;

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
                let label = if p.plain {
                    p.title.clone()
                } else {
                    format!("{} {}", p.number, p.title)
                };
                (label, (!p.plain).then_some(p.points), "")
            }
            EntryRef::Part { problem, part } => {
                let plain = nb.problems[problem].plain;
                let p = &nb.problems[problem].parts[part];
                let letter = p.id.trim_start_matches(|c: char| c.is_ascii_digit());
                let label = if letter.is_empty() || plain {
                    p.title.clone()
                } else {
                    format!("({letter}) {}", p.title)
                };
                (label, (!plain).then_some(p.points), "  ")
            }
        };
        // Ordinary Markdown has no points.
        let pts = points.map(|n| format!(" {n}")).unwrap_or_default();
        let mark = marks(app, &nb.entry_id(*entry));
        let width = area.width as usize;
        let room = width.saturating_sub(indent.len() + mark.width() + pts.len());
        let label = truncate(&label, room);
        let fill = width.saturating_sub(indent.len() + label.width() + mark.width() + pts.len());
        let selected = i == app.entry;
        let base = match (selected, matches!(entry, EntryRef::Statement { .. })) {
            (true, _) => theme.current.patch(theme.selected),
            (false, true) => theme.strong,
            (false, false) => theme.text,
        };
        let line = Line::from(vec![
            Span::styled(format!("{indent}{label}{}", " ".repeat(fill)), base),
            Span::styled(
                mark,
                match (selected, app.marks(&nb.entry_id(*entry)).1) {
                    (true, _) => base,
                    (false, true) => theme.warning,
                    (false, false) => theme.good,
                },
            ),
            Span::styled(pts, if selected { base } else { theme.dim }),
        ]);
        crate::ui::cells::render_line(
            &line,
            Rect::new(area.x, area.y + row as u16, area.width, 1),
            buf,
        );
    }
}

/// The outline of the current entry as a tree (tui-tree-widget): headings
/// nested by level, the answer box under its heading. The selection is the
/// outline's cursor while the pane has focus, otherwise the heading being
/// read; the heading being read is always drawn in the accent style. The tree
/// state is built afresh for each frame, so drawing changes nothing in the app.
pub fn render_outline(app: &App, area: Rect, buf: &mut Buffer) {
    use ratatui::widgets::StatefulWidget;
    use tui_tree_widget::{Tree, TreeItem, TreeState};

    let theme = &app.theme;
    let items = app.outline_items();
    if items.is_empty() {
        crate::ui::cells::render_line(&Line::styled("(no headings)", theme.dim), area, buf);
        return;
    }
    let reading = app.outline_reading();
    let selected = if app.focus == crate::layout::Pane::Toc {
        app.outline.map(|o| o.cursor.min(items.len() - 1))
    } else {
        reading
    };
    fn build<'a>(
        items: &[crate::app::outline::Item],
        range: std::ops::Range<usize>,
        label: &dyn Fn(usize) -> Line<'a>,
    ) -> Vec<TreeItem<'a, usize>> {
        let mut out = Vec::new();
        let mut k = range.start;
        while k < range.end {
            let mut j = k + 1;
            while j < range.end && items[j].level > items[k].level {
                j += 1;
            }
            let children = build(items, k + 1..j, label);
            // Identifiers are item indices, unique by construction.
            if let Ok(item) = TreeItem::new(k, label(k), children) {
                out.push(item);
            }
            k = j;
        }
        out
    }
    let width = area.width as usize;
    let label = |k: usize| {
        let style = if Some(k) == reading {
            theme.current
        } else {
            theme.text
        };
        // Room for the tree's indentation (2 per depth) and its marker.
        let depth = path(&items, k).len() - 1;
        let room = width.saturating_sub(2 * depth + 2);
        Line::styled(truncate(&items[k].title, room), style)
    };
    let tree_items = build(&items, 0..items.len(), &label);
    let mut state = TreeState::default();
    for k in 0..items.len() {
        if items.get(k + 1).is_some_and(|n| n.level > items[k].level) {
            state.open(path(&items, k));
        }
    }
    if let Some(k) = selected {
        state.select(path(&items, k));
    }
    let Ok(tree) = Tree::new(&tree_items) else {
        return;
    };
    let tree = tree
        .highlight_style(theme.selected)
        .node_open_symbol("▾ ")
        .node_closed_symbol("▸ ")
        .node_no_children_symbol("  ");
    StatefulWidget::render(tree, area, buf, &mut state);
}

/// The identifiers from the root to outline item `k` (its ancestors are the
/// nearest earlier items of each lower level).
fn path(items: &[crate::app::outline::Item], k: usize) -> Vec<usize> {
    let mut out = vec![k];
    let mut level = items[k].level;
    for j in (0..k).rev() {
        if items[j].level < level {
            out.push(j);
            level = items[j].level;
        }
    }
    out.reverse();
    out
}

/// The marks shown before an entry's points: `✓` studied, `!` flagged for
/// review (`+` for studied with the ASCII glyph set); empty without marks.
pub fn marks(app: &App, id: &str) -> String {
    let (studied, flagged) = app.marks(id);
    let tick = if app.math.glyphs == crate::math::Glyphs::Ascii {
        "+"
    } else {
        "✓"
    };
    let mut out = String::new();
    if studied || flagged {
        out.push(' ');
    }
    if studied {
        out.push_str(tick);
    }
    if flagged {
        out.push('!');
    }
    out
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
