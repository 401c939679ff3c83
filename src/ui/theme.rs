//! Named styles. No colour is written inline anywhere else, so a theme change is
//! one edit here. Colours are the 16 ANSI ones, which terminals adapt to their
//! own dark or light palette, plus attributes that read well on both.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone)]
pub struct Theme {
    pub text: Style,
    pub dim: Style,
    pub heading: [Style; 3],
    pub emphasis: Style,
    pub strong: Style,
    pub inline_code: Style,
    pub code_block: Style,
    pub math: Style,
    /// Display math shown on one line because the 2D block did not fit.
    pub math_one_line: Style,
    pub link: Style,
    pub quote: Style,
    /// The bar down the left of an answer box, and its "Answer" label.
    pub answer_bar: Style,
    pub answer_label: Style,
    pub rule: Style,
    pub table_header: Style,
    pub border: Style,
    pub border_focused: Style,
    pub selected: Style,
    pub current: Style,
    pub accent: Style,
    pub good: Style,
    pub bad: Style,
    pub warning: Style,
    pub not_written: Style,
    pub status: Style,
    pub escaped: Style,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            text: Style::new(),
            dim: Style::new().add_modifier(Modifier::DIM),
            heading: [
                Style::new()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            ],
            emphasis: Style::new().add_modifier(Modifier::ITALIC),
            strong: Style::new().add_modifier(Modifier::BOLD),
            inline_code: Style::new().fg(Color::Yellow),
            code_block: Style::new(),
            math: Style::new().fg(Color::Magenta),
            math_one_line: Style::new()
                .fg(Color::Magenta)
                .add_modifier(Modifier::ITALIC),
            link: Style::new()
                .fg(Color::Blue)
                .add_modifier(Modifier::UNDERLINED),
            quote: Style::new().fg(Color::Green),
            answer_bar: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            answer_label: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            rule: Style::new().add_modifier(Modifier::DIM),
            table_header: Style::new().add_modifier(Modifier::BOLD),
            border: Style::new().add_modifier(Modifier::DIM),
            border_focused: Style::new().fg(Color::Cyan),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            current: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            accent: Style::new().fg(Color::Cyan),
            good: Style::new().fg(Color::Green),
            bad: Style::new().fg(Color::Red),
            warning: Style::new().fg(Color::Yellow),
            not_written: Style::new()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD | Modifier::ITALIC),
            status: Style::new().add_modifier(Modifier::REVERSED),
            escaped: Style::new().fg(Color::Red).add_modifier(Modifier::DIM),
        }
    }
}
