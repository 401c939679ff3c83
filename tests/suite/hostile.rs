//! Hostile content, parameters and terminals (issue 10): each reproducer from
//! the probe is kept here, plus property tests over the character classes that
//! broke things (controls, C1, bidi controls, non-ASCII spaces, multi-byte
//! letters, entities) and pathological inputs whose layout cost is counted.
//! The checks themselves live in `nnbook::invariants`, shared with `fuzz/`.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use nnbook::content::sanitize::is_unsafe;
use nnbook::invariants::{self, Work, one_part_file};
use proptest::prelude::*;

fn nnbook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nnbook"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .expect("run nnbook")
}

/// A content folder of its own holding `files` (name, text), removed on drop.
struct Folder(PathBuf);

impl Folder {
    fn new(tag: &str, files: &[(&str, &str)]) -> Folder {
        let dir = std::env::temp_dir().join(format!("nnbook-hostile-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write");
        }
        Folder(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn assert_clean(text: &str) {
    for (i, line) in text.lines().enumerate() {
        assert!(
            !line.chars().any(is_unsafe),
            "line {i} carries a raw control: {line:?}"
        );
    }
}

// ------------------------------------------------------------ reproducers ----

/// pulldown-latex 0.8 panicked (exit 101) on these; now they fall back to the
/// source or render, and `render` of content holding them works.
#[test]
fn math_that_panicked_the_parser() {
    for latex in [
        "\\charé",
        "\\kern1em\u{a0}x",
        "\\kern1em\u{3000}x",
        "\\kern1em\u{2003}x",
        "\\kern1em\u{2029}x",
    ] {
        let o = nnbook(&["math", "--", latex]);
        assert!(
            matches!(o.status.code(), Some(0 | 2)),
            "{latex:?}: {}",
            out(&o)
        );
        let o = nnbook(&["math", "--display", "--", latex]);
        assert!(
            matches!(o.status.code(), Some(0 | 2)),
            "{latex:?}: {}",
            out(&o)
        );
        invariants::latex(latex, 40);
    }
    let body = "Inline $\\charé$ and $\\kern1em\u{a0}x$.\n\n$$\\kern1em\u{3000}x$$\n";
    let dir = Folder::new("math", &[("p.md", &one_part_file(body))]);
    let o = nnbook(&["render", "--full", "--part", "1a", "--content", dir.path()]);
    assert!(o.status.success(), "{}", out(&o));
}

/// ~20,000 nested quotes or list items overflowed the stack (exit 134); now a
/// content error naming the line and the limit.
#[test]
fn deep_nesting_is_a_content_error() {
    let quotes = one_part_file(&format!("{}x", "> ".repeat(20_000)));
    let lists: String = (0..2_000)
        .map(|i| format!("{}- a\n", "  ".repeat(i)))
        .collect();
    let lists = one_part_file(&lists);
    for (tag, file) in [("quotes", quotes), ("lists", lists)] {
        let dir = Folder::new(tag, &[("p.md", &file)]);
        for args in [vec!["check"], vec!["render", "--part", "1a"]] {
            let mut a = args.clone();
            a.extend(["--content", dir.path()]);
            let o = nnbook(&a);
            let text = out(&o);
            assert_eq!(o.status.code(), Some(2), "{tag}: {text}");
            assert!(text.contains("p.md:"), "{tag}: {text}");
            assert!(text.contains("nested more than 32 levels"), "{tag}: {text}");
        }
    }
    // Right at the limit it loads.
    let ok = one_part_file(&format!("{}x", "> ".repeat(32)));
    assert!(invariants::markdown_layout(ok.as_bytes(), 40).lines > 0);
}

/// A code block's info string went to stdout raw (also entity-encoded).
#[test]
fn info_strings_links_and_ids_are_sanitised() {
    let body = "```\x1b]0;PWNED\x07\x1b[2J\nx\n```\n\n```&#x1b;[2J&#x9b;31m\ny\n```\n\n\
                [a](http://x/\x1b[31m \"t\x1b[2J\") ![i](&#x9b;x)\n\n\
                ### Sub {#id\u{202e}x}\n\ntext\u{202e}more \u{2066}iso\u{2069} \u{200f}m\n";
    let dir = Folder::new("info", &[("p.md", &one_part_file(body))]);
    for color in [false, true] {
        let mut args = vec![
            "render",
            "--full",
            "--part",
            "1a",
            "--width",
            "60",
            "--content",
            dir.path(),
        ];
        if color {
            args.push("--color");
        }
        let o = nnbook(&args);
        assert!(o.status.success(), "{}", out(&o));
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        // With --color our own SGR codes are the only escapes allowed.
        let stripped = strip_sgr(&text);
        assert_clean(&stripped);
        assert!(stripped.contains("␛]0;PWNED␇␛[2J"), "{stripped}");
        assert!(stripped.contains("<U+009B>31m"), "{stripped}");
        assert!(stripped.contains("text<U+202E>more"), "{stripped}");
    }
    for part in ["p1", "1a"] {
        let o = nnbook(&["render", "--part", part, "--content", dir.path()]);
        assert_clean(&String::from_utf8_lossy(&o.stdout));
    }
}

fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('m').map_or(after.len(), |e| e + 1);
        assert!(
            after[..end.saturating_sub(1)]
                .chars()
                .all(|c| c.is_ascii_digit() || c == ';'),
            "an escape other than SGR: {:?}",
            &rest[i..(i + 2 + end).min(rest.len())]
        );
        rest = &after[end..];
    }
    out + rest
}

/// Part ids, panel names, `{#id}`s, unknown TOML keys and file names were
/// quoted raw in error messages; a newline split the `file:line:` form.
#[test]
fn error_messages_quote_content_escaped() {
    let nasty = "\x1b]0;T\x07\u{9b}2J\u{202e}\0\nX";
    let toml_key = "\"k\\u001b[2J\\u202e\" = 1";
    let files = [
        (
            "a\x1b[31m\u{202e}\nb.md".to_string(),
            format!(
                "+++\nproblem = 1\ntitle = \"T\"\npoints = 1\n[[parts]]\nid = \"1a\"\ntitle = \"A\"\n\
                 points = 1\npanel = \"{}\"\n+++\n## A {{#1a}}\n\n## B {{#zz{nasty}}}\n",
                nasty.replace('\0', "").replace('\n', "\\n").replace('\x1b', "\\u001b").replace('\x07', "\\u0007")
            ),
        ),
        (
            "c.md".to_string(),
            format!("+++\nproblem = 2\ntitle = \"T\"\npoints = 1\n{toml_key}\n+++\n"),
        ),
        (
            "d.md".to_string(),
            "+++\nproblem = 3\ntitle = \"T\"\npoints = 1\n[[parts]]\nid = \"3\\u001b[2Ja\"\ntitle = \"A\"\npoints = 1\n+++\n".to_string(),
        ),
    ];
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let dir = Folder::new("errors", &refs);
    let o = nnbook(&["check", "--content", dir.path()]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_clean(&err);
    for line in err.lines() {
        assert!(
            line.starts_with("nnbook: ") || line.contains(".md"),
            "a split message: {line:?}"
        );
    }
    assert!(err.contains("unknown panel"), "{err}");
    assert!(err.contains("b.md"), "{err}");
    assert!(err.contains("k␛[2J<U+202E>"), "{err}");
    let o = nnbook(&["render", "--part", "\x1b[2J\nx"]);
    assert_clean(&String::from_utf8_lossy(&o.stderr));
}

/// Bidi controls passed through to `math` (and everything else).
#[test]
fn bidi_controls_are_visible_in_math() {
    for c in [
        '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}',
    ] {
        let latex = format!("a{c}b + \\text{{x{c}y}}");
        let o = nnbook(&["math", "--", &latex]);
        let shown = String::from_utf8_lossy(&o.stdout).into_owned();
        assert_clean(&shown);
        invariants::latex(&latex, 30);
    }
    let o = nnbook(&["math", "--", "\\char27[2J"]);
    assert_clean(&out(&o));
}

/// Tables narrower than their minimum, nesting deeper than the width and our
/// own fixed strings overflowed `--width` in `render --full`.
#[test]
fn render_full_keeps_every_line_within_the_width() {
    let table: String = format!(
        "| {} |\n|{}\n| {} |\n",
        (0..30)
            .map(|i| format!("h{i}"))
            .collect::<Vec<_>>()
            .join(" | "),
        "--|".repeat(30),
        (0..30)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let deep = format!("{}deep text here\n\n", "> ".repeat(32));
    let lists: String = (0..30)
        .map(|i| format!("{}- item {i}\n", "  ".repeat(i)))
        .collect();
    let body = format!("{table}\n{deep}{lists}");
    let dir = Folder::new(
        "width",
        &[(
            "p.md",
            &one_part_file(&body).replace("### Solution\n\n", ""),
        )],
    );
    for width in [1u16, 2, 5, 12, 30] {
        for part in ["p1", "1a"] {
            let w = width.to_string();
            let o = nnbook(&[
                "render",
                "--full",
                "--part",
                part,
                "--width",
                &w,
                "--content",
                dir.path(),
            ]);
            assert!(o.status.success(), "{}", out(&o));
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            for line in text.lines() {
                assert!(
                    unicode_width::UnicodeWidthStr::width(line) <= usize::from(width),
                    "{part} at {width}: {line:?}"
                );
            }
        }
    }
    // The built-in content and its live panels, too.
    for part in ["p1", "1b", "2", "3a", "4b", "5a", "6b"] {
        for width in [3u16, 17] {
            let w = width.to_string();
            let o = nnbook(&["render", "--full", "--part", part, "--width", &w]);
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            for line in text.lines() {
                assert!(
                    unicode_width::UnicodeWidthStr::width(line) <= usize::from(width),
                    "{part} at {width}: {line:?}"
                );
            }
        }
    }
}

/// `compute widen` with a learning rate too large printed NaN and thousands of
/// JSON nulls; `seqnorm t=1 v0=0 eps=1e-12 alpha=cumulative` printed inf%.
/// (The issue's widen reproducer, at the largest sizes, is the ignored test
/// below: its gradient check takes a minute in a debug build.)
#[test]
fn diverged_and_undefined_results_are_reported() {
    let args: Vec<String> = ["k=8", "depth=4", "steps=30", "lr=1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    invariants::compute_params(2, &args);
    let o = nnbook(&["compute", "widen", "k=8", "depth=4", "steps=30", "lr=1"]);
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("DIVERGED at step ") && text.contains(": the widened network"),
        "{text}"
    );
    assert!(!text.contains("NaN"), "{text}");
    let json = String::from_utf8_lossy(
        &nnbook(&[
            "compute", "widen", "--json", "k=8", "depth=4", "steps=30", "lr=1",
        ])
        .stdout,
    )
    .into_owned();
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    // Where it diverges depends on the trained narrow network; the text, the
    // JSON and the truncated series must agree on it.
    let step = v["training"]["diverged"]["step"]
        .as_u64()
        .expect("a diverged run says at which step");
    assert!((1..30).contains(&step), "{}", v["training"]["diverged"]);
    assert!(
        text.contains(&format!("DIVERGED at step {step}:")),
        "{text}"
    );
    assert_eq!(
        v["training"]["loss"].as_array().map(Vec::len),
        Some(step as usize)
    );
    let args: Vec<String> = ["t=1", "v0=0", "eps=1e-12", "alpha=cumulative"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    invariants::compute_params(3, &args);
    let o = nnbook(&[
        "compute",
        "seqnorm",
        "t=1",
        "v0=0",
        "eps=1e-12",
        "alpha=cumulative",
    ]);
    let text = out(&o);
    assert!(!text.contains("inf"), "{text}");
    assert!(text.contains("the exact one is 0"), "{text}");
}

#[test]
#[ignore = "a minute in a debug build: cargo test --release --test suite -- --ignored widen_at"]
fn widen_at_the_largest_sizes_reports_divergence() {
    for lr in ["0.3", "1"] {
        let args: Vec<String> = ["c=16", "k=16", "d=8", "depth=5", "batch=16", "steps=300"]
            .iter()
            .map(|s| s.to_string())
            .chain([format!("lr={lr}")])
            .collect();
        invariants::compute_params(2, &args);
    }
}

/// TERM=dumb was ignored, and with stdout not a terminal the TUI ran blind.
#[test]
fn the_tui_refuses_terminals_it_cannot_drive() {
    let o = Command::new(env!("CARGO_BIN_EXE_nnbook"))
        .env("TERM", "dumb")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("TERM=dumb") && err.contains("nnbook render"),
        "{err}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_nnbook"))
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("not a terminal") && err.contains("nnbook render"),
        "{err}"
    );
}

/// A folder with read but no execute permission said "no .md files".
#[test]
fn an_unsearchable_folder_reports_the_permission_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Folder::new("perm", &[("p.md", &one_part_file("x"))]);
    let set = |mode| std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(mode));
    set(0o444).expect("chmod");
    // Root reads through permissions: nothing to test then.
    let blocked = std::fs::metadata(dir.0.join("p.md")).is_err();
    let o = nnbook(&["check", "--content", dir.path()]);
    set(0o755).expect("chmod back");
    if blocked {
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("ermission denied"), "{err}");
        assert!(!err.contains("no .md files"), "{err}");
    } else {
        assert!(o.status.success(), "{}", out(&o));
    }
}

// --------------------------------------------------------- linear cost ----

/// Pathological bodies, each as a function of a repetition count.
type Body = Box<dyn Fn(usize) -> String>;

fn pathological() -> Vec<(&'static str, Body)> {
    vec![
        (
            "nested quotes at the limit",
            Box::new(|n| format!("{}x y z\n\n", "> ".repeat(32)).repeat(n)),
        ),
        (
            "nested lists at the limit",
            Box::new(|n| {
                (0..32)
                    .map(|i| format!("{}- item\n", "  ".repeat(i)))
                    .collect::<String>()
                    .repeat(n)
            }),
        ),
        (
            "long formulas",
            Box::new(|n| format!("$${}$$\n\n", "\\frac{a}{b} + ".repeat(200)).repeat(n)),
        ),
        (
            "huge table",
            Box::new(|n| {
                format!(
                    "| a | b | c |\n|--|--|--|\n{}",
                    "| 1 | 22 | 333 |\n".repeat(n)
                )
            }),
        ),
        (
            "wide table",
            Box::new(|n| format!("| {} |\n|{}\n", "h | ".repeat(n), "--|".repeat(n))),
        ),
        (
            "giant code block",
            Box::new(|n| format!("```rust\n{}```\n", "let x = vec![1, 2, 3];\n".repeat(n))),
        ),
        ("one long word", Box::new(|n| "é".repeat(n))),
        (
            "emphasis soup",
            Box::new(|n| "*a **b `c` d** e* ".repeat(n)),
        ),
    ]
}

/// Layout work (lines, spans, bytes) grows linearly with the input, and a
/// 100 KB pathological file needs well under 50 MB: counted, not timed.
#[test]
fn layout_cost_is_linear_in_the_input() {
    for (name, body) in pathological() {
        let size = |n: usize| one_part_file(&body(n)).len();
        // Find a count giving about 50 KB, then compare with twice as much.
        let mut n = 1;
        while size(n) < 50_000 {
            n *= 2;
        }
        let (small, large) = (one_part_file(&body(n)), one_part_file(&body(2 * n)));
        let width = 40u16;
        let a: Work = invariants::markdown_layout(small.as_bytes(), width);
        let b: Work = invariants::markdown_layout(large.as_bytes(), width);
        assert!(a.lines > 0, "{name}: refused");
        let ratio = b.memory() as f64 / a.memory() as f64;
        assert!(
            ratio < 2.3,
            "{name} at {width}: doubling the input multiplied work by {ratio:.2}"
        );
        // About 100 KB in: under 50 MB out, i.e. under 500 bytes per input byte.
        let per_byte = b.memory() as f64 / large.len() as f64;
        eprintln!(
            "{name} at {width}: {} KB in, {:.1} MB, {per_byte:.0} B/B, x{ratio:.2}",
            large.len() / 1000,
            b.memory() as f64 / 1e6
        );
        assert!(
            per_byte < 500.0,
            "{name} at {width}: {per_byte:.0} bytes of layout per input byte"
        );
    }
}

// ------------------------------------------------------------ properties ----

/// Characters that broke something, plus Markdown and LaTeX punctuation.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec![
            ' ', ' ', '\n', '\n', '>', '-', '*', '_', '|', '#', '`', '$', '\\', '{', '}', '[', ']',
            '(', ')', '!', '&', ';', ':', '1', '.', '^', '~', '=', '+',
        ]),
        4 => prop::char::range('a', 'z'),
        1 => prop::char::range('\u{0}', '\u{1f}'),
        1 => prop::char::range('\u{7f}', '\u{9f}'),
        1 => prop::sample::select(vec![
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}',
        ]),
        1 => prop::sample::select(vec!['\u{a0}', '\u{3000}', '\u{2003}', '\u{2029}', '\u{2028}', '\u{85}', '\u{feff}']),
        1 => prop::sample::select(vec!['é', 'ß', '漢', '字', '😀', '\u{301}', 'ℝ', '∑', 'μ', '\u{fe0f}']),
    ]
}

fn hostile_text(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => hostile_char().prop_map(String::from),
        1 => prop::sample::select(vec![
            "&#x1b;", "&#x9b;", "&#x202e;", "&#0;", "```", "$$", "\n\n", "| a | b |\n|--|--|\n",
            "> ", "- ", "1. ", "{#x}", "\\frac{", "\\kern1em", "\\char", "\\left(", "\\right)",
            "\\begin{pmatrix}", "\\end{pmatrix}", "\\\\", "&", "\\text{", "\\sqrt", "\\mathbf{",
        ]).prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..max).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Arbitrary Markdown (with the classes above): no panic, no unsafe
    /// character in any laid-out line, every line within the width.
    #[test]
    fn markdown_never_panics_leaks_or_overflows(body in hostile_text(120), width in 1u16..120) {
        invariants::markdown_layout(one_part_file(&body).as_bytes(), width);
    }

    /// Arbitrary LaTeX, inline and display, every glyph set.
    #[test]
    fn latex_never_panics_or_leaks(latex in hostile_text(60), width in 1usize..100) {
        invariants::latex(&latex, width);
    }

    /// Arbitrary front matter: errors are one clean line.
    #[test]
    fn front_matter_errors_are_clean(toml in hostile_text(80)) {
        invariants::front_matter(&format!("+++\n{toml}\n+++\nbody\n"));
        invariants::front_matter(&toml);
    }
}

/// Every parameter of every computation at odd values (bounds, tiny, huge,
/// NaN, inf, junk), one at a time over a cheap base configuration: refused
/// with an error, or a finite result.
#[test]
fn compute_parameters_at_their_extremes_give_finite_results() {
    let values = ["0", "1", "-1", "1e-12", "1e308", "-100", "NaN", "inf", "x"];
    let cheap: &[(&str, &[&str])] = &[
        (
            "activations",
            &["steps=2", "depth=2", "width=4", "batch=8", "points=8"],
        ),
        ("widen", &["steps=3", "k=4", "depth=2"]),
    ];
    for (which, c) in nnbook::compute::registry().iter().enumerate() {
        let base = cheap
            .iter()
            .find(|(n, _)| *n == c.name)
            .map_or(&[][..], |(_, b)| *b);
        for p in c.params {
            for v in values {
                let mut args: Vec<String> = base
                    .iter()
                    .filter(|a| !a.starts_with(&format!("{}=", p.name)))
                    .map(|a| a.to_string())
                    .collect();
                args.push(format!("{}={v}", p.name));
                invariants::compute_params(which, &args);
            }
        }
    }
}
