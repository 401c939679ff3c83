//! Syntax highlighting for fenced code blocks with syntect.
//!
//! syntect's themes are RGB, which looks wrong on half of all terminals (a dark
//! theme on a light background). We map each token's colour to the nearest of
//! the six ANSI hues instead, so the terminal's own palette, dark or light,
//! decides the actual colour. Assets load on first use, not at start-up, and
//! each block is highlighted once and cached.
//!
//! In the notebook itself highlighting runs on a worker thread
//! ([`highlight_in_background`]): loading syntect's syntaxes and compiling a
//! language's regexes costs tens of milliseconds the first time, which would
//! otherwise be paid by the first frame of every part with a code block. A
//! block not highlighted yet is laid out plain, the worker highlights it, and
//! the app lays the part out again when [`generation`] moves. `render`, tests
//! and benches keep the default inline mode, so their output is deterministic.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use ratatui::style::{Color, Modifier, Style};

use crate::content::markdown::Block;
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

/// (language, code): what a highlighted block is cached under.
type Key = (String, String);

type Cache = Mutex<HashMap<Key, Arc<Vec<HighlightedLine>>>>;

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
    WAITING.with(|w| w.set(false));
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
/// does code beyond this layout's [`HIGHLIGHT_BUDGET`]. In background mode a
/// block not highlighted yet comes back plain, is queued for the worker, and
/// [`layout_waiting`] reports it.
pub fn highlight(code: &str, lang: &str) -> Arc<Vec<HighlightedLine>> {
    if lang.is_empty() || matches!(lang, "text" | "txt" | "plain" | "pseudocode") {
        return plain(code);
    }
    let key = (lang.to_string(), code.to_string());
    if let Some(hit) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return hit;
    }
    if !spend(code.len()) {
        return plain(code);
    }
    if in_background() {
        WAITING.with(|w| w.set(true));
        worker().request(key);
        return plain(code);
    }
    highlight_now(key)
}

fn plain(code: &str) -> Arc<Vec<HighlightedLine>> {
    Arc::new(
        code.lines()
            .map(|l| vec![(l.to_string(), Style::new())])
            .collect(),
    )
}

/// Highlight and cache one block on the calling thread.
fn highlight_now(key: Key) -> Arc<Vec<HighlightedLine>> {
    let lines = highlight_uncached(&key.1, &key.0);
    if let Ok(mut c) = cache().lock() {
        c.insert(key, lines.clone());
    }
    lines
}

fn highlight_uncached(code: &str, lang: &str) -> Arc<Vec<HighlightedLine>> {
    let assets = assets();
    let Some(syntax) = assets.syntaxes.find_syntax_by_token(lang) else {
        return plain(code);
    };
    let mut highlighter = HighlightLines::new(syntax, &assets.theme);
    let mut lines = Vec::new();
    for line in LinesWithEndings::from(code) {
        // syntect's regexes on hostile input: a panic shows the block plain.
        let runs = crate::contain::contained(|| highlighter.highlight_line(line, &assets.syntaxes));
        let Ok(Ok(runs)) = runs else {
            return plain(code);
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
    Arc::new(lines)
}

/// Blocks the worker has finished: moves each time one lands in the cache.
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread's layouts hand highlighting to the worker. Per
    /// thread, so a test that turns it on does not change what the tests
    /// beside it render.
    static BACKGROUND: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Whether the layout in progress showed a block plain while it waits for
    /// the worker (reset by [`reset_budget`], read by [`layout_waiting`]).
    static WAITING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Layouts made on this thread from now on hand highlighting to a worker
/// thread (the TUI's mode), so they never wait for syntect.
pub fn highlight_in_background() {
    BACKGROUND.with(|b| b.set(true));
}

fn in_background() -> bool {
    BACKGROUND.with(|b| b.get())
}

/// How many blocks the worker has highlighted so far; a layout made while
/// [`layout_waiting`] was true is stale once this moves.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Whether the worker still has blocks queued or in hand.
pub fn busy() -> bool {
    WORKER
        .get()
        .is_some_and(|w| w.pending.lock().is_ok_and(|p| !p.is_empty()))
}

/// Whether the layout just made (since the last [`reset_budget`]) showed a
/// block plain because the worker had not highlighted it yet.
pub fn layout_waiting() -> bool {
    WAITING.with(|w| w.get())
}

/// Queue blocks to highlight before anyone opens their part (the TUI calls it
/// after the first frame), within the per-block budget. Inline mode ignores it.
pub fn prefetch<'a>(blocks: impl IntoIterator<Item = (&'a str, &'a str)>) {
    if !in_background() {
        return;
    }
    for (code, lang) in blocks {
        let highlightable = !lang.is_empty()
            && !matches!(lang, "text" | "txt" | "plain" | "pseudocode")
            && code.len() <= HIGHLIGHT_BUDGET;
        let key = (lang.to_string(), code.to_string());
        if highlightable && !cache().lock().is_ok_and(|c| c.contains_key(&key)) {
            worker().request(key);
        }
    }
}

/// [`prefetch`] every code block of the notebook.
pub fn prefetch_notebook(notebook: &crate::content::Notebook) {
    fn walk<'a>(blocks: &'a [Block], out: &mut Vec<(&'a str, &'a str)>) {
        for block in blocks {
            match block {
                Block::Code { lang, code, .. } => out.push((code, lang)),
                Block::List { items, .. } => items.iter().for_each(|item| walk(item, out)),
                Block::Quote { blocks, .. } | Block::Answer { blocks, .. } => walk(blocks, out),
                _ => {}
            }
        }
    }
    let mut blocks = Vec::new();
    for problem in &notebook.problems {
        walk(&problem.statement, &mut blocks);
        for part in &problem.parts {
            walk(&part.body, &mut blocks);
        }
    }
    prefetch(blocks);
}

struct Worker {
    queue: Mutex<Sender<Key>>,
    /// Keys queued or being highlighted, so a block is never queued twice.
    pending: Mutex<HashSet<Key>>,
}

impl Worker {
    fn request(&self, key: Key) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        if pending.insert(key.clone()) {
            let sent = self.queue.lock().is_ok_and(|q| q.send(key.clone()).is_ok());
            if !sent {
                pending.remove(&key);
            }
        }
    }
}

static WORKER: OnceLock<Worker> = OnceLock::new();

fn worker() -> &'static Worker {
    WORKER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Key>();
        let spawned = std::thread::Builder::new()
            .name("highlight".into())
            .spawn(move || {
                for key in rx {
                    if !cache().lock().is_ok_and(|c| c.contains_key(&key)) {
                        highlight_now(key.clone());
                    }
                    if let Some(w) = WORKER.get()
                        && let Ok(mut pending) = w.pending.lock()
                    {
                        pending.remove(&key);
                    }
                    GENERATION.fetch_add(1, Ordering::Release);
                }
            });
        if spawned.is_err() {
            // No thread to spare: highlight inline rather than never.
            BACKGROUND.with(|b| b.set(false));
        }
        Worker {
            queue: Mutex::new(tx),
            pending: Mutex::new(HashSet::new()),
        }
    })
}

fn to_terminal(style: syntect::highlighting::Style) -> Style {
    let mut out = Style::new();
    let fg = style.foreground;
    match ansi_hue(fg.r, fg.g, fg.b) {
        Some(color) => out = out.fg(color),
        // A dark grey is the theme's comment colour: dim, which reads on
        // dark and light terminals alike.
        None if fg.r.max(fg.g).max(fg.b) < 140 => out = out.add_modifier(Modifier::DIM),
        None => {}
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
    // base16-ocean's keyword purple (#b48ead) has chroma 0.149: it must
    // count as a hue, its text grey (#c0c5ce, 0.055) must not.
    if chroma < 0.1 {
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
        // The theme's keyword purple is a hue; its text and comment greys are not.
        assert_eq!(ansi_hue(0xb4, 0x8e, 0xad), Some(Color::Magenta));
        assert_eq!(ansi_hue(0xc0, 0xc5, 0xce), None);
        assert_eq!(ansi_hue(0x65, 0x73, 0x7e), None);
    }

    #[test]
    fn python_keywords_are_coloured_and_comments_dim() {
        let lines = highlight("# a comment\nfor i in range(3):\n    pass", "python");
        let style_of = |line: usize, text: &str| {
            lines[line]
                .iter()
                .find(|(t, _)| t.contains(text))
                .map(|(_, s)| *s)
                .unwrap_or_else(|| panic!("{text:?} in {lines:?}"))
        };
        assert!(style_of(0, "comment").add_modifier.contains(Modifier::DIM));
        assert_eq!(style_of(1, "for").fg, Some(Color::Magenta));
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
    fn in_background_a_block_is_plain_until_the_worker_lands_it() {
        highlight_in_background();
        reset_budget();
        // A block no other test highlights, so the cache cannot have it.
        let code = "def only_here(x):\n    return x + 41";
        let before = generation();
        let first = highlight(code, "python");
        assert!(
            layout_waiting(),
            "the layout must know it showed a block plain"
        );
        assert!(first.iter().flatten().all(|(_, s)| *s == Style::new()));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while generation() == before || busy() {
            assert!(
                std::time::Instant::now() < deadline,
                "the worker never finished"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        reset_budget();
        let later = highlight(code, "python");
        assert!(!layout_waiting());
        assert!(
            later.iter().flatten().any(|(_, s)| s.fg.is_some()),
            "{later:?}"
        );
        BACKGROUND.with(|b| b.set(false));
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
