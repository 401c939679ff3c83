//! Ordinary Markdown, without front matter: a student's own notes read in the
//! same reader. Each file is one entry of the contents (a "problem" of the
//! notebook's shape, numbered in file order), and each of its level-1 and
//! level-2 headings starts a part. A level-1 heading that opens the file is
//! its title and stays in the file's own page. Part ids are the heading's
//! `{#id}` when it has one, else a slug of its text (`## Gradient descent`
//! is `gradient-descent`), made unique with `-2`, `-3`, …
//!
//! Nothing of the notebook format applies: no `{{figures}}` (text is shown as
//! written), no points, no panels, and no "Solution: not yet written" marker.
//! The Markdown goes through the same parser, so the nesting limit and the
//! one sanitiser apply as to any content.

use std::collections::BTreeSet;

use super::markdown::{self, Block};
use super::{ContentError, Part, Problem};

/// Whether a file is ordinary Markdown rather than the notebook format (which
/// always opens with a `+++` front-matter fence).
pub fn is_plain(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().next().is_none_or(|l| l.trim_end() != "+++")
}

/// Parse one ordinary Markdown file into an entry numbered `number`; `taken`
/// holds the part ids already used (by this and earlier files).
pub fn parse(
    name: &str,
    text: &str,
    number: u32,
    taken: &mut BTreeSet<String>,
) -> Result<Problem, Vec<ContentError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (doc, issues) = markdown::parse_checked(text, 1);
    if !issues.is_empty() {
        return Err(issues
            .into_iter()
            .map(|i| ContentError::new(name, Some(i.line), i.message))
            .collect());
    }
    let title_block = matches!(doc.first(), Some(Block::Heading { level: 1, .. }));
    let title = match doc.first() {
        Some(Block::Heading { level: 1, text, .. }) => {
            markdown::plain_text(text).trim().to_string()
        }
        _ => file_stem(name),
    };
    let mut statement = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    for (i, block) in doc.into_iter().enumerate() {
        let starts_part = match &block {
            Block::Heading { level, .. } => *level <= 2 && !(i == 0 && title_block),
            _ => false,
        };
        if let (true, Block::Heading { text, id, line, .. }) = (starts_part, &block) {
            // One line, escaped, like a front-matter title (a setext
            // heading can span lines).
            let title = super::sanitize::one_line(markdown::plain_text(text).trim()).into_owned();
            let base = id.clone().unwrap_or_else(|| slug(&title));
            let id = unique(&base, taken);
            parts.push(Part {
                id,
                line: *line,
                title,
                points: 0,
                panel: None,
                panel_state: Vec::new(),
                body: vec![block],
                has_solution: false,
            });
            continue;
        }
        match parts.last_mut() {
            Some(part) => part.body.push(block),
            None => statement.push(block),
        }
    }
    Ok(Problem {
        number,
        title: super::sanitize::one_line(&title).into_owned(),
        points: 0,
        file: super::sanitize::one_line(name).into_owned(),
        line: 1,
        statement,
        parts,
        plain: true,
    })
}

/// The file name without folders or `.md`, as the title of a file that has
/// no level-1 heading of its own.
fn file_stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.strip_suffix(".md").unwrap_or(base).to_string()
}

/// A heading's text as an id: lower case, letters and digits kept, every
/// other run of characters one `-` (GitHub's anchors, near enough).
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "section".into()
    } else {
        out
    }
}

/// `base`, or `base-2`, `base-3`, … whichever is free; then taken. An id that
/// reads as a statement's (`p3`) is avoided too, since those are reserved.
fn unique(base: &str, taken: &mut BTreeSet<String>) -> String {
    let reserved = |id: &str| {
        taken.contains(id)
            || id
                .strip_prefix('p')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut id = base.to_string();
    let mut n = 2;
    while reserved(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(id.clone());
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_become_parts_and_the_title_stays_on_the_files_page() {
        let text = "# My notes\n\nintro\n\n## Gradient descent\n\nstep\n\n### Detail\n\nmore\n\n\
                    # Second chapter {#ch2}\n\n## Gradient descent\n\nagain\n";
        let mut taken = BTreeSet::new();
        let p = parse("notes/ml.md", text, 1, &mut taken).unwrap();
        assert_eq!(p.title, "My notes");
        assert_eq!(p.statement.len(), 2, "title and intro");
        let ids: Vec<&str> = p.parts.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids, ["gradient-descent", "ch2", "gradient-descent-2"]);
        assert_eq!(
            p.parts[0].body.len(),
            4,
            "heading, step, detail heading, more"
        );
        assert_eq!(p.parts[1].line, 13);
        assert!(p.plain);
    }

    #[test]
    fn a_setext_heading_over_two_lines_is_a_one_line_title() {
        let mut taken = BTreeSet::new();
        let p = parse("f.md", "intro\n\nTwo\nlines\n---\n\nbody\n", 1, &mut taken).unwrap();
        assert_eq!(p.parts.len(), 1);
        assert!(!p.parts[0].title.contains('\n'), "{:?}", p.parts[0].title);
        assert_eq!(p.parts[0].id, "two-lines");
    }

    #[test]
    fn a_file_without_headings_is_one_page_named_after_the_file() {
        let mut taken = BTreeSet::new();
        let p = parse("dir/todo.md", "just text\n", 2, &mut taken).unwrap();
        assert_eq!(p.title, "todo");
        assert!(p.parts.is_empty());
        assert_eq!(p.statement.len(), 1);
    }

    #[test]
    fn slugs_and_reserved_ids() {
        assert_eq!(slug("Why ReLU? (part 2)"), "why-relu-part-2");
        assert_eq!(slug("∑ ∏"), "section");
        let mut taken = BTreeSet::new();
        assert_eq!(
            unique("p1", &mut taken),
            "p1-2",
            "statement ids are reserved"
        );
        assert_eq!(unique("x", &mut taken), "x");
        assert_eq!(unique("x", &mut taken), "x-2");
    }

    #[test]
    fn the_format_is_told_by_the_fence() {
        assert!(!is_plain("+++\nproblem = 1\n"));
        assert!(!is_plain("\u{feff}+++\r\n"));
        assert!(is_plain("# Notes\n"));
        assert!(is_plain(""));
    }
}
