//! Everything a reader can ask for, and the pure map from terminal events to it.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use crate::layout::Pane;
use crate::panels::PanelKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the notebook.
    Quit,
    /// Go to the next entry (statement or part) in reading order.
    NextEntry,
    /// Go to the previous entry.
    PrevEntry,
    /// Open problem N's statement.
    JumpProblem(u32),
    /// Cycle focus forwards through contents, derivation, live panel.
    FocusNext,
    /// Cycle focus backwards.
    FocusPrev,
    /// Show or hide the live panel in single-pane mode (or focus it when wide).
    TogglePanelView,
    /// Scroll the focused pane by lines (negative is up).
    Scroll(i32),
    /// Scroll the focused pane by pages (negative is up).
    Page(i32),
    /// Jump to the top of the focused pane.
    Top,
    /// Jump to the bottom of the focused pane.
    Bottom,
    /// Open or close the key help overlay.
    ToggleHelp,
    /// Close whatever overlay is open.
    CloseOverlay,
    /// Open the search prompt.
    Search,
    /// A key typed into the open prompt: the search's, or the current
    /// panel's own (see `Panel::prompt_open`).
    SearchEdit(KeyEvent),
    /// Next (`true`) or previous search hit, while hits are shown.
    SearchNext(bool),
    /// Switch the derivation between rendered math and LaTeX source.
    ToggleMath,
    /// Cycle the glyph set used for math.
    CycleGlyphs,
    /// A key for the focused live panel.
    Panel(PanelKey),
    /// Put the current part's panel back in the state the part opens it in.
    ResetPanel,
    /// Show or hide the contents pane beside the text.
    ToggleContents,
    /// Set or clear a mark on the current part (`d` studied, `b` flagged).
    Mark(crate::state::Mark),
    /// Next colour theme: dark, light, 16 colours.
    CycleTheme,
    /// Mouse wheel at a screen position.
    Wheel { col: u16, row: u16, down: bool },
    /// Mouse click at a screen position.
    Click { col: u16, row: u16 },
    /// The terminal was resized.
    Resize { width: u16, height: u16 },
    /// Show or hide the current part's outline in the left pane.
    ToggleOutline,
    /// Scroll the text to the outline entry under the cursor.
    OutlineJump,
    /// Enter or leave link mode.
    LinkMode,
    /// In link mode: the next (`true`) or previous link.
    LinkStep(bool),
    /// In link mode: follow the selected link.
    FollowLink,
    /// Go back to the place a jump left.
    Back,
    /// Undo a `Back`.
    Forward,
    /// Enter or leave exam mode.
    ToggleExam,
    /// Exam mode: reveal the next step, or everything.
    Reveal { all: bool },
    /// Copy the equation, code block or answer box to the clipboard.
    Copy,
    /// Animation clock.
    Tick,
}

/// What the key map needs to know about the app.
#[derive(Debug, Clone, Copy)]
pub struct KeyContext {
    pub focus: Pane,
    pub overlay_open: bool,
    /// The search prompt is open: every key edits it (none runs a command).
    pub prompt_open: bool,
    /// A search's hits are shown: `n` / `N` move between them.
    pub searching: bool,
    /// Link mode: Tab, j/k, Enter and Esc act on the links.
    pub link_mode: bool,
    /// The outline replaces the contents: Enter there jumps to a heading.
    pub outline: bool,
}

/// Every global binding, for the help overlay (and README).
pub const GLOBAL_KEYS: &[(&str, &str)] = &[
    ("n / J", "next part"),
    ("p / K", "previous part"),
    ("1-6", "jump to a problem"),
    (
        "Tab / S-Tab",
        "cycle focus: contents, derivation, live panel",
    ),
    ("j k / ↓ ↑", "scroll (contents: choose a part)"),
    ("PgDn PgUp", "scroll a page"),
    ("g / G", "top / bottom"),
    ("v", "show the live panel (narrow terminals)"),
    ("R", "reset the panel to this part's opening state"),
    ("T", "show / hide the contents pane"),
    ("d", "mark this part studied (again: unmark)"),
    (
        "b",
        "flag this part for review (4, 6: the panel's b; Tab to contents)",
    ),
    ("C", "colours: dark, light, 16-colour theme"),
    ("m", "math: rendered or LaTeX source"),
    ("u", "math glyphs: unicode, unicode-math, ascii"),
    (
        "/",
        "search all parts (Enter keeps the hits, Esc goes back)",
    ),
    ("n / N", "next / previous hit while a search is shown"),
    ("o", "outline of this part (Enter jumps to a heading)"),
    ("f", "link mode: Tab/j/k choose a link, Enter follows, Esc"),
    ("Bksp / C-o", "back to where a link or jump left"),
    ("L", "forward again"),
    ("x", "exam mode: hide the solution (x again leaves)"),
    (".", "exam mode: reveal the next step"),
    ("X", "exam mode: reveal the whole solution"),
    ("y", "copy equation LaTeX, code block or answer (OSC 52)"),
    ("mouse wheel", "scroll the pane under the pointer"),
    ("?", "this help"),
    ("q / Ctrl-C", "quit"),
];

pub fn from_event(event: &Event, ctx: KeyContext) -> Option<Action> {
    match event {
        Event::Key(key) => from_key(*key, ctx),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollDown => Some(Action::Wheel {
                col: mouse.column,
                row: mouse.row,
                down: true,
            }),
            MouseEventKind::ScrollUp => Some(Action::Wheel {
                col: mouse.column,
                row: mouse.row,
                down: false,
            }),
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                col: mouse.column,
                row: mouse.row,
            }),
            _ => None,
        },
        Event::Resize(width, height) => Some(Action::Resize {
            width: *width,
            height: *height,
        }),
        _ => None,
    }
}

pub fn from_key(key: KeyEvent, ctx: KeyContext) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctx.prompt_open {
        // Ctrl-C still quits: a prompt must never lock the reader in.
        if ctrl && key.code == KeyCode::Char('c') {
            return Some(Action::Quit);
        }
        return Some(Action::SearchEdit(key));
    }
    if ctx.searching && !ctrl {
        match key.code {
            KeyCode::Char('n') => return Some(Action::SearchNext(true)),
            KeyCode::Char('N') => return Some(Action::SearchNext(false)),
            KeyCode::Esc => return Some(Action::SearchEdit(key)),
            _ => {}
        }
    }
    if ctx.link_mode && !ctrl && !ctx.overlay_open {
        match key.code {
            KeyCode::Tab | KeyCode::Char('j') | KeyCode::Down => {
                return Some(Action::LinkStep(true));
            }
            KeyCode::BackTab | KeyCode::Char('k') | KeyCode::Up => {
                return Some(Action::LinkStep(false));
            }
            KeyCode::Enter => return Some(Action::FollowLink),
            KeyCode::Esc | KeyCode::Char('f') => return Some(Action::LinkMode),
            _ => {}
        }
    }
    if ctrl {
        return match key.code {
            KeyCode::Char('c') => Some(Action::Quit),
            KeyCode::Char('o') => Some(Action::Back),
            // Only where the terminal tells Ctrl-I from Tab (kitty protocol).
            KeyCode::Char('i') => Some(Action::Forward),
            KeyCode::Char('d') => Some(Action::Page(1)),
            KeyCode::Char('u') => Some(Action::Page(-1)),
            _ => None,
        };
    }
    if ctx.overlay_open {
        return match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Enter => Some(Action::CloseOverlay),
            KeyCode::Char('j') | KeyCode::Down => Some(Action::Scroll(1)),
            KeyCode::Char('k') | KeyCode::Up => Some(Action::Scroll(-1)),
            KeyCode::PageDown | KeyCode::Char(' ') => Some(Action::Page(1)),
            KeyCode::PageUp => Some(Action::Page(-1)),
            KeyCode::Home | KeyCode::Char('g') => Some(Action::Top),
            KeyCode::End | KeyCode::Char('G') => Some(Action::Bottom),
            _ => None,
        };
    }
    let global = match key.code {
        KeyCode::Char('q') => Some(Action::Quit),
        KeyCode::Char('n') | KeyCode::Char('J') => Some(Action::NextEntry),
        KeyCode::Char('p') | KeyCode::Char('K') => Some(Action::PrevEntry),
        KeyCode::Char(c @ '1'..='9') => Some(Action::JumpProblem(c as u32 - '0' as u32)),
        KeyCode::Tab => Some(Action::FocusNext),
        KeyCode::BackTab => Some(Action::FocusPrev),
        KeyCode::Char('?') => Some(Action::ToggleHelp),
        KeyCode::Esc => Some(Action::CloseOverlay),
        KeyCode::Char('/') => Some(Action::Search),
        KeyCode::Char('m') => Some(Action::ToggleMath),
        KeyCode::Char('u') => Some(Action::CycleGlyphs),
        KeyCode::Char('v') => Some(Action::TogglePanelView),
        KeyCode::Char('R') => Some(Action::ResetPanel),
        KeyCode::Char('T') => Some(Action::ToggleContents),
        KeyCode::Backspace => Some(Action::Back),
        KeyCode::Char('L') => Some(Action::Forward),
        KeyCode::Char('.') => Some(Action::Reveal { all: false }),
        KeyCode::Char('X') => Some(Action::Reveal { all: true }),
        KeyCode::Char('y') => Some(Action::Copy),
        KeyCode::Char('C') => Some(Action::CycleTheme),
        KeyCode::PageDown => Some(Action::Page(1)),
        KeyCode::PageUp => Some(Action::Page(-1)),
        KeyCode::Home | KeyCode::Char('g') => Some(Action::Top),
        KeyCode::End | KeyCode::Char('G') => Some(Action::Bottom),
        _ => None,
    };
    if global.is_some() {
        return global;
    }
    if ctx.focus == Pane::Panel {
        let key = match key.code {
            KeyCode::Char(c) => PanelKey::Char(c),
            KeyCode::Up => PanelKey::Up,
            KeyCode::Down => PanelKey::Down,
            KeyCode::Left => PanelKey::Left,
            KeyCode::Right => PanelKey::Right,
            KeyCode::Enter => PanelKey::Enter,
            _ => return None,
        };
        return Some(Action::Panel(key));
    }
    // The text's own letters. With the panel focused the panel keeps them
    // (the layer table's `f` and `o`, the 2D RNN's `f` and `x`).
    match key.code {
        KeyCode::Char('o') => Some(Action::ToggleOutline),
        KeyCode::Char('f') => Some(Action::LinkMode),
        KeyCode::Char('x') => Some(Action::ToggleExam),
        KeyCode::Char('d') => Some(Action::Mark(crate::state::Mark::Studied)),
        // `b` is also a panel key (4, 6): from the text the app hands it on
        // to a panel that uses it; in the contents it always flags.
        KeyCode::Char('b') => Some(Action::Mark(crate::state::Mark::Flagged)),
        KeyCode::Char('j') | KeyCode::Down => Some(Action::Scroll(1)),
        KeyCode::Char('k') | KeyCode::Up => Some(Action::Scroll(-1)),
        KeyCode::Char(' ') => Some(Action::Page(1)),
        KeyCode::Enter if ctx.focus == Pane::Toc && ctx.outline => Some(Action::OutlineJump),
        KeyCode::Enter if ctx.focus == Pane::Toc => Some(Action::FocusNext),
        // A letter that means nothing to the text goes to the panel, so the
        // derivation's "press s to ..." works without Tab first; the app says
        // so when the panel has no use for it either.
        KeyCode::Char(c) => Some(Action::Panel(PanelKey::Char(c))),
        KeyCode::Left => Some(Action::Panel(PanelKey::Left)),
        KeyCode::Right => Some(Action::Panel(PanelKey::Right)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    const DOC: KeyContext = KeyContext {
        focus: Pane::Doc,
        overlay_open: false,
        prompt_open: false,
        searching: false,
        link_mode: false,
        outline: false,
    };

    #[test]
    fn global_keys() {
        assert_eq!(from_key(key(KeyCode::Char('q')), DOC), Some(Action::Quit));
        assert_eq!(
            from_key(
                KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                DOC
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            from_key(key(KeyCode::Char('J')), DOC),
            Some(Action::NextEntry)
        );
        assert_eq!(
            from_key(key(KeyCode::Char('4')), DOC),
            Some(Action::JumpProblem(4))
        );
        assert_eq!(
            from_key(key(KeyCode::BackTab), DOC),
            Some(Action::FocusPrev)
        );
    }

    #[test]
    fn panel_gets_its_keys_only_when_focused() {
        let panel = KeyContext {
            focus: Pane::Panel,
            ..DOC
        };
        assert_eq!(
            from_key(key(KeyCode::Char('j')), panel),
            Some(Action::Panel(PanelKey::Char('j')))
        );
        assert_eq!(
            from_key(key(KeyCode::Char('j')), DOC),
            Some(Action::Scroll(1))
        );
        assert_eq!(
            from_key(key(KeyCode::Char('n')), panel),
            Some(Action::NextEntry)
        );
    }

    #[test]
    fn mark_and_theme_keys() {
        use crate::state::Mark;
        assert_eq!(
            from_key(key(KeyCode::Char('d')), DOC),
            Some(Action::Mark(Mark::Studied))
        );
        assert_eq!(
            from_key(key(KeyCode::Char('b')), DOC),
            Some(Action::Mark(Mark::Flagged))
        );
        assert_eq!(
            from_key(key(KeyCode::Char('C')), DOC),
            Some(Action::CycleTheme)
        );
        let panel = KeyContext {
            focus: Pane::Panel,
            ..DOC
        };
        assert_eq!(
            from_key(key(KeyCode::Char('b')), panel),
            Some(Action::Panel(PanelKey::Char('b'))),
            "a focused panel keeps its b"
        );
        assert_eq!(
            from_key(key(KeyCode::Char('d')), panel),
            Some(Action::Panel(PanelKey::Char('d'))),
            "like o, f and x: a focused panel keeps the text's letters"
        );
    }

    #[test]
    fn help_overlay_swallows_keys() {
        let ctx = KeyContext {
            overlay_open: true,
            ..DOC
        };
        assert_eq!(from_key(key(KeyCode::Char('n')), ctx), None);
        assert_eq!(from_key(key(KeyCode::Esc), ctx), Some(Action::CloseOverlay));
    }
}
