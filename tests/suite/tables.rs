//! GFM tables in the derivations never break a number or a word across lines:
//! a cell wraps only at spaces, and a table too wide for the pane is shown one
//! record per row. Checked for every table in the shipped content at every
//! width from 40 to 160 columns.

use nnbook::content::{Block, Inline, Notebook};
use nnbook::ui::doc::{MathSettings, entry_lines};
use nnbook::ui::theme::Theme;

use crate::common;

/// Every number (digits with their `,` and `.` groups) in a table's text cells.
fn numbers_in(blocks: &[Block], out: &mut Vec<String>) {
    for block in blocks {
        match block {
            Block::Table { header, rows, .. } => {
                for cell in header.iter().chain(rows.iter().flatten()) {
                    for inline in cell {
                        if let Inline::Text(t, _) | Inline::Code(t) = inline {
                            out.extend(numbers(t));
                        }
                    }
                }
            }
            Block::List { items, .. } => items.iter().for_each(|i| numbers_in(i, out)),
            Block::Quote { blocks, .. } => numbers_in(blocks, out),
            _ => {}
        }
    }
}

fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || (!current.is_empty() && (c == ',' || c == '.')) {
            current.push(c);
        } else if !current.is_empty() {
            let n = current.trim_end_matches([',', '.']).to_string();
            if n.len() >= 2 {
                out.push(n);
            }
            current.clear();
        }
    }
    out
}

#[test]
fn every_number_in_every_table_is_whole_at_widths_40_to_160() {
    let nb: &Notebook = common::embedded_notebook();
    let theme = Theme::default();
    let mut checked = 0;
    for &entry in &nb.entries {
        let Some(part) = nb.part(entry) else { continue };
        let mut wanted = Vec::new();
        numbers_in(&part.body, &mut wanted);
        if wanted.is_empty() {
            continue;
        }
        for width in 40..=160u16 {
            let text: Vec<String> = entry_lines(nb, entry, width, MathSettings::default(), &theme)
                .iter()
                .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
                .collect();
            let table_lines: Vec<&String> = text
                .iter()
                .filter(|l| l.contains(['│', '┌', '├']))
                .collect();
            for n in &wanted {
                assert!(
                    table_lines.iter().any(|l| l.contains(n.as_str())),
                    "{} at {width} columns: {n} is not whole in any table line",
                    part.id
                );
                checked += 1;
            }
            for l in &text {
                let w = unicode_width::UnicodeWidthStr::width(l.as_str());
                assert!(
                    w <= usize::from(width),
                    "{} at {width}: {w} > {width}: {l}",
                    part.id
                );
            }
        }
    }
    assert!(
        checked > 1000,
        "the content has tables with numbers ({checked})"
    );
}
