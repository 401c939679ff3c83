//! Keys the derivations tell a student to press exist: every one-character
//! code span that can be a key (a lower-case letter or a bracket) in a part
//! with a live panel is a key of that panel or a global key, so the text
//! cannot drift from the key grammar.

use nnbook::app::action::GLOBAL_KEYS;
use nnbook::content::{Block, Inline};
use nnbook::panels::create_in;

use crate::common;

/// Code spans of paragraphs that speak of keys ("press", "panel", "keys"):
/// elsewhere a one-letter span is a variable of the pseudocode.
fn code_spans(blocks: &[Block], out: &mut Vec<String>) {
    let inlines = |text: &[Inline], out: &mut Vec<String>| {
        let plain = nnbook::content::markdown::plain_text(text).to_lowercase();
        if !["press", "panel", "keys", "cycles"]
            .iter()
            .any(|w| plain.contains(w))
        {
            return;
        }
        for i in text {
            if let Inline::Code(c) = i {
                out.push(c.clone());
            }
        }
    };
    for b in blocks {
        match b {
            Block::Paragraph { text, .. } | Block::Heading { text, .. } => inlines(text, out),
            Block::List { items, .. } => items.iter().for_each(|i| code_spans(i, out)),
            Block::Quote { blocks, .. } | Block::Answer { blocks, .. } => code_spans(blocks, out),
            _ => {}
        }
    }
}

/// The single characters a key description names: "space/l" → ["l"], "[ ]" → ["[", "]"].
fn chars_of(keys: &str) -> Vec<String> {
    keys.split(['/', ' '])
        .filter(|k| k.chars().count() == 1)
        .map(str::to_string)
        .chain(
            keys.split_whitespace()
                .filter(|k| matches!(*k, "[]" | "[/]" | "+/-" | "{}" | "<>"))
                .flat_map(|k| k.chars().filter(|c| *c != '/').map(|c| c.to_string())),
        )
        .collect()
}

#[test]
fn every_key_the_text_names_exists() {
    let nb = common::embedded_notebook();
    let global: Vec<String> = GLOBAL_KEYS.iter().flat_map(|(k, _)| chars_of(k)).collect();
    let mut checked = 0;
    for &entry in &nb.entries {
        let Some(part) = nb.part(entry) else { continue };
        let Some(kind) = &part.panel else { continue };
        let panel = create_in(kind, &part.panel_state).expect("registered");
        let mut keys: Vec<String> = panel.keys().iter().flat_map(|(k, _)| chars_of(k)).collect();
        keys.extend(global.iter().cloned());
        let mut spans = Vec::new();
        code_spans(&part.body, &mut spans);
        // Panel keys are lower-case letters and brackets; capitals, digits
        // and symbols in code spans are the panels' map legends (`W`, `0`,
        // `=`, `A`, `·`).
        for s in spans.iter().filter(|s| {
            // `y`: the rnn2d trace's input label, named beside `x` in 6(a).
            s.as_str() != "y"
                && s.len() == 1
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || "[]{}<>+-".contains(c))
        }) {
            checked += 1;
            assert!(
                keys.contains(s),
                "{}: the text names key `{s}`, which the {kind} panel does not have (keys: {keys:?})",
                part.id
            );
        }
    }
    assert!(checked > 10, "the text names panel keys ({checked})");
}
