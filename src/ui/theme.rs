//! Named styles. No colour is written inline anywhere else, so a theme change is
//! one edit here.
//!
//! Styles are written once, in the 16 ANSI colours plus attributes; that is
//! the 16-colour theme, which terminals adapt to their own dark or light
//! palette, so it reads on both (the fallback when the background is not
//! known). The dark and light themes map each ANSI colour to a 256-colour one
//! chosen for that background (blue is too dark on black, yellow too pale on
//! white). The same map is applied to every cell of the frame
//! ([`Theme::finish`]), so colours that do not come from here (syntax
//! highlighting is mapped to ANSI hues) follow the theme too. With `NO_COLOR`
//! set, every colour is dropped and only attributes remain.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

/// The colour themes `--theme` and `C` choose between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeName {
    Dark,
    Light,
    /// The 16 ANSI colours, which read on either background.
    #[default]
    Ansi16,
}

impl ThemeName {
    pub const ALL: [ThemeName; 3] = [ThemeName::Dark, ThemeName::Light, ThemeName::Ansi16];

    pub fn name(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::Ansi16 => "16-colour",
        }
    }

    /// The name `--theme` takes for it (and the state file keeps).
    pub fn key(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::Ansi16 => "16",
        }
    }

    /// What `C` switches to.
    pub fn next(self) -> ThemeName {
        match self {
            ThemeName::Dark => ThemeName::Light,
            ThemeName::Light => ThemeName::Ansi16,
            ThemeName::Ansi16 => ThemeName::Dark,
        }
    }

    /// The 256-colour index an ANSI colour becomes on this theme's background.
    fn map(self, color: Color) -> Color {
        let dark = self == ThemeName::Dark;
        let index = match (self, color) {
            (ThemeName::Ansi16, _) => return color,
            (_, Color::Red) => [160, 203][usize::from(dark)],
            (_, Color::Green) => [28, 114][usize::from(dark)],
            (_, Color::Yellow) => [136, 221][usize::from(dark)],
            (_, Color::Blue) => [25, 75][usize::from(dark)],
            (_, Color::Magenta) => [127, 176][usize::from(dark)],
            (_, Color::Cyan) => [30, 117][usize::from(dark)],
            _ => return color,
        };
        Color::Indexed(index)
    }
}

/// What the reader asked for: a theme, or `auto` (ask the terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeChoice {
    #[default]
    Auto,
    Named(ThemeName),
}

impl std::str::FromStr for ThemeChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "auto" => ThemeChoice::Auto,
            "dark" => ThemeChoice::Named(ThemeName::Dark),
            "light" => ThemeChoice::Named(ThemeName::Light),
            "16" | "ansi" | "16-colour" | "16-color" => ThemeChoice::Named(ThemeName::Ansi16),
            _ => {
                return Err(format!(
                    "`{s}` is not a theme: dark, light, 16 or auto{}",
                    crate::suggest::hint(s, ["dark", "light", "auto"])
                ));
            }
        })
    }
}

impl ThemeChoice {
    /// The theme to start with before (or instead of) asking the terminal:
    /// the named one, else what `COLORFGBG` hints (`15;0` is light text on a
    /// dark background), else the 16-colour theme that reads on both.
    pub fn initial(self, colorfgbg: Option<&str>) -> ThemeName {
        match self {
            ThemeChoice::Named(name) => name,
            ThemeChoice::Auto => colorfgbg.and_then(hint_from_colorfgbg).unwrap_or_default(),
        }
    }
}

/// `COLORFGBG` is `fg;bg` (sometimes `fg;default;bg`) in ANSI colour numbers:
/// a background of 0-6 or 8 is dark, 7 or 9-15 light.
pub fn hint_from_colorfgbg(value: &str) -> Option<ThemeName> {
    let bg: u8 = value.rsplit(';').next()?.trim().parse().ok()?;
    match bg {
        0..=6 | 8 => Some(ThemeName::Dark),
        7 | 9..=15 => Some(ThemeName::Light),
        _ => None,
    }
}

/// Whether `NO_COLOR` asks for no colour (set and not empty, as no-color.org says).
pub fn no_color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: ThemeName,
    /// `NO_COLOR`: attributes only.
    pub no_color: bool,
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
            name: ThemeName::Ansi16,
            no_color: false,
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

impl Theme {
    /// The theme `name`, or with `no_color` its colourless form: attributes
    /// only, with the focused border and the current part made bold so they
    /// still stand out.
    pub fn named(name: ThemeName, no_color: bool) -> Theme {
        let mut theme = Theme {
            name,
            no_color,
            ..Theme::default()
        };
        if no_color {
            theme.border_focused = theme.border_focused.add_modifier(Modifier::BOLD);
            theme.link = theme.link.add_modifier(Modifier::UNDERLINED);
            theme.accent = theme.accent.add_modifier(Modifier::BOLD);
        }
        theme.for_each_style(|s| theme_style(name, no_color, s));
        theme
    }

    /// The same theme with another name (keeping `NO_COLOR`).
    pub fn with_name(&self, name: ThemeName) -> Theme {
        Theme::named(name, self.no_color)
    }

    /// Map a style's colours as this theme does (for styles made elsewhere).
    pub fn style(&self, style: Style) -> Style {
        theme_style(self.name, self.no_color, style)
    }

    /// Bring every cell of a drawn frame to this theme: colours that came
    /// from outside the theme (highlighting) are mapped, or dropped under
    /// `NO_COLOR`. The 16-colour theme with colours leaves the frame as it is.
    pub fn finish(&self, buf: &mut Buffer, area: Rect) {
        if self.name == ThemeName::Ansi16 && !self.no_color {
            return;
        }
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                let cell = &mut buf[(x, y)];
                if self.no_color {
                    cell.set_fg(Color::Reset).set_bg(Color::Reset);
                    cell.underline_color = Color::Reset;
                } else {
                    cell.fg = self.name.map(cell.fg);
                    cell.bg = self.name.map(cell.bg);
                }
            }
        }
    }

    fn for_each_style(&mut self, f: impl Fn(Style) -> Style) {
        let Theme {
            name: _,
            no_color: _,
            text,
            dim,
            heading,
            emphasis,
            strong,
            inline_code,
            code_block,
            math,
            math_one_line,
            link,
            quote,
            answer_bar,
            answer_label,
            rule,
            table_header,
            border,
            border_focused,
            selected,
            current,
            accent,
            good,
            bad,
            warning,
            not_written,
            status,
            escaped,
        } = self;
        for s in heading.iter_mut().chain([
            text,
            dim,
            emphasis,
            strong,
            inline_code,
            code_block,
            math,
            math_one_line,
            link,
            quote,
            answer_bar,
            answer_label,
            rule,
            table_header,
            border,
            border_focused,
            selected,
            current,
            accent,
            good,
            bad,
            warning,
            not_written,
            status,
            escaped,
        ]) {
            *s = f(*s);
        }
    }
}

fn theme_style(name: ThemeName, no_color: bool, style: Style) -> Style {
    let map = |c: Option<Color>| {
        if no_color {
            None
        } else {
            c.map(|c| name.map(c))
        }
    };
    Style {
        fg: map(style.fg),
        bg: map(style.bg),
        underline_color: map(style.underline_color),
        ..style
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_and_hint() {
        assert_eq!("light".parse(), Ok(ThemeChoice::Named(ThemeName::Light)));
        assert_eq!("auto".parse(), Ok(ThemeChoice::Auto));
        let err = "ligth".parse::<ThemeChoice>().unwrap_err();
        assert!(err.contains("did you mean `light`"), "{err}");
        assert_eq!(hint_from_colorfgbg("15;0"), Some(ThemeName::Dark));
        assert_eq!(hint_from_colorfgbg("0;default;15"), Some(ThemeName::Light));
        assert_eq!(hint_from_colorfgbg("junk"), None);
        assert_eq!(ThemeChoice::Auto.initial(None), ThemeName::Ansi16);
        assert_eq!(ThemeChoice::Auto.initial(Some("0;15")), ThemeName::Light);
        assert_eq!(
            ThemeChoice::Named(ThemeName::Dark).initial(Some("0;15")),
            ThemeName::Dark
        );
    }

    #[test]
    fn cycling_visits_every_theme() {
        let mut name = ThemeName::Dark;
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(name);
            name = name.next();
        }
        assert_eq!(name, ThemeName::Dark);
        assert_eq!(seen, ThemeName::ALL);
    }

    #[test]
    fn no_color_keeps_attributes_only() {
        let t = Theme::named(ThemeName::Dark, true);
        assert_eq!(t.heading[0].fg, None);
        assert!(t.heading[0].add_modifier.contains(Modifier::BOLD));
        assert!(t.border_focused.add_modifier.contains(Modifier::BOLD));
        let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
        buf[(0, 0)].set_fg(Color::Red).set_bg(Color::Blue);
        let area = buf.area;
        t.finish(&mut buf, area);
        assert_eq!(buf[(0, 0)].fg, Color::Reset);
        assert_eq!(buf[(0, 0)].bg, Color::Reset);
    }

    #[test]
    fn dark_and_light_pick_different_colours_for_the_same_role() {
        let dark = Theme::named(ThemeName::Dark, false);
        let light = Theme::named(ThemeName::Light, false);
        assert_eq!(dark.math.fg, Some(Color::Indexed(176)));
        assert_eq!(light.math.fg, Some(Color::Indexed(127)));
        assert_eq!(Theme::default().math.fg, Some(Color::Magenta));
    }
}
