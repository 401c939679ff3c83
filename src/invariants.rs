//! The promises nnbook makes about hostile input, as checks on one input each:
//! nothing panics, nothing unsafe reaches the terminal (no control or bidi
//! character), every laid-out line fits its width, and no computation reports
//! NaN or infinity. Each function panics with a message when a promise breaks.
//!
//! They are the bodies of the fuzz targets in `fuzz/` (cargo-fuzz, nightly) and
//! of the property tests in `tests/suite/hostile.rs` (stable, bounded), so both
//! check exactly the same thing.

use std::borrow::Cow;

use ratatui::text::Line;

use crate::compute::{self, Facts};
use crate::content::sanitize::is_unsafe;
use crate::content::source::File;
use crate::content::{Known, Notebook};
use crate::math::{self, Glyphs};
use crate::ui::doc::{MathSettings, entry_lines};
use crate::ui::theme::Theme;

/// What laying out some content produced, for checking that its cost grows
/// linearly with the input (counting work, not timing it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    pub lines: usize,
    pub spans: usize,
    pub bytes: usize,
}

impl Work {
    /// An upper estimate of the memory the laid-out lines hold.
    pub fn memory(&self) -> usize {
        self.lines * std::mem::size_of::<Line<'static>>()
            + self.spans * std::mem::size_of::<ratatui::text::Span<'static>>()
            + self.bytes
    }
}

/// A content file holding `body` as the section of part `1a`.
pub fn one_part_file(body: &str) -> String {
    format!(
        "+++\nproblem = 1\ntitle = \"T\"\npoints = 1\n[[parts]]\nid = \"1a\"\ntitle = \"A\"\n\
         points = 1\n+++\n# Statement\n\n## A {{#1a}}\n\n### Solution\n\n{body}\n"
    )
}

/// Loads `file` (any bytes) as the only content file and lays out every entry at
/// `width` with each math setting. Returns the work done (zero if the content
/// was refused, which is allowed: the errors are checked instead).
pub fn markdown_layout(file: &[u8], width: u16) -> Work {
    let facts = Facts::new();
    let known = Known {
        panels: &[],
        facts: &facts,
        panel_state: crate::panels::check_state,
    };
    let files = [File {
        name: "fuzz.md".into(),
        bytes: Cow::Owned(file.to_vec()),
    }];
    let notebook = match Notebook::from_files(&files, &known) {
        Ok(nb) => nb,
        Err(errors) => {
            for e in &errors.0 {
                let shown = e.to_string();
                assert!(
                    !shown.chars().any(|c| is_unsafe(c) || c == '\n'),
                    "an error message carries raw content: {shown:?}"
                );
            }
            return Work::default();
        }
    };
    let theme = Theme::default();
    let mut work = Work::default();
    for rendered in [true, false] {
        let math = MathSettings {
            rendered,
            glyphs: Glyphs::Unicode,
        };
        for &entry in &notebook.entries {
            let lines = entry_lines(&notebook, entry, width, math, &theme);
            check_lines(&lines, usize::from(width));
            work.lines += lines.len();
            for line in &lines {
                work.spans += line.spans.len();
                work.bytes += line.spans.iter().map(|s| s.content.len()).sum::<usize>();
            }
        }
    }
    work
}

/// Every line at most `width` columns (at least 1), no unsafe character.
pub fn check_lines(lines: &[Line<'_>], width: usize) {
    for line in lines {
        assert!(
            line.width() <= width.max(1),
            "line wider than {width}: {line:?}"
        );
        for span in &line.spans {
            assert!(
                !span.content.chars().any(|c| is_unsafe(c) || c == '\n'),
                "unsafe character in {:?}",
                span.content
            );
        }
    }
}

/// Renders `latex` inline and as a display block at `width` in every glyph set.
pub fn latex(latex: &str, width: usize) {
    for glyphs in Glyphs::ALL {
        let inline = math::render_inline(latex, glyphs);
        let display = math::render_display(latex, width, glyphs);
        for r in [&inline, &display] {
            for span in r.lines.iter().flatten() {
                assert!(
                    !span.text.chars().any(is_unsafe),
                    "unsafe character from {latex:?}: {:?}",
                    span.text
                );
            }
            if let Some(reason) = &r.error {
                assert!(
                    !reason.chars().any(|c| is_unsafe(c) || c == '\n'),
                    "raw content in the reason: {reason:?}"
                );
            }
        }
        assert_eq!(inline.lines.len(), 1, "inline math is one line: {latex:?}");
        if display.error.is_none() && !display.one_line {
            assert!(
                display.width() <= width,
                "display block wider than {width}: {latex:?}"
            );
        }
    }
}

/// Splits `text` as a content file's front matter.
pub fn front_matter(text: &str) {
    if let Err(e) = crate::content::front_matter::split("fuzz.md", text) {
        let shown = e.to_string();
        assert!(
            !shown.chars().any(|c| is_unsafe(c) || c == '\n'),
            "an error message carries raw content: {shown:?}"
        );
    }
}

/// Runs computation number `which` (modulo the registry) with `args` as its
/// `key=value` parameters. Refusing them is fine; a result must be finite:
/// no NaN or inf in the text, no null among the JSON's numbers.
pub fn compute_params(which: usize, args: &[String]) {
    let registry = compute::registry();
    let computation = &registry[which % registry.len()];
    let Ok(report) = compute::run(computation, args, &mut compute::no_progress) else {
        return;
    };
    for bad in ["NaN", "inf"] {
        assert!(
            !report
                .text
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == bad),
            "{} {args:?}: `{bad}` in the report:\n{}",
            computation.name,
            report.text
        );
    }
    assert!(
        !null_in_array(&report.json),
        "{} {args:?}: a null (NaN or inf) among the JSON's numbers",
        computation.name
    );
}

/// NaN and infinity become null in JSON; a number series never holds one.
fn null_in_array(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Array(items) => items.iter().any(|i| i.is_null() || null_in_array(i)),
        serde_json::Value::Object(map) => map.values().any(null_in_array),
        _ => false,
    }
}
