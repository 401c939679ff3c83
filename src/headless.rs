//! Drawing without a terminal: the exact frame the TUI would draw, onto
//! ratatui's `TestBackend`, printed as text. Used by `nnbook render`, the
//! snapshot tests and the benches.

use std::fmt::Write as _;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use unicode_width::UnicodeWidthStr;

use crate::app::App;
use crate::panels::{Panel, PanelContext};
use crate::ui;
use crate::ui::theme::Theme;

/// Draw `app` at its current size and return the frame as text, one line per
/// row, trailing spaces trimmed; with `color`, styles become ANSI SGR codes.
pub fn render_frame(app: &App, color: bool) -> String {
    let (w, h) = (app.area.width, app.area.height);
    let Ok(mut terminal) = Terminal::new(TestBackend::new(w, h));
    // TestBackend's draw cannot fail; ignore the Result so callers need not.
    let _ = terminal.draw(|frame| ui::frame::draw(frame, app));
    buffer_to_text(terminal.backend().buffer(), color)
}

/// A panel alone, drawn at `width` x `height` (for `render --full` and tests).
pub fn render_panel(panel: &dyn Panel, width: u16, height: u16, color: bool) -> String {
    render_panel_in(
        panel,
        width,
        height,
        color,
        &Theme::default(),
        crate::ui::doc::MathSettings::default(),
    )
}

/// [`render_panel`] in a theme, with the math shown as `math` says (so
/// `render --full --glyphs ascii` or `--latex` reach the panel's equations).
pub fn render_panel_in(
    panel: &dyn Panel,
    width: u16,
    height: u16,
    color: bool,
    theme: &Theme,
    math: crate::ui::doc::MathSettings,
) -> String {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    let ctx = PanelContext {
        theme,
        focused: true,
        job: None,
        math,
    };
    panel.render(area, &mut buf, &ctx);
    theme.finish(&mut buf, area);
    buffer_to_text(&buf, color)
}

/// Lines (already laid out) as text.
pub fn lines_to_text(lines: &[Line<'_>], color: bool) -> String {
    lines_to_text_in(lines, color, &Theme::default())
}

/// [`lines_to_text`], with colours brought to `theme` (highlighting included).
pub fn lines_to_text_in(lines: &[Line<'_>], color: bool, theme: &Theme) -> String {
    let mut out = String::new();
    for line in lines {
        for span in &line.spans {
            let style = theme.style(line.style.patch(span.style));
            if color {
                out += &sgr(style);
            }
            // Laid-out text was sanitised when parsed; this is the net for
            // anything that reached a span another way.
            out += &crate::content::sanitize::one_line(&span.content);
            if color {
                out += "\x1b[0m";
            }
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out
}

pub fn buffer_to_text(buf: &Buffer, color: bool) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut current = Style::new();
        let mut skip = 0;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let cell = &buf[(x, y)];
            let symbol = cell.symbol();
            skip = symbol.width().saturating_sub(1);
            if color && cell.style() != current {
                current = cell.style();
                line += "\x1b[0m";
                line += &sgr(current);
            }
            line += &crate::content::sanitize::one_line(symbol);
        }
        if color {
            line += "\x1b[0m";
        } else {
            let trimmed = line.trim_end_matches(' ').len();
            line.truncate(trimmed);
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

fn sgr(style: Style) -> String {
    let mut codes: Vec<String> = Vec::new();
    let m = style.add_modifier;
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if m.contains(flag) {
            codes.push(code.into());
        }
    }
    if let Some(fg) = style.fg.and_then(|c| color_code(c, false)) {
        codes.push(fg);
    }
    if let Some(bg) = style.bg.and_then(|c| color_code(c, true)) {
        codes.push(bg);
    }
    if codes.is_empty() {
        String::new()
    } else {
        format!("\x1b[{}m", codes.join(";"))
    }
}

fn color_code(color: Color, background: bool) -> Option<String> {
    let base = if background { 40 } else { 30 };
    let code = match color {
        Color::Reset => return None,
        Color::Black => base,
        Color::Red => base + 1,
        Color::Green => base + 2,
        Color::Yellow => base + 3,
        Color::Blue => base + 4,
        Color::Magenta => base + 5,
        Color::Cyan => base + 6,
        Color::Gray => base + 7,
        Color::DarkGray => base + 60,
        Color::LightRed => base + 61,
        Color::LightGreen => base + 62,
        Color::LightYellow => base + 63,
        Color::LightBlue => base + 64,
        Color::LightMagenta => base + 65,
        Color::LightCyan => base + 66,
        Color::White => base + 67,
        Color::Indexed(i) => return Some(format!("{};5;{i}", base + 8)),
        Color::Rgb(r, g, b) => return Some(format!("{};2;{r};{g};{b}", base + 8)),
    };
    Some(code.to_string())
}
