//! First frame as a reader sees it, measured in tmux beside `head` (issue 15:
//! within 5 ms of that floor). `cargo bench --bench first_frame`, or
//! `benches/first_frame.sh`; `N=41` for more rounds, `NNBOOK_BIN=PATH` for
//! another build of nnbook, `NNBOOK_BIN_B=PATH` for a second build taking
//! turns with the first (an A/B comparison).
//!
//! One tmux server and one control-mode client (`tmux -C`) stay up for the
//! whole run. Each measurement opens a 120x40 window running the program and
//! waits, without polling, for tmux to report the program's output
//! (`%output`) with the frame's text in it; then it asks tmux for the pane's
//! contents, whose answer comes once that output is on tmux's grid. The time
//! from asking for the window to that answer is the figure.
//!
//! Polling `tmux capture-pane` from a shell, the first version of this
//! measurement, costs 2.4 ms per poll (a tmux client started each time) and
//! takes a core from the program being measured on a 2-core machine: its
//! resolution was coarser than the 5 ms target.
//!
//! The programs take turns within each round, and each figure is also given
//! as the median of its per-round difference from `head`, which cancels the
//! drift of a shared machine. Other Markdown readers (mdcat, md-tui's `mdt`,
//! frogmouth) are measured too when installed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// The longest a program may take to show its first frame.
const PATIENCE: Duration = Duration::from_secs(10);

struct Tmux {
    child: Child,
    input: ChildStdin,
    lines: Receiver<(Instant, Vec<u8>)>,
    socket: String,
}

impl Tmux {
    fn start() -> Tmux {
        let socket = format!("nnbook-first-frame-{}", std::process::id());
        let mut child = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "-C",
                "new-session",
                "-s",
                "ff",
            ])
            .args(["-x", "120", "-y", "40", "sleep 100000"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tmux is needed (apt-get install tmux)");
        let input = child.stdin.take().expect("piped");
        let output = child.stdout.take().expect("piped");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            let mut output = BufReader::new(output);
            let mut line = Vec::new();
            while output.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                if tx
                    .send((Instant::now(), std::mem::take(&mut line)))
                    .is_err()
                {
                    break;
                }
            }
        });
        let mut tmux = Tmux {
            child,
            input,
            lines,
            socket,
        };
        tmux.send("refresh-client -C 120x40");
        std::thread::sleep(Duration::from_millis(300));
        tmux.drain();
        tmux
    }

    fn send(&mut self, command: &str) {
        writeln!(self.input, "{command}").expect("tmux reads its commands");
    }

    fn drain(&self) {
        while self.lines.recv_timeout(Duration::from_millis(20)).is_ok() {}
    }

    fn next_line(&self) -> (Instant, Vec<u8>) {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!("tmux said nothing for {PATIENCE:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("tmux exited"),
        }
    }

    /// Milliseconds from opening a window running `command` until `marker`
    /// is on tmux's grid.
    fn first_frame(&mut self, marker: &str, command: &str) -> f64 {
        let marker = marker.as_bytes();
        let start = Instant::now();
        self.send(&format!("new-window -d -n m {}", quoted(command)));
        let mut tail = Vec::new();
        loop {
            let (_, line) = self.next_line();
            if let Some(data) = line.strip_prefix(b"%output ") {
                // "%output %PANE DATA": DATA with bytes below 32 and `\` octal-escaped.
                let data = data.splitn(2, |&b| b == b' ').nth(1).unwrap_or(&[]);
                tail.extend_from_slice(&unescape(data));
                if contains(&tail, marker) {
                    break;
                }
                let keep = tail.len().saturating_sub(marker.len());
                tail.drain(..keep);
            }
        }
        // The answer to capture-pane: a %begin ... %end block holding the marker
        // (blocks answering earlier commands may come first).
        self.send("capture-pane -p -t ff:m");
        let mut seen = false;
        let end = loop {
            let (at, line) = self.next_line();
            seen |= contains(&line, marker);
            if line.starts_with(b"%end") || line.starts_with(b"%error") {
                if seen {
                    break at;
                }
                seen = false;
            }
        };
        self.send("kill-window -t ff:m");
        std::thread::sleep(Duration::from_millis(60));
        self.drain();
        (end - start).as_secs_f64() * 1e3
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
        let _ = self.child.wait();
    }
}

fn quoted(command: &str) -> String {
    format!("'{}'", command.replace('\'', r"'\''"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        let octal = data
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (data[i], octal) {
            (b'\\', Some(d)) => {
                out.push(d.iter().fold(0u8, |n, b| n.wrapping_mul(8) + (b - b'0')));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null")])
        .status()
        .is_ok_and(|s| s.success())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters, as divan's do.
    if std::env::args()
        .skip(1)
        .any(|a| a != "--bench" && !"first_frame".contains(a.as_str()))
    {
        return;
    }
    let rounds: usize = std::env::var("N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(21);
    let root = env!("CARGO_MANIFEST_DIR");
    let sample = format!("{root}/content/p1-cnn.md");
    // NNBOOK_BIN measures another build (an older commit's, say) instead.
    let bin = std::env::var("NNBOOK_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_nnbook").into());
    let state =
        std::env::temp_dir().join(format!("nnbook-first-frame-state-{}", std::process::id()));
    let state = state.display();
    let mut programs = vec![
        (
            "head -20 (floor)",
            "Convolutional",
            format!("head -20 {sample}; sleep 30"),
        ),
        (
            "nnbook (built-in notebook)",
            "Contents",
            format!("NNBOOK_STATE_DIR={state} {bin}"),
        ),
        (
            "nnbook --content (folder)",
            "Contents",
            format!("NNBOOK_STATE_DIR={state} {bin} --content {root}/content"),
        ),
    ];
    // NNBOOK_BIN_B adds a second build, taking turns with the first in every
    // round: an A/B comparison that shares the machine's mood.
    if let Ok(other) = std::env::var("NNBOOK_BIN_B") {
        programs.push((
            "NNBOOK_BIN_B (built-in)",
            "Contents",
            format!("NNBOOK_STATE_DIR={state} {other}"),
        ));
    }
    for (name, program, command) in [
        ("mdcat p1", "mdcat", format!("mdcat {sample}; sleep 30")),
        ("md-tui p1", "mdt", format!("mdt {sample}")),
        ("frogmouth p1", "frogmouth", format!("frogmouth {sample}")),
    ] {
        if on_path(program) {
            programs.push((name, "Convolutional", command));
        }
    }
    let mut tmux = Tmux::start();
    let mut times = vec![Vec::new(); programs.len()];
    for round in 0..rounds {
        for k in 0..programs.len() {
            let i = (k + round) % programs.len();
            let (_, marker, command) = &programs[i];
            times[i].push(tmux.first_frame(marker, command));
        }
    }
    drop(tmux);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "first frame in a 120x40 tmux window, {cores} cores, load {}, {rounds} rounds (medians)",
        load.join(" ")
    );
    for (i, (name, _, _)) in programs.iter().enumerate() {
        let over: Vec<f64> = times[i].iter().zip(&times[0]).map(|(t, h)| t - h).collect();
        let min = times[i].iter().copied().fold(f64::INFINITY, f64::min);
        if i == 0 {
            println!(
                "{name:<28} {:6.2} ms   (min {min:.2})",
                median(times[i].clone())
            );
        } else {
            println!(
                "{name:<28} {:6.2} ms   (min {min:.2}; {:+.2} ms over the floor)",
                median(times[i].clone()),
                median(over)
            );
        }
    }
    std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("nnbook-first-frame-state-{}", std::process::id())),
    )
    .ok();
}
