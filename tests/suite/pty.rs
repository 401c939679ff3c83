//! The real binary under a pseudo-terminal: after q, Ctrl-C, a panic, each of
//! the signals that end a process and a stray bracketed-paste marker, the
//! terminal is back in cooked mode, on the main screen, with the cursor shown
//! and mouse capture switched off. Uses util-linux `script` for the PTY (part
//! of every Debian and most Linux base systems), so the test needs nothing
//! installed.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to do once the first frame is drawn.
enum Then<'a> {
    Type(&'a [u8]),
    /// Wait half a second after the first frame, then type.
    WaitType(&'a [u8]),
    /// For each step: type its keys, then wait as it says.
    Steps(&'a [(&'a [u8], Wait<'a>)]),
    Signal(&'a str),
    /// Type these keys at once, before the first frame; wait for this text
    /// in the output, then quit with Ctrl-C.
    Early(&'a [u8], &'a str),
}

/// What a step of [`Then::Steps`] waits for.
#[derive(Debug)]
enum Wait<'a> {
    /// This text in the output since the keys were typed. The frame is drawn
    /// as a diff (cells that did not change are skipped), so only one
    /// character, or text where nothing was drawn before, is sure to arrive
    /// in one piece.
    Output(&'a str),
    /// This text in a file.
    File(&'a Path, &'a str),
}

/// Run nnbook in a PTY, wait until it has drawn its first frame, then type keys
/// or send it a signal, and return everything the terminal received (including
/// what `stty -a` says afterwards). Waits on output, not on the clock, so a slow
/// machine only makes it slower; a hang fails after a generous limit instead of
/// blocking the suite.
fn run(then: Then<'_>, panic: bool, content: Option<&Path>) -> String {
    run_sized(then, panic, content, (100, 30))
}

fn run_sized(then: Then<'_>, panic: bool, content: Option<&Path>, size: (u32, u32)) -> String {
    let args = content.map_or(String::new(), |d| format!(" --content '{}'", d.display()));
    // A state folder of the test's own, never the reader's; the 16-colour
    // theme, since nothing behind this pty answers a colour query (the test
    // of `auto` waits it out first).
    let state = scratch_dir("state");
    let out = run_with(then, panic, &format!("{args} --theme 16"), &state, size);
    let _ = std::fs::remove_dir_all(&state);
    out
}

/// A fresh folder under the temp dir for this process and `name`.
fn scratch_dir(name: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nnbook-pty-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Run `nnbook ARGS` in a PTY of `cols` x `rows` with `NNBOOK_STATE_DIR` set to
/// `state`, then type keys or send a signal once the first frame is drawn.
fn run_with(
    then: Then<'_>,
    panic: bool,
    args: &str,
    state: &Path,
    (cols, rows): (u32, u32),
) -> String {
    let bin = env!("CARGO_BIN_EXE_nnbook");
    // `exec` so the PID printed is nnbook's. The trap keeps the shell alive when
    // Ctrl-C sends SIGINT to the whole foreground group, so it still reports.
    let script = format!(
        "trap 'true' INT QUIT; stty cols {cols} rows {rows}; \
         sh -c 'echo PID=$$; exec {bin}{args}'; echo EXIT=$?; stty -a"
    );
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &script, "/dev/null"])
        .env("TERM", "xterm-256color")
        .env("NNBOOK_STATE_DIR", state)
        .env_remove("COLORFGBG")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if panic {
        cmd.env("NNBOOK_TEST_PANIC", "1");
    } else {
        cmd.env_remove("NNBOOK_TEST_PANIC");
    }
    let mut child = KillOnDrop(
        cmd.spawn()
            .expect("util-linux `script` is needed to run the binary under a PTY"),
    );
    let mut stdin = child.0.stdin.take().expect("stdin");
    let mut stdout = child.0.stdout.take().expect("stdout");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().expect("lock").extend_from_slice(&chunk[..n]);
        }
    });
    let text = || String::from_utf8_lossy(&seen.lock().expect("lock")).into_owned();
    if let Then::Early(keys, _) = then {
        let _ = stdin.write_all(keys);
        let _ = stdin.flush();
    }
    let drawn = wait_until(|| {
        let t = text();
        t.contains("Contents") || t.contains("q quit") || t.contains("EXIT=")
    });
    assert!(drawn, "no frame within the limit: {:?}", text());
    match then {
        Then::Type(keys) => {
            let _ = stdin.write_all(keys);
            let _ = stdin.flush();
        }
        Then::Steps(steps) => {
            for (keys, wait) in steps {
                let seen = text().len();
                let _ = stdin.write_all(keys);
                let _ = stdin.flush();
                let done = || match wait {
                    Wait::Output(marker) => text()[seen..].contains(marker),
                    Wait::File(path, words) => {
                        std::fs::read_to_string(path).is_ok_and(|t| t.contains(words))
                    }
                };
                assert!(wait_until(done), "{wait:?} after {keys:?}: {:?}", text());
            }
        }
        Then::WaitType(keys) => {
            std::thread::sleep(Duration::from_millis(500));
            let _ = stdin.write_all(keys);
            let _ = stdin.flush();
        }
        Then::Early(_, marker) => {
            assert!(
                wait_until(|| text().contains(marker)),
                "{marker:?}: {:?}",
                text()
            );
            let _ = stdin.write_all(b"\x03");
            let _ = stdin.flush();
        }
        Then::Signal(signal) => {
            let out = text();
            let pid = out
                .split("PID=")
                .nth(1)
                .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
                .expect("the script prints nnbook's PID");
            let status = Command::new("kill")
                .args([&format!("-{signal}"), pid])
                .status()
                .expect("kill");
            assert!(status.success(), "kill -{signal} {pid}");
        }
    }
    let exited = wait_until(|| matches!(child.0.try_wait(), Ok(Some(_))));
    if !exited {
        let _ = child.0.kill();
    }
    drop(stdin);
    let _ = reader.join();
    assert!(exited, "nnbook did not exit: {:?}", text());
    text()
}

/// The `script` process, killed if a failed assertion leaves it running (its
/// pty closing then ends nnbook too), so a failing test leaves nothing behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn session(keys: &[u8], panic: bool) -> String {
    run(Then::Type(keys), panic, None)
}

fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < LIMIT {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

const LIMIT: Duration = Duration::from_secs(60);

fn assert_restored(out: &str) {
    assert!(
        out.contains("\x1b[?1049h"),
        "entered the alternate screen: {out:?}"
    );
    let after = out.rsplit("\x1b[?1049h").next().unwrap_or("");
    assert!(after.contains("\x1b[?1049l"), "left the alternate screen");
    assert!(after.contains("\x1b[?1000l"), "mouse capture off");
    assert!(after.contains("\x1b[?25h"), "cursor shown");
    let stty = out.rsplit("EXIT=").next().unwrap_or("");
    let words: Vec<&str> = stty.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig"] {
        assert!(
            words.contains(&flag) && !words.contains(&format!("-{flag}").as_str()),
            "{flag} back on: {stty}"
        );
    }
    assert!(stty.contains("susp = ^Z"), "suspend key back: {stty}");
}

#[test]
fn quit_with_q_restores_the_terminal() {
    let out = session(b"q", false);
    assert!(out.contains("EXIT=0"), "{out:?}");
    assert_restored(&out);
}

/// Ctrl-C is the terminal's interrupt key even in raw mode, so it quits like
/// SIGINT: restored, exit status 130.
#[test]
fn ctrl_c_restores_the_terminal() {
    let out = session(b"\x03", false);
    assert!(out.contains("EXIT=130"), "{out:?}");
    assert_restored(&out);
}

#[test]
fn a_panic_restores_the_terminal_and_reports() {
    let out = session(b"", true);
    assert!(out.contains("EXIT=101"), "{out:?}");
    assert!(
        out.contains("NNBOOK_TEST_PANIC"),
        "the panic message is shown: {out:?}"
    );
    assert_restored(&out);
}

/// Each signal that ends a process: the terminal is restored and the exit
/// status is the conventional 128 + signal number.
#[test]
fn signals_restore_the_terminal() {
    for (signal, code) in [("TERM", 143), ("HUP", 129), ("INT", 130), ("QUIT", 131)] {
        let out = run(Then::Signal(signal), false, None);
        assert!(
            out.contains(&format!("EXIT={code}")),
            "SIG{signal}: {out:?}"
        );
        assert_restored(&out);
    }
}

/// A lone `ESC[200~` (start of a bracketed paste) makes crossterm hold every
/// later byte until `ESC[201~`, so q is swallowed; Ctrl-C still quits because
/// the terminal driver turns it into SIGINT before crossterm sees it.
#[test]
fn a_stray_paste_marker_cannot_lock_the_reader_out() {
    let out = session(b"\x1b[200~q\x1b\x03", false);
    assert!(out.contains("EXIT=130"), "{out:?}");
    assert_restored(&out);
}

/// A 4 MiB Rust code block (the budget leaves it plain) and q is answered.
#[test]
fn a_huge_code_block_does_not_freeze_the_notebook() {
    let dir = std::env::temp_dir().join(format!("nnbook-pty-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let line = "    let v: Vec<u32> = (0..10).map(|i| i * 2).collect(); // c\n";
    let code = line.repeat((4 * 1024 * 1024 - 400) / line.len());
    let file = format!(
        "+++\nproblem = 1\ntitle = \"T\"\npoints = 1\n[[parts]]\nid = \"1a\"\ntitle = \"A\"\n\
         points = 1\n+++\n# Big\n\n```rust\n{code}```\n\n## A {{#1a}}\n\ntext\n"
    );
    std::fs::write(dir.join("p.md"), file).expect("write");
    let out = run(Then::Type(b"q"), false, Some(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.contains("EXIT=0"),
        "{}",
        &out[out.len().saturating_sub(2000)..]
    );
    assert_restored(&out);
}

/// A window of 65535 x 65535 made ratatui allocate two buffers of 4 billion
/// cells and abort; the size is clamped, so the notebook draws and quits.
#[test]
fn an_absurd_window_size_is_clamped() {
    let out = run_sized(Then::Type(b"q"), false, None, (65535, 65535));
    assert!(
        out.contains("rows 65535; columns 65535"),
        "the pty took the size"
    );
    assert!(
        out.contains("EXIT=0"),
        "{}",
        &out[out.len().saturating_sub(2000)..]
    );
    assert_restored(&out);
}

/// Quit in one part with the text scrolled, start again: the notebook opens
/// that part at that place (the state file is in the test's own folder).
#[test]
fn a_restart_lands_where_the_reader_left_off() {
    let state = scratch_dir("restart");
    let file = state.join("state.json");
    let out = run_with(
        Then::Type(b"4njjjjjdq"),
        false,
        " --theme 16",
        &state,
        (100, 30),
    );
    assert!(out.contains("EXIT=0"), "{out:?}");
    let first: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("the state file was written"))
            .expect("valid JSON");
    let record = &first["contents"]["embedded"];
    assert_eq!(record["last"], "4a", "{first}");
    assert_eq!(record["entries"]["4a"]["studied"], true, "{first}");
    let place = record["entries"]["4a"]["place"].clone();
    assert!(place.is_object(), "scrolled, so a place: {first}");

    let out = run_with(Then::Type(b"q"), false, " --theme 16", &state, (100, 30));
    assert!(out.contains("EXIT=0"), "{out:?}");
    assert!(out.contains("P4 › 4a"), "opened at 4a: {out:?}");
    let second: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("state file")).expect("JSON");
    assert_eq!(
        second["contents"]["embedded"]["entries"]["4a"]["place"], place,
        "at the same place, untouched by a run that did not move"
    );
    let _ = std::fs::remove_dir_all(&state);
}

/// `--no-state` neither reads nor writes the file: a corrupt one is left as
/// it is, and no new one appears.
#[test]
fn no_state_leaves_the_state_folder_alone() {
    let state = scratch_dir("nostate");
    let out = run_with(
        Then::Type(b"njjq"),
        false,
        " --no-state --theme 16",
        &state,
        (100, 30),
    );
    assert!(out.contains("EXIT=0"), "{out:?}");
    assert_eq!(
        std::fs::read_dir(&state).expect("folder").count(),
        0,
        "nothing written"
    );
    std::fs::write(state.join("state.json"), b"{ not json").expect("write");
    let out = run_with(
        Then::Type(b"q"),
        false,
        " --no-state --theme 16",
        &state,
        (100, 30),
    );
    assert!(out.contains("EXIT=0"), "{out:?}");
    assert_eq!(
        std::fs::read(state.join("state.json")).expect("still there"),
        b"{ not json"
    );
    assert_eq!(std::fs::read_dir(&state).expect("folder").count(), 1);
    let _ = std::fs::remove_dir_all(&state);
}

/// `--theme auto` asks the terminal after the first frame; nothing behind
/// this pty answers, so the query times out and the notebook goes on (q is
/// typed once the wait is surely over). A corrupt state file on the way is
/// moved aside with a warning on the status line.
#[test]
fn auto_theme_and_a_corrupt_state_file_do_not_stop_the_notebook() {
    let state = scratch_dir("auto");
    std::fs::write(state.join("state.json"), b"\x00garbage").expect("write");
    let out = run_with(
        Then::WaitType(b"q"),
        false,
        " --theme auto",
        &state,
        (120, 30),
    );
    assert!(out.contains("EXIT=0"), "{out:?}");
    assert!(out.contains("starting fresh"), "warned: {out:?}");
    let names: Vec<String> = std::fs::read_dir(&state)
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("state.json.corrupt-")),
        "moved aside: {names:?}"
    );
    assert!(
        names.iter().any(|n| n == "state.json"),
        "a fresh one written: {names:?}"
    );
    let _ = std::fs::remove_dir_all(&state);
}

/// Keys typed before the first frame are not lost: not to the colour query
/// of `--theme auto` (which reads the terminal's answer from the tty, and
/// waits until no key is pending), nor to the first look (the rest of the
/// content is parsed before the key is handled: `5` opens problem 5).
#[test]
fn keys_typed_before_the_first_frame_are_kept() {
    let state = scratch_dir("early");
    let out = run_with(
        Then::Early(b"5", "Backpropagation"),
        false,
        " --theme auto",
        &state,
        (120, 30),
    );
    assert!(out.contains("EXIT=130"), "{out:?}");
    let _ = std::fs::remove_dir_all(&state);
}

/// A theme chosen with `C` is the next run's theme when `--theme` is not
/// given (and no terminal query is made then); `--theme` still wins.
#[test]
fn a_theme_chosen_with_c_is_remembered() {
    let state = scratch_dir("theme");
    // 16 colours first (what auto falls back to here), C makes it dark.
    let out = run_with(Then::WaitType(b"Cq"), false, "", &state, (100, 30));
    assert!(out.contains("EXIT=0"), "{out:?}");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("state.json")).expect("written"))
            .expect("JSON");
    assert_eq!(file["theme"], "dark", "{file}");
    let out = run_with(Then::Type(b"q"), false, "", &state, (100, 30));
    assert!(out.contains("EXIT=0"), "{out:?}");
    assert!(out.contains("38;5;117"), "drawn in the dark theme");
    let out = run_with(Then::Type(b"q"), false, " --theme 16", &state, (100, 30));
    assert!(!out.contains("38;5;117"), "--theme wins");
    let _ = std::fs::remove_dir_all(&state);
}

/// Ctrl-C quits through SIGINT, not through the key map; the signal thread
/// still writes the reader's place. The scroll after the last mark (which
/// saved the file) is what the file must hold, as the same keys give it in
/// the library.
#[test]
fn ctrl_c_still_saves_the_place() {
    use nnbook::app::Action;
    let state = scratch_dir("ctrlc");
    let file = state.join("state.json");
    // `d` writes the file (the mark); `m` shows the LaTeX source, whose
    // backslashes are in no rendered frame; then Ctrl-C.
    let steps = [
        (&b"5njjjjd"[..], Wait::File(&file, "\"studied\": true")),
        (&b"jjjjjjjjm"[..], Wait::Output("\\")),
        (&b"\x03"[..], Wait::Output("EXIT=")),
    ];
    let out = run_with(Then::Steps(&steps), false, " --theme 16", &state, (160, 30));
    assert!(out.contains("EXIT=130"), "{out:?}");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("written")).expect("JSON");
    let record = &file["contents"]["embedded"];
    assert_eq!(record["last"], "5a", "{file}");
    assert_eq!(record["entries"]["5a"]["studied"], true, "{file}");

    let mut app = crate::common::embedded_app(ratatui::layout::Rect::new(0, 0, 160, 30));
    app.update(Action::JumpProblem(5));
    app.update(Action::NextEntry);
    app.update(Action::Scroll(4));
    let at_mark = app.remembered().entries["5a"].place;
    app.update(Action::Scroll(8));
    app.update(Action::ToggleMath);
    let expected = app.remembered().entries["5a"].place.expect("scrolled");
    assert_ne!(Some(expected), at_mark, "the test needs the place to move");
    assert_eq!(
        record["entries"]["5a"]["place"],
        serde_json::json!({"block": expected.block, "line": expected.line}),
        "{file}"
    );
    let _ = std::fs::remove_dir_all(&state);
}
