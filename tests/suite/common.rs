//! Helpers shared by the integration tests: running the binary, running a
//! computation, and drawing a panel alone as text. Each test crate uses only
//! some of them.
#![allow(dead_code)]

use std::process::{Command, Output};

use nnbook::panels::{Panel, PanelContext};
use nnbook::ui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use serde_json::Value;

/// Run the built binary with `args`.
pub fn nnbook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nnbook"))
        .args(args)
        .output()
        .expect("the nnbook binary runs")
}

/// `nnbook compute NAME --json ARGS`, which must succeed, as JSON.
pub fn compute_json(name: &str, args: &[&str]) -> Value {
    let mut all = vec!["compute", name, "--json"];
    all.extend_from_slice(args);
    let out = nnbook(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// `nnbook compute NAME ARGS`, which must fail as bad input (exit 2, nothing
/// on stdout); returns the message.
pub fn compute_fails(name: &str, args: &[&str]) -> String {
    let mut all = vec!["compute", name];
    all.extend_from_slice(args);
    let out = nnbook(&all);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A panel drawn alone at `w` x `h`, as text with trailing spaces trimmed.
pub fn draw_panel(panel: &dyn Panel, w: u16, h: u16) -> String {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    let theme = Theme::default();
    let ctx = PanelContext {
        theme: &theme,
        focused: true,
        job: None,
        math: Default::default(),
    };
    panel.render(area, &mut buf, &ctx);
    (0..h)
        .map(|y| {
            let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
            line.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Gradient-check errors are rounding noise (their digits depend on the
/// platform's libm); tests check their bounds. Mask the digits so snapshots
/// compare everywhere.
pub fn mask_float_noise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("rel err ") {
        let (head, tail) = rest.split_at(i + "rel err ".len());
        out.push_str(head);
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | '-' | '+')))
            .unwrap_or(tail.len());
        out.push_str(&"#".repeat(end));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Render every formula in the solution sections of a content file (figures
/// filled in from the facts, as the loader does) and fail on any that falls
/// back to LaTeX source; returns how many there were.
pub fn render_solution_formulas(content: &str) -> usize {
    let facts = nnbook::compute::facts();
    let mut text = content.to_string();
    for (k, v) in facts {
        text = text.replace(&format!("{{{{{k}}}}}"), v);
    }
    let solutions: String = text.split("### Solution").skip(1).collect();
    let mut count = 0;
    for (i, chunk) in solutions.split("$$").enumerate() {
        if i % 2 == 1 {
            let (_, err) = nnbook::math::render_to_string(chunk, true, Default::default(), 100);
            assert!(err.is_none(), "display math `{chunk}`: {err:?}");
            count += 1;
            continue;
        }
        // Inline math outside code spans and blocks.
        let prose: String = chunk
            .split("```")
            .step_by(2)
            .flat_map(|s| s.split('`').step_by(2))
            .collect();
        for (j, m) in prose.split('$').enumerate() {
            if j % 2 == 1 {
                let (out, err) = nnbook::math::render_to_string(m, false, Default::default(), 100);
                assert!(err.is_none(), "inline math `{m}`: {err:?}");
                assert!(!out.contains('\\'), "`{m}` rendered as `{out}`");
                count += 1;
            }
        }
    }
    count
}

/// A content file's text, read from the source tree.
pub fn content_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("content")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `{{key}}` figures a text quotes, as the loader recognises them.
pub fn template_keys(text: &str) -> std::collections::BTreeSet<String> {
    nnbook::content::template::keys(text).into_iter().collect()
}

/// The embedded notebook, loaded (figures computed, Markdown parsed) once per
/// test run: loading is the same every time, and tests that open hundreds of
/// apps would otherwise spend their time recomputing the facts.
pub fn embedded_notebook() -> &'static nnbook::content::Notebook {
    static NOTEBOOK: std::sync::OnceLock<nnbook::content::Notebook> = std::sync::OnceLock::new();
    NOTEBOOK.get_or_init(|| {
        nnbook::app::load_notebook(&nnbook::content::Source::Embedded)
            .expect("the embedded content loads")
    })
}

/// A fresh app over the embedded notebook, as `App::load(&Source::Embedded, area)`
/// builds it, without loading the content again.
pub fn embedded_app(area: Rect) -> nnbook::app::App {
    nnbook::app::App::new(
        embedded_notebook().clone(),
        None,
        nnbook::content::Source::Embedded.describe(),
        area,
    )
}

/// The solution sections of a content file as the number checks read them:
/// the `**References.**` paragraphs dropped (their years are not results) and
/// every `{{figure}}` replaced by ` T `, so what is left was typed by hand.
pub fn typed_solution_text(content: &str) -> String {
    let solutions: String = content
        .split("### Solution")
        .skip(1)
        .map(|s| s.split("\n## ").next().unwrap_or(""))
        .flat_map(|s| s.split("\n\n"))
        .filter(|para| !para.starts_with("**References.**"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut stripped = String::new();
    let mut rest = solutions.as_str();
    while let Some(start) = rest.find("{{") {
        stripped += &rest[..start];
        let end = rest[start..].find("}}").expect("a template closes");
        stripped.push_str(" T ");
        rest = &rest[start + end + 2..];
    }
    stripped + rest
}
