//! The binary end to end: render, check (good content and one fixture per way
//! content can be wrong), compute --list, and exit codes (0 ok, 2 bad input).

use std::path::PathBuf;
use std::process::{Command, Output};

fn nnbook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nnbook"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run nnbook")
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_accepts_the_built_in_content_from_any_directory() {
    let o = nnbook(&["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("ok: 6 problems"), "{out}");
    for n in 1..=6 {
        assert!(out.contains(&format!("problem {n} ")), "{out}");
    }
}

#[test]
fn check_accepts_a_users_folder() {
    let o = nnbook(&["check", "--content", &fixture("good")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("notes.md:2  problem 1"),
        "{}",
        stdout(&o)
    );
}

/// (fixture, file:line the message must name, words it must contain)
const BROKEN: &[(&str, &str, &str)] = &[
    (
        "misplaced_front_matter",
        "p1.md:2:",
        "front matter must start on the first line",
    ),
    ("bad_toml", "p1.md:3:", "front matter"),
    (
        "unknown_panel",
        "p1.md:10:",
        "unknown panel `no-such-panel`",
    ),
    ("unknown_key", "p1.md:5:", "unknown field `colour`"),
    ("duplicate_id", "p2.md:7:", "duplicate part id `1a`"),
    ("invalid_utf8", "p1.md:8:", "not valid UTF-8"),
    ("missing_section", "p1.md:7:", "has no section"),
    ("unknown_figure", "p1.md:8:", "unknown figure"),
];

#[test]
fn check_names_file_and_line_for_each_broken_fixture() {
    for (name, location, words) in BROKEN {
        let o = nnbook(&["check", "--content", &fixture(&format!("bad/{name}"))]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(location),
            "{name}: expected {location} in {err}"
        );
        assert!(err.contains(words), "{name}: expected {words} in {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

/// One run lists every problem of every file, in file and line order, even
/// where the front matter is broken (the body is still checked), and offers
/// the nearest valid name for a mistyped panel or figure.
#[test]
fn check_lists_every_error_in_one_run_with_suggestions() {
    let o = nnbook(&["check", "--content", &fixture("bad/many_errors")]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let expected = [
        ("p1.md:10:", "unknown panel `rnn2` (did you mean `rnn2d`?)"),
        ("p1.md:13:", "part id `1 b` must be"),
        (
            "p1.md:19:",
            "unknown figure `{{p1.total_param}}` (did you mean `p1.total_params`?)",
        ),
        ("p2.md:5:", "unknown field `colour`"),
        ("p2.md:9:", "unknown figure `{{p2.nope}}`"),
        ("p2.md:11:", "nested more than 32 levels"),
    ];
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{err}");
    for (line, (location, words)) in lines.iter().zip(expected) {
        assert!(
            line.contains(location) && line.contains(words),
            "{line}\n{err}"
        );
    }
}

#[test]
fn mistyped_names_on_the_command_line_get_a_suggestion() {
    let cases: [(&[&str], &str); 3] = [
        (&["render", "--part", "1bb"], "(did you mean `1b`?)"),
        (&["compute", "rnn2"], "(did you mean `rnn2d`?)"),
        (&["compute", "rnn2d", "sed=3"], "(did you mean `seed`?)"),
    ];
    for (args, hint) in cases {
        let o = nnbook(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(hint), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn check_rejects_an_empty_folder_and_a_file_that_is_not_markdown() {
    let empty = std::env::temp_dir().join(format!("nnbook-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("temp dir");
    let o = nnbook(&["check", "--content", &empty.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no .md files"), "{}", stderr(&o));
    let _ = std::fs::remove_dir(&empty);

    // One .md file is content of its own; any other file is not.
    let file = fixture("good/notes.md");
    let o = nnbook(&["check", "--content", &file]);
    assert!(o.status.success(), "{}", stderr(&o));
    let other = std::env::temp_dir().join(format!("nnbook-notmd-{}.txt", std::process::id()));
    std::fs::write(&other, "# hi\n").expect("temp file");
    let o = nnbook(&["check", "--content", &other.display().to_string()]);
    let _ = std::fs::remove_file(&other);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not a .md file"), "{}", stderr(&o));

    let o = nnbook(&["check", "--content", "/no/such/folder"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such/folder"), "{}", stderr(&o));
}

#[test]
fn render_prints_a_plain_frame_of_the_requested_size() {
    let o = nnbook(&["render", "--part", "1a", "--width", "100", "--height", "30"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 30);
    assert!(out.lines().all(|l| l.chars().count() <= 100));
    assert!(!out.contains('\x1b'), "plain text has no escape codes");
    assert!(out.contains("Problem 1 · 1a"), "{out}");
    assert!(out.contains("P1 › 1a"), "status line: {out}");
}

#[test]
fn render_color_adds_escape_codes() {
    let o = nnbook(&[
        "render", "--part", "p2", "--width", "80", "--height", "24", "--color",
    ]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("\x1b["));
}

#[test]
fn render_full_prints_the_whole_derivation_then_the_panel() {
    let o = nnbook(&["render", "--part", "1a", "--full", "--width", "90"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("(a) Complete"), "{out}");
    assert!(out.contains("── Live:"), "{out}");
}

#[test]
fn render_escapes_control_characters_from_content() {
    let o = nnbook(&[
        "render",
        "--content",
        &fixture("escapes"),
        "--part",
        "1a",
        "--width",
        "120",
        "--height",
        "20",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
    assert!(out.contains("␛[31m") && out.contains("<U+009B>"), "{out}");
}

#[test]
fn render_rejects_unknown_parts_and_sizes_with_exit_2() {
    let o = nnbook(&["render", "--part", "9z"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--part 9z") && stderr(&o).contains("1a"),
        "{}",
        stderr(&o)
    );
    let o = nnbook(&["render", "--width", "0"]);
    assert_eq!(o.status.code(), Some(2));
    let o = nnbook(&["render", "--content", &fixture("bad/unknown_panel")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("p1.md:10"), "{}", stderr(&o));
}

#[test]
fn render_at_one_by_one_does_not_fail() {
    let o = nnbook(&["render", "--part", "1a", "--width", "1", "--height", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn compute_list_names_every_computation() {
    let o = nnbook(&["compute", "--list"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("layer-table"), "{}", stdout(&o));
}

#[test]
fn compute_rejects_unknown_names_and_parameters() {
    let o = nnbook(&["compute", "no-such"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown computation `no-such`"));
    let o = nnbook(&["compute", "layer-table", "bogus=1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`bogus`"), "{}", stderr(&o));
    let o = nnbook(&["compute", "layer-table", "novalue"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn compute_json_is_valid_json() {
    let o = nnbook(&["compute", "layer-table", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v.is_object());
}
