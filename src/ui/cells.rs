//! Writing text into a buffer's cells, fast where the text is printable
//! ASCII (most of a derivation and nearly all of a panel's numbers).
//!
//! ratatui's writers split every string into grapheme clusters and measure
//! each one, which is most of what a redraw costs (issue 15: a 200x60 frame
//! has 12,000 cells and a budget of 0.5 ms). A printable ASCII byte is one
//! grapheme one column wide, so for such text these functions set the cells
//! directly; anything else goes through ratatui unchanged. The result is the
//! same buffer either way, which the tests check against ratatui itself.

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Widget;

/// Whether every character of `s` is its own grapheme one column wide, so a
/// cell per character is exactly what ratatui's segmentation would give:
/// printable ASCII, and the width-1 characters of the blocks the notebook's
/// math and tables draw from (Latin, Greek, punctuation, arrows, operators,
/// box drawing, shapes, dingbats, math alphanumerics). None of those blocks
/// has a width-1 character that joins the one before it (combining marks,
/// joiners and variation selectors are width 0, so the width test rules them
/// out), and wide emoji in them fail the width test too. The soft hyphen is
/// left out by hand: one column to unicode-width, but a format character that
/// ratatui does not draw.
fn one_cell_each(s: &str) -> bool {
    if s.is_ascii() {
        return s.bytes().all(|b| (0x20..0x7f).contains(&b));
    }
    s.chars().all(|c| {
        let simple_block = matches!(u32::from(c),
            0x20..=0x7e
            | 0xa0..=0xac
            | 0xae..=0x2ff
            | 0x370..=0x3ff
            | 0x2010..=0x205e
            | 0x2070..=0x23ff
            | 0x2500..=0x27bf
            | 0x27c0..=0x2bff
            | 0x1d400..=0x1d7ff);
        simple_block && unicode_width::UnicodeWidthChar::width(c) == Some(1)
    })
}

/// Set one cell per character (the caller checked [`one_cell_each`]),
/// starting at `x`, at most `room` of them; returns how many were set.
fn put_cells(buf: &mut Buffer, x: u16, y: u16, s: &str, room: u16, style: Style) -> u16 {
    let start = buf.index_of(x, y);
    let cells = &mut buf.content[start..start + usize::from(room)];
    let mut n = 0;
    for (cell, c) in cells.iter_mut().zip(s.chars()) {
        cell.set_char(c).set_style(style);
        n += 1;
    }
    n
}

/// What `buf.set_stringn(x, y, s, max_width, style)` does, returning the same
/// end position.
pub fn set_stringn(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    s: &str,
    max_width: usize,
    style: Style,
) -> (u16, u16) {
    if !one_cell_each(s) || !buf.area.contains(ratatui::layout::Position::new(x, y)) {
        return buf.set_stringn(x, y, s, max_width, style);
    }
    let max_width = u16::try_from(max_width).unwrap_or(u16::MAX);
    let room = buf.area.right().saturating_sub(x).min(max_width);
    (x + put_cells(buf, x, y, s, room, style), y)
}

/// What `line.render(area, buf)` does for a left-aligned line.
pub fn render_line(line: &Line<'_>, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    let left_aligned = matches!(line.alignment, None | Some(Alignment::Left));
    if area.is_empty() || !left_aligned {
        line.render(area, buf);
        return;
    }
    let area = Rect { height: 1, ..area };
    let no_width = line.spans.iter().all(|s| {
        if s.content.is_ascii() && one_cell_each(&s.content) {
            s.content.is_empty()
        } else {
            s.width() == 0
        }
    });
    if no_width {
        // ratatui leaves the row alone (not even the line's style) when the
        // line has no width.
        return;
    }
    buf.set_style(area, line.style);
    let (mut x, y, right) = (area.x, area.y, area.right());
    for span in &line.spans {
        if x >= right {
            break;
        }
        let text = span.content.as_ref();
        if one_cell_each(text) {
            x += put_cells(buf, x, y, text, right - x, span.style);
        } else {
            let width = span.width();
            if width == 0 {
                // ratatui skips a span with no width (a lone soft hyphen or
                // combining mark is not drawn at all).
                continue;
            }
            span.render(Rect::new(x, y, right - x, 1), buf);
            x = x.saturating_add(u16::try_from(width).unwrap_or(u16::MAX));
        }
    }
}

/// What rendering `Block::bordered().border_style(border).title(title)` into
/// `area` does, without ratatui's pass over every cell of the block to apply
/// its (here default, so idle) style: a pane's frame costs its border cells,
/// not its area.
pub fn bordered(buf: &mut Buffer, area: Rect, border: Style, title: &Line<'_>) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    let (left, top) = (area.left(), area.top());
    let (right, bottom) = (area.right() - 1, area.bottom() - 1);
    let mut put = |x: u16, y: u16, symbol: &str| {
        buf[(x, y)].set_symbol(symbol).set_style(border);
    };
    for y in top..=bottom {
        put(left, y, "│");
        put(right, y, "│");
    }
    for x in left..=right {
        put(x, top, "─");
        put(x, bottom, "─");
    }
    put(right, bottom, "┘");
    put(right, top, "┐");
    put(left, bottom, "└");
    put(left, top, "┌");
    let titles = Rect {
        x: left.saturating_add(1),
        y: top,
        width: area.width.saturating_sub(2),
        height: 1,
    };
    if !titles.is_empty() {
        let width = u16::try_from(title.width()).unwrap_or(u16::MAX);
        render_line(
            title,
            Rect {
                width: width.min(titles.width),
                ..titles
            },
            buf,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ratatui::style::{Color, Modifier};
    use ratatui::text::Span;

    fn style(i: u8) -> Style {
        match i % 4 {
            0 => Style::new(),
            1 => Style::new().fg(Color::Red),
            2 => Style::new().bg(Color::Blue).add_modifier(Modifier::BOLD),
            _ => Style::new()
                .remove_modifier(Modifier::BOLD)
                .fg(Color::Green),
        }
    }

    /// Pieces of text: ASCII words, wide and combining characters, controls.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,12}",
            Just("é".to_string()),
            Just("e\u{301}".to_string()),
            Just("\u{301}x".to_string()),
            Just("宽字".to_string()),
            Just("∂L/∂μ".to_string()),
            Just("✓ ·→×≈ ─┼ 𝐖 ŷ".to_string()),
            Just("✓\u{fe0f}".to_string()),
            Just("⌚x".to_string()),
            Just("a\u{200d}b".to_string()),
            Just("\u{ad}".to_string()),
            "[\u{a0}-\u{2ff}\u{370}-\u{3ff}\u{2010}-\u{23ff}\u{2500}-\u{2bff}\u{300}-\u{36f}]{0,6}",
            Just("a\tb".to_string()),
            Just(String::new()),
        ]
    }

    fn background(area: Rect) -> Buffer {
        let mut buf = Buffer::empty(area);
        for (i, cell) in buf.content.iter_mut().enumerate() {
            cell.set_char(char::from(b'a' + (i % 26) as u8)).set_style(
                Style::new()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::ITALIC),
            );
        }
        buf
    }

    /// Every character the fast path accepts, alone and between two others,
    /// draws exactly as ratatui draws it.
    #[test]
    fn every_one_cell_character_matches_ratatui() {
        let area = Rect::new(0, 0, 6, 1);
        let accepted: Vec<char> = (0..0x1d800u32)
            .filter_map(char::from_u32)
            .filter(|c| one_cell_each(c.encode_utf8(&mut [0; 4])))
            .collect();
        assert!(accepted.len() > 4000, "{}", accepted.len());
        for c in accepted {
            for text in [c.to_string(), format!("a{c}∂{c}")] {
                let mut theirs = background(area);
                let theirs_end = theirs.set_stringn(0, 0, &text, 6, style(1));
                let mut ours = background(area);
                let ours_end = set_stringn(&mut ours, 0, 0, &text, 6, style(1));
                assert_eq!((ours_end, &ours), (theirs_end, &theirs), "{c:?}");
                let line = Line::from(Span::styled(text.clone(), style(2)));
                let mut theirs = background(area);
                (&line).render(area, &mut theirs);
                let mut ours = background(area);
                render_line(&line, area, &mut ours);
                assert_eq!(ours, theirs, "{c:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn bordered_matches_ratatui_block(
            pieces in prop::collection::vec((piece(), any::<u8>()), 0..3),
            border in any::<u8>(),
            x in 0u16..6,
            y in 0u16..3,
            width in 0u16..20,
            height in 0u16..6,
        ) {
            let spans: Vec<Span> = pieces
                .iter()
                .map(|(t, s)| Span::styled(t.clone(), style(*s)))
                .collect();
            let title = Line::from(spans);
            let area = Rect::new(0, 0, 18, 6);
            let target = Rect::new(x, y, width, height);
            let mut theirs = background(area);
            ratatui::widgets::Block::bordered()
                .border_style(style(border))
                .title(title.clone())
                .render(target, &mut theirs);
            let mut ours = background(area);
            bordered(&mut ours, target, style(border), &title);
            prop_assert_eq!(ours, theirs);
        }

        #[test]
        fn render_line_matches_ratatui(
            pieces in prop::collection::vec((piece(), any::<u8>()), 0..6),
            line_style in any::<u8>(),
            x in 0u16..12,
            width in 0u16..30,
        ) {
            let spans: Vec<Span> = pieces
                .iter()
                .map(|(t, s)| Span::styled(t.clone(), style(*s)))
                .collect();
            let line = Line::from(spans).style(style(line_style));
            let area = Rect::new(0, 0, 24, 2);
            let target = Rect::new(x, 1, width, 1);
            let mut theirs = background(area);
            (&line).render(target, &mut theirs);
            let mut ours = background(area);
            render_line(&line, target, &mut ours);
            prop_assert_eq!(ours, theirs);
        }

        #[test]
        fn set_stringn_matches_ratatui(
            text in piece(),
            s in any::<u8>(),
            x in 2u16..30,
            max in 0usize..30,
        ) {
            let area = Rect::new(2, 0, 24, 1);
            let mut theirs = background(area);
            let theirs_end = theirs.set_stringn(x, 0, &text, max, style(s));
            let mut ours = background(area);
            let ours_end = set_stringn(&mut ours, x, 0, &text, max, style(s));
            prop_assert_eq!(ours_end, theirs_end);
            prop_assert_eq!(ours, theirs);
        }
    }
}
