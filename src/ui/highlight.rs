//! Syntax highlighting for fenced code blocks with syntect.
//!
//! syntect's themes are RGB, which looks wrong on half of all terminals (a dark
//! theme on a light background). We map each token's colour to the nearest of
//! the six ANSI hues instead, so the terminal's own palette, dark or light,
//! decides the actual colour. Assets load on first use, not at start-up, and
//! each block is highlighted once and cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ratatui::style::{Color, Modifier, Style};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, Theme, ThemeSet};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// One highlighted line: (text, style) runs.
pub type HighlightedLine = Vec<(String, Style)>;

struct Assets {
    syntaxes: SyntaxSet,
    theme: Theme,
}

fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let mut themes = ThemeSet::load_defaults().themes;
        let theme = themes.remove("base16-ocean.dark").unwrap_or_default();
        Assets {
            syntaxes: SyntaxSet::load_defaults_newlines(),
            theme,
        }
    })
}

type Cache = Mutex<HashMap<(String, String), Arc<Vec<HighlightedLine>>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Bytes of code syntect may highlight in one layout of a part (it runs on the
/// UI thread, at a few MB/s: this keeps a layout within a frame or two). Code
/// past the budget, and any block larger than it, is shown as plain text, so a
/// 4 MiB code block cannot freeze the notebook.
pub const HIGHLIGHT_BUDGET: usize = 64 * 1024;

thread_local! {
    static BUDGET: std::cell::Cell<usize> = const { std::cell::Cell::new(HIGHLIGHT_BUDGET) };
}

/// Starts a new layout: the whole [`HIGHLIGHT_BUDGET`] is available again.
pub fn reset_budget() {
    BUDGET.with(|b| b.set(HIGHLIGHT_BUDGET));
}

/// Takes `bytes` from the budget if they fit (a block too large to highlight
/// leaves the budget to the blocks after it).
fn spend(bytes: usize) -> bool {
    BUDGET.with(|b| {
        let left = b.get();
        let fits = bytes <= left;
        if fits {
            b.set(left - bytes);
        }
        fits
    })
}

/// Highlight `code` as `lang` (a fence tag such as `rust` or `python`). Unknown
/// languages and `text` come back unstyled without loading any assets, and so
/// does code beyond this layout's [`HIGHLIGHT_BUDGET`].
pub fn highlight(code: &str, lang: &str) -> Arc<Vec<HighlightedLine>> {
    let plain = || {
        Arc::new(
            code.lines()
                .map(|l| vec![(l.to_string(), Style::new())])
                .collect(),
        )
    };
    if lang.is_empty() || matches!(lang, "text" | "txt" | "plain" | "pseudocode") {
        return plain();
    }
    let key = (lang.to_string(), code.to_string());
    if let Some(hit) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return hit;
    }
    if !spend(code.len()) {
        return plain();
    }
    let assets = assets();
    let Some(syntax) = assets.syntaxes.find_syntax_by_token(lang) else {
        return plain();
    };
    let mut highlighter = HighlightLines::new(syntax, &assets.theme);
    let mut lines = Vec::new();
    for line in LinesWithEndings::from(code) {
        // syntect's regexes on hostile input: a panic shows the block plain.
        let runs = crate::contain::contained(|| highlighter.highlight_line(line, &assets.syntaxes));
        let Ok(Ok(runs)) = runs else {
            return plain();
        };
        lines.push(
            runs.into_iter()
                .map(|(style, text)| {
                    (
                        text.trim_end_matches(['\n', '\r']).to_string(),
                        to_terminal(style),
                    )
                })
                .filter(|(text, _)| !text.is_empty())
                .collect(),
        );
    }
    let lines = Arc::new(lines);
    if let Ok(mut c) = cache().lock() {
        c.insert(key, lines.clone());
    }
    lines
}

fn to_terminal(style: syntect::highlighting::Style) -> Style {
    let mut out = Style::new();
    if let Some(color) = ansi_hue(style.foreground.r, style.foreground.g, style.foreground.b) {
        out = out.fg(color);
    }
    if style.font_style.contains(FontStyle::BOLD) {
        out = out.add_modifier(Modifier::BOLD);
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        out = out.add_modifier(Modifier::ITALIC);
    }
    out
}

/// The ANSI hue nearest an RGB colour, or None for greys (left to the terminal's
/// default foreground so they read on any background).
pub fn ansi_hue(r: u8, g: u8, b: u8) -> Option<Color> {
    let (r, g, b) = (r as f64 / 255.0, g as f64 / 255.0, b as f64 / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let chroma = max - min;
    if chroma < 0.15 {
        return None;
    }
    let hue = if max == r {
        60.0 * ((g - b) / chroma).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / chroma + 2.0)
    } else {
        60.0 * ((r - g) / chroma + 4.0)
    };
    Some(match hue {
        h if !(20.0..330.0).contains(&h) => Color::Red,
        h if h < 70.0 => Color::Yellow,
        h if h < 160.0 => Color::Green,
        h if h < 200.0 => Color::Cyan,
        h if h < 260.0 => Color::Blue,
        _ => Color::Magenta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_hues_and_keeps_greys_default() {
        assert_eq!(ansi_hue(200, 40, 40), Some(Color::Red));
        assert_eq!(ansi_hue(40, 200, 40), Some(Color::Green));
        assert_eq!(ansi_hue(60, 60, 220), Some(Color::Blue));
        assert_eq!(ansi_hue(128, 128, 130), None);
    }

    #[test]
    fn code_past_the_budget_is_plain() {
        reset_budget();
        let big = "fn main() { let x = 1; }\n".repeat(HIGHLIGHT_BUDGET / 25 + 1);
        assert!(big.len() > HIGHLIGHT_BUDGET);
        let lines = highlight(&big, "rust");
        assert!(lines.iter().flatten().all(|(_, s)| *s == Style::new()));
        // A small block still fits; once the budget is spent it does not.
        let small = "fn small() { let x = 1; }";
        assert!(
            highlight(small, "rust")[0]
                .iter()
                .any(|(_, s)| s.fg.is_some())
        );
        BUDGET.with(|b| b.set(10));
        let other = "fn other() { let y = 2; }";
        assert!(
            highlight(other, "rust")[0]
                .iter()
                .all(|(_, s)| *s == Style::new())
        );
        reset_budget();
    }

    #[test]
    fn highlights_rust_and_caches() {
        let a = highlight("fn main() { let x = 1; }", "rust");
        let text: String = a[0].iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(text, "fn main() { let x = 1; }");
        assert!(a[0].iter().any(|(_, s)| s.fg.is_some()), "{a:?}");
        assert!(Arc::ptr_eq(
            &a,
            &highlight("fn main() { let x = 1; }", "rust")
        ));
        assert_eq!(highlight("a\nb", "text").len(), 2);
    }
}
