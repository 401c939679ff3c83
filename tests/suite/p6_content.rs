//! Problem 6's content: every template names an existing fact, every part has a
//! written solution and the rnn2d panel, and the pseudocode uses the names of
//! the Rust code it describes.

use std::collections::BTreeSet;

const CONTENT: &str = include_str!("../../content/p6-rnn2d.md");
const CODE: &[&str] = &[
    include_str!("../../src/compute/rnn2d/module.rs"),
    include_str!("../../src/compute/rnn2d/batched.rs"),
];

fn front_matter() -> toml::Table {
    let rest = CONTENT.strip_prefix("+++\n").expect("front matter");
    let end = rest.find("\n+++").expect("end of front matter");
    rest[..end].parse().expect("valid TOML")
}

fn templates() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut rest = CONTENT;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").expect("closed template");
        keys.insert(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    keys
}

#[test]
fn every_template_is_a_fact() {
    let facts = nnbook::compute::facts();
    let keys = templates();
    assert!(keys.len() > 20, "{keys:?}");
    for key in &keys {
        assert!(key.starts_with("p6."), "{key}");
        assert!(facts.contains_key(key), "unknown fact {key}");
    }
}

#[test]
fn every_part_has_a_solution_and_the_panel() {
    let fm = front_matter();
    let parts = fm["parts"].as_array().expect("parts");
    let ids: Vec<&str> = parts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["6a", "6b", "6c", "6d", "6e"]);
    assert!(nnbook::panels::names().contains(&"rnn2d"));
    for part in parts {
        assert_eq!(part.get("panel").and_then(|v| v.as_str()), Some("rnn2d"));
    }
    for id in ids {
        let heading = CONTENT
            .find(&format!("{{#{id}}}"))
            .unwrap_or_else(|| panic!("heading {id}"));
        let section = &CONTENT[heading..];
        let end = section[1..].find("\n## ").map_or(section.len(), |e| e + 1);
        assert!(section[..end].contains("### Solution"), "{id}");
    }
}

fn is_word(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + word.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !ident(before) && !ident(after)
    })
}

#[test]
fn pseudocode_assigns_the_names_the_code_uses() {
    let mut names = BTreeSet::new();
    let mut in_block = false;
    for line in CONTENT.lines() {
        if line.starts_with("```") {
            in_block = line.starts_with("```python");
            continue;
        }
        if !in_block {
            continue;
        }
        // `name = …`, `name += …`, `name[...] = …`
        let code = line.split('#').next().unwrap_or("").trim();
        let name: String = code
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        let rest = code[name.len()..].trim_start();
        let rest = if rest.starts_with('[') {
            rest.find(']').map_or("", |e| rest[e + 1..].trim_start())
        } else {
            rest
        };
        if !name.is_empty() && (rest.starts_with("= ") || rest.starts_with("+= ")) {
            names.insert(name);
        }
    }
    for expected in [
        "h_prev", "input", "pre", "dh_out", "dh_next", "dh", "da", "dh_prev", "d_input",
    ] {
        assert!(
            names.contains(expected),
            "pseudocode lacks {expected}: {names:?}"
        );
    }
    for name in &names {
        assert!(
            CODE.iter().any(|code| is_word(code, name)),
            "pseudocode name `{name}` does not appear in the Rust code"
        );
    }
}

/// 6(d): skipping W_hh·0 at a scan's first step saves the product and the C
/// additions that add it to W_xh·x: 2C² per first step, (H + W)·2C² in all.
/// Checked against the counted loop: one cell costs 4C², a first step from
/// the zero state needs only W_xh·x and tanh.
#[test]
fn zero_state_saving_counts_the_additions_too() {
    use nnbook::compute::rnn2d::{EXAMPLE, flops};
    let (h, w, c) = EXAMPLE;
    let f = nnbook::compute::facts();
    let per_cell = flops::forward_per_cell(c).total();
    assert_eq!(per_cell, 4 * c * c);
    let first = c * c + c * (c - 1) + c;
    assert_eq!(per_cell - first, 2 * c * c);
    assert_eq!(
        f["p6.ex.zero_state_saving"],
        ((h + w) * 2 * c * c).to_string()
    );
}

/// 6(b) and 6(c) are written for panels that open on the backward trace and
/// the receptive field; 6(e) says why equivariance is lost, not only that it is.
#[test]
fn the_text_matches_the_panel_opening_state_and_states_the_reason() {
    let text = CONTENT;
    assert!(text.contains("The panel opens on the backward trace for this part"));
    assert!(text.contains("The panel opens in receptive-field mode for this part"));
    assert!(text.contains("field is anchored at the image's top-left corner"));
    for phrase in [
        "A test compares",
        "a test runs",
        "a test checks",
        "src/compute",
    ] {
        assert!(!text.contains(phrase), "{phrase}");
    }
}
