//! The real binary under a pseudo-terminal: after q, Ctrl-C and a panic the
//! terminal is back in cooked mode with the alternate screen and mouse capture
//! switched off. Uses util-linux `script` for the PTY (part of every Debian and
//! most Linux base systems), so the test needs nothing installed.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Run nnbook in a PTY, wait until it has drawn its first frame, type `keys`,
/// and return everything the terminal received (including what `stty -a` says
/// afterwards). Waits on output, not on the clock, so a slow machine only makes
/// it slower; a hang fails after a generous limit instead of blocking the suite.
fn session(keys: &[u8], panic: bool) -> String {
    let bin = env!("CARGO_BIN_EXE_nnbook");
    let script = format!("stty cols 100 rows 30; {bin}; echo EXIT=$?; stty -a");
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &script, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if panic {
        cmd.env("NNBOOK_TEST_PANIC", "1");
    } else {
        cmd.env_remove("NNBOOK_TEST_PANIC");
    }
    let mut child = cmd
        .spawn()
        .expect("util-linux `script` is needed to run the binary under a PTY");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
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
    let drawn = wait_until(|| text().contains("Contents") || text().contains("EXIT="));
    assert!(drawn, "no frame within the limit: {:?}", text());
    let _ = stdin.write_all(keys);
    let _ = stdin.flush();
    let exited = wait_until(|| matches!(child.try_wait(), Ok(Some(_))));
    if !exited {
        let _ = child.kill();
    }
    drop(stdin);
    let _ = reader.join();
    assert!(exited, "nnbook did not exit after {keys:?}: {:?}", text());
    text()
}

fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < LIMIT {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

const LIMIT: Duration = Duration::from_secs(60);

fn assert_restored(out: &str) {
    assert!(
        out.contains("\x1b[?1049h"),
        "entered the alternate screen: {out:?}"
    );
    assert!(out.contains("\x1b[?1049l"), "left the alternate screen");
    assert!(out.contains("\x1b[?1000l"), "mouse capture off");
    let stty = out.rsplit("EXIT=").next().unwrap_or("");
    assert!(
        stty.contains(" icanon") && !stty.contains("-icanon"),
        "cooked mode again: {stty}"
    );
    assert!(
        stty.contains(" echo ") || stty.contains(" echo\r"),
        "echo back on: {stty}"
    );
}

#[test]
fn quit_with_q_restores_the_terminal() {
    let out = session(b"q", false);
    assert!(out.contains("EXIT=0"), "{out:?}");
    assert_restored(&out);
}

#[test]
fn ctrl_c_restores_the_terminal() {
    let out = session(b"\x03", false);
    assert!(out.contains("EXIT=0"), "{out:?}");
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
