//! Drawing never panics: any terminal size from 1x1 up, any entry, any focus,
//! after any sequence of reader actions.

use crate::common;
use nnbook::app::Action;
use nnbook::headless::render_frame;
use nnbook::panels::PanelKey;
use proptest::prelude::*;
use ratatui::layout::Rect;

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::NextEntry),
        Just(Action::PrevEntry),
        (0u32..8).prop_map(Action::JumpProblem),
        Just(Action::FocusNext),
        Just(Action::FocusPrev),
        Just(Action::TogglePanelView),
        (-50i32..50).prop_map(Action::Scroll),
        (-3i32..3).prop_map(Action::Page),
        Just(Action::Top),
        Just(Action::Bottom),
        Just(Action::ToggleHelp),
        Just(Action::ToggleMath),
        Just(Action::Tick),
        (0u16..200, 0u16..60, any::<bool>()).prop_map(|(col, row, down)| Action::Wheel {
            col,
            row,
            down
        }),
        (0u16..200, 0u16..60).prop_map(|(col, row)| Action::Click { col, row }),
        (1u16..200, 1u16..60).prop_map(|(width, height)| Action::Resize { width, height }),
        prop::sample::select(vec![
            'j', 'k', 'c', 'r', 'i', 'o', ' ', 'l', 'h', 'a', '+', '-', 's', 'e', 'x', 'f', 'b'
        ])
        .prop_map(|c| Action::Panel(PanelKey::Char(c))),
        Just(Action::Panel(PanelKey::Down)),
        Just(Action::Panel(PanelKey::Right)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_size_any_entry_draws(width in 1u16..220, height in 1u16..70, entry in 0usize..40) {
        let mut app = common::embedded_app(Rect::new(0, 0, width, height));
        let effect = app.open(entry);
        app.run_inline(effect);
        let text = render_frame(&app, false);
        prop_assert_eq!(text.lines().count(), height as usize);
    }

    #[test]
    fn any_actions_then_draw(actions in prop::collection::vec(action(), 0..40), width in 1u16..200, height in 1u16..60) {
        let mut app = common::embedded_app(Rect::new(0, 0, width, height));
        for a in actions {
            let effect = app.update(a);
            app.run_inline(effect);
        }
        let _ = render_frame(&app, false);
    }
}

/// Every entry at every size up to 11x7. One app is resized rather than one
/// built per size: the panels' computations do not depend on the size, and
/// running them 77 times over made this the slowest test in the suite.
#[test]
fn tiny_sizes_exhaustively() {
    let mut app = common::embedded_app(Rect::new(0, 0, 1, 1));
    for width in 1..12u16 {
        for height in 1..8u16 {
            app.update(Action::Resize { width, height });
            for entry in 0..app.notebook.entries.len() {
                let effect = app.open(entry);
                app.run_inline(effect);
                let text = render_frame(&app, false);
                assert_eq!(
                    text.lines().count(),
                    height as usize,
                    "{width}x{height} entry {entry}"
                );
            }
        }
    }
}
