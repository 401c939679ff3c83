//! Small drawing helpers shared by the panels.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthStr;

/// A clipped drawing surface: writes outside `area` (or outside the buffer)
/// are dropped, so a panel can lay text out by row and column at any size.
pub struct Canvas<'a> {
    pub buf: &'a mut Buffer,
    pub area: Rect,
}

impl Canvas<'_> {
    /// Write `text` at (`row`, `col`) clipped to the area; returns the column
    /// after it. Text cut at the right edge ends in `…`, so a cut number never
    /// reads as a different one.
    pub fn put(&mut self, row: u16, col: u16, text: &str, style: Style) -> u16 {
        let next = col.saturating_add(text.width().min(u16::MAX as usize) as u16);
        // Never write outside the buffer, whatever area we were handed.
        let area = self.area.intersection(self.buf.area);
        if row >= area.height || col >= area.width || area != self.area {
            return next;
        }
        let x = self.area.x + col;
        let room = (self.area.width - col) as usize;
        put_clipped(self.buf, x, self.area.y + row, room, &[(text, style)]);
        next
    }
}

thread_local! {
    static CUTS: Cell<usize> = const { Cell::new(0) };
}

/// How many lines the panels' writers have cut at a right edge on this thread
/// so far: tests render every panel state and check that none was (each line
/// must fit its width by design; the `…` is the fallback, not the plan).
pub fn cuts() -> usize {
    CUTS.with(Cell::get)
}

/// Write styled pieces from (`x`, `y`) in at most `room` columns. If they do
/// not fit, the last column shows `…` and the cut is counted (see [`cuts`]).
pub fn put_clipped(buf: &mut Buffer, x: u16, y: u16, room: usize, pieces: &[(&str, Style)]) {
    if room == 0 || !buf.area.contains(ratatui::layout::Position::new(x, y)) {
        return;
    }
    let total: usize = pieces.iter().map(|(t, _)| t.width()).sum();
    let fits = total <= room;
    let budget = if fits { room } else { room - 1 };
    let mut cx = x;
    let mut left = budget;
    for (text, style) in pieces {
        if left == 0 {
            break;
        }
        let (end, _) = crate::ui::cells::set_stringn(buf, cx, y, text, left, *style);
        left = left.saturating_sub(usize::from(end - cx));
        cx = end;
    }
    if !fits {
        let style = pieces.last().map_or_else(Style::default, |(_, s)| *s);
        buf.set_stringn(x + budget as u16, y, "…", 1, style);
        CUTS.with(|c| c.set(c.get() + 1));
    }
}

/// A ratatui line in the one-row `area`, cut with `…` like [`put_clipped`].
pub fn put_line(buf: &mut Buffer, area: Rect, line: &ratatui::text::Line<'_>) {
    let area = area.intersection(buf.area);
    if area.width == 0 || area.height == 0 {
        return;
    }
    let pieces: Vec<(&str, Style)> = line
        .spans
        .iter()
        .map(|s| (s.content.as_ref(), line.style.patch(s.style)))
        .collect();
    put_clipped(buf, area.x, area.y, usize::from(area.width), &pieces);
}

/// `text` broken at spaces into lines of at most `width` columns (a word
/// wider than that gets a line of its own, which the writers then mark as
/// cut), so panel prose wraps instead of being cut mid-word or mid-number.
pub fn wrap_words(text: &str, width: u16) -> Vec<String> {
    let width = usize::from(width.max(1));
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Styled pieces broken at spaces into lines of at most `width` columns,
/// continuation lines indented by two spaces; pieces keep their styles.
pub fn wrap_styled(pieces: &[(String, Style)], width: u16) -> Vec<Vec<(String, Style)>> {
    let width = usize::from(width.max(1));
    let total: usize = pieces.iter().map(|(t, _)| t.width()).sum();
    if total <= width {
        return vec![pieces.to_vec()];
    }
    let mut lines: Vec<Vec<(String, Style)>> = vec![Vec::new()];
    let mut used = 0;
    for (text, style) in pieces {
        for (i, word) in text.split(' ').enumerate() {
            // A space before every word but the piece's first (kept as written).
            let gap = if i > 0 { " " } else { "" };
            let need = gap.width() + word.width();
            let line = lines.last_mut().expect("one line");
            if used > 2 && used + need > width && !word.is_empty() {
                lines.push(vec![("  ".to_string(), *style), (word.to_string(), *style)]);
                used = 2 + word.width();
                continue;
            }
            let piece = format!("{gap}{word}");
            used += need;
            match line.last_mut() {
                Some((t, s)) if s == style => t.push_str(&piece),
                _ => line.push((piece, *style)),
            }
        }
    }
    lines
}

/// The longest key hint that fits `width` columns (hints go from long to short;
/// the last is used when none fits).
pub fn pick_hint(hints: &[&'static str], width: u16) -> &'static str {
    hints
        .iter()
        .copied()
        .find(|h| h.width() <= width as usize)
        .or_else(|| hints.last().copied())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_and_reports_the_next_column() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 5, 1));
        let mut c = Canvas {
            buf: &mut buf,
            area: Rect::new(0, 0, 5, 1),
        };
        assert_eq!(c.put(0, 3, "abcdef", Style::new()), 9);
        assert_eq!(
            c.put(4, 0, "x", Style::new()),
            1,
            "rows outside are dropped"
        );
        assert_eq!(buf[(3, 0)].symbol(), "a");
        assert_eq!(buf[(4, 0)].symbol(), "…", "a cut is marked");
    }

    #[test]
    fn cuts_are_marked_and_counted() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        let before = cuts();
        put_clipped(
            &mut buf,
            0,
            0,
            6,
            &[("1,2", Style::new()), ("34", Style::new())],
        );
        assert_eq!(cuts(), before, "fits exactly");
        put_clipped(&mut buf, 0, 0, 4, &[("524,288", Style::new())]);
        assert_eq!(cuts(), before + 1);
        let row: String = (0..4).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert_eq!(row, "524…");
    }

    #[test]
    fn wraps_at_spaces_only() {
        assert_eq!(
            wrap_words("sees 729/1,024 px · layer not full", 18),
            ["sees 729/1,024 px", "· layer not full"]
        );
        assert_eq!(wrap_words("", 10), [""]);
        assert_eq!(wrap_words("a  b", 10), ["a b"]);
    }

    #[test]
    fn wraps_styled_pieces_at_spaces() {
        let a = Style::new().bold();
        let b = Style::new().italic();
        let lines = wrap_styled(
            &[
                ("grad check: ".into(), a),
                ("n/a 144 at the kink".into(), b),
            ],
            20,
        );
        let text: Vec<String> = lines
            .iter()
            .map(|l| l.iter().map(|(t, _)| t.as_str()).collect())
            .collect();
        assert_eq!(text, ["grad check: n/a 144", "  at the kink"]);
        assert!(text.iter().all(|l| l.width() <= 20));
        assert_eq!(lines[0][0].1, a);
    }

    #[test]
    fn picks_the_longest_hint_that_fits() {
        let hints = ["long hint here", "short", "s"];
        assert_eq!(pick_hint(&hints, 20), "long hint here");
        assert_eq!(pick_hint(&hints, 6), "short");
        assert_eq!(pick_hint(&hints, 0), "s");
    }
}
