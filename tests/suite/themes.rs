//! The colour themes: a whole 120x40 frame in each of dark and light, with
//! its colours as ANSI codes (so the snapshot shows which colour each role
//! gets), the same text in every theme, and NO_COLOR leaving attributes only.

use nnbook::headless::render_frame;
use nnbook::ui::theme::{Theme, ThemeName};
use ratatui::layout::Rect;

use crate::common;

/// 1b at 120x40: prose, math, an answer box, the layer table and its map.
fn frame(name: ThemeName, no_color: bool) -> String {
    let mut app = common::embedded_app(Rect::new(0, 0, 120, 40));
    app.set_theme(Theme::named(name, no_color));
    let entry = app.notebook.find_entry("1b").expect("1b");
    let effect = app.open(entry);
    app.run_inline(effect);
    render_frame(&app, true)
}

/// The frame without its escape codes.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// ESC shown as `␛`, so the snapshot file reads (and diffs) as text.
fn visible(text: &str) -> String {
    text.replace('\x1b', "␛")
}

#[test]
fn dark_theme_frame() {
    insta::assert_snapshot!(visible(&frame(ThemeName::Dark, false)));
}

#[test]
fn light_theme_frame() {
    insta::assert_snapshot!(visible(&frame(ThemeName::Light, false)));
}

#[test]
fn themes_change_colours_only() {
    let frames: Vec<String> = ThemeName::ALL.iter().map(|n| frame(*n, false)).collect();
    assert_ne!(frames[0], frames[1], "dark and light differ");
    assert_ne!(frames[1], frames[2]);
    for f in &frames[1..] {
        assert_eq!(plain(f), plain(&frames[0]), "the same text in every theme");
    }
    // Dark and light use 256-colour indices; the fallback only the 16 ANSI ones.
    assert!(frames[0].contains(";5;117") || frames[0].contains("38;5;117"));
    assert!(!frames[2].contains("38;5;"), "16 colours only");
}

#[test]
fn no_color_keeps_attributes_and_drops_every_colour() {
    let f = frame(ThemeName::Dark, true);
    for code in f.split("\x1b[").skip(1) {
        let params = code.split('m').next().unwrap_or("");
        for p in params.split(';') {
            let n: u32 = p.parse().unwrap_or(0);
            assert!(
                !(30..=49).contains(&n) && !(90..=107).contains(&n),
                "a colour code `{params}` under NO_COLOR"
            );
        }
    }
    assert!(
        f.contains("\x1b[1m") || f.contains(";1m") || f.contains("[1;"),
        "bold kept"
    );
    assert_eq!(plain(&f), plain(&frame(ThemeName::Ansi16, false)));
}

/// `--theme` is global, so `render --color` shows a theme; `NO_COLOR` wins
/// over any theme; a mistyped theme is bad input with a suggestion.
#[test]
fn render_takes_the_theme_and_honours_no_color() {
    let run = |args: &[&str], no_color: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nnbook"));
        cmd.args(args)
            .env_remove("COLORFGBG")
            .env_remove("NO_COLOR");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        cmd.output().expect("runs")
    };
    let args = [
        "render", "--part", "1b", "--color", "--width", "100", "--height", "20",
    ];
    let light = run(&[&args[..], &["--theme", "light"]].concat(), false);
    assert!(light.status.success());
    let light = String::from_utf8_lossy(&light.stdout).into_owned();
    assert!(light.contains("38;5;30m"), "light's heading colour");
    let default = String::from_utf8_lossy(&run(&args, false).stdout).into_owned();
    assert!(
        !default.contains("38;5;"),
        "auto without a terminal: 16 colours"
    );
    let plain =
        String::from_utf8_lossy(&run(&[&args[..], &["--theme", "dark"]].concat(), true).stdout)
            .into_owned();
    assert!(
        !plain.contains("38;5;") && !plain.contains("[36m"),
        "NO_COLOR: {plain}"
    );
    assert!(
        plain.contains("\x1b[1m") || plain.contains(";1m"),
        "attributes kept"
    );
    let bad = run(&["render", "--theme", "ligth"], false);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("did you mean `light`"));
}
