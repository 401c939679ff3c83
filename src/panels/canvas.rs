//! Small drawing helpers shared by the panels.

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
    /// after it.
    pub fn put(&mut self, row: u16, col: u16, text: &str, style: Style) -> u16 {
        let next = col.saturating_add(text.width().min(u16::MAX as usize) as u16);
        // Never write outside the buffer, whatever area we were handed.
        let area = self.area.intersection(self.buf.area);
        if row >= area.height || col >= area.width || area != self.area {
            return next;
        }
        let width = (self.area.width - col) as usize;
        self.buf
            .set_stringn(self.area.x + col, self.area.y + row, text, width, style);
        next
    }
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
        assert_eq!(buf[(4, 0)].symbol(), "b");
    }

    #[test]
    fn picks_the_longest_hint_that_fits() {
        let hints = ["long hint here", "short", "s"];
        assert_eq!(pick_hint(&hints, 20), "long hint here");
        assert_eq!(pick_hint(&hints, 6), "short");
        assert_eq!(pick_hint(&hints, 0), "s");
    }
}
