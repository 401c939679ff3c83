//! Copying to the reader's clipboard, at the edge (the app only says what to
//! copy): an OSC 52 sequence written to the terminal, which hands the text to
//! the clipboard of the machine the terminal runs on (over ssh too), and,
//! inside tmux, the same text loaded into tmux's paste buffer with
//! `tmux load-buffer -w -`. tmux drops an application's OSC 52 unless
//! `set-clipboard on` is set, and passthrough wrapping needs
//! `allow-passthrough on`; `load-buffer` works with tmux's defaults, and its
//! `-w` also forwards the text to the outer terminal's clipboard (tmux 3.2+).

use std::io::{self, Write};
use std::process::{Command, Stdio};

use crossterm::clipboard::CopyToClipboard;

/// Write the OSC 52 sequence that puts `text` on the system clipboard.
pub fn write_osc52<W: Write>(out: &mut W, text: &str) -> io::Result<()> {
    crossterm::queue!(out, CopyToClipboard::to_clipboard_from(text))?;
    out.flush()
}

/// Copy `text`: OSC 52 to `out`, and tmux's buffer when inside tmux.
/// Returns how it was copied, for the status line.
pub fn copy<W: Write>(out: &mut W, text: &str) -> String {
    let osc = write_osc52(out, text).is_ok();
    let tmux = std::env::var_os("TMUX").is_some() && tmux_load_buffer(text);
    match (osc, tmux) {
        (true, true) => "OSC 52 + tmux buffer".into(),
        (true, false) => "OSC 52".into(),
        (false, true) => "tmux buffer".into(),
        (false, false) => "nowhere (terminal not writable)".into(),
    }
}

fn tmux_load_buffer(text: &str) -> bool {
    let run = |args: &[&str]| -> bool {
        let Ok(mut child) = Command::new("tmux")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            return false;
        };
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(text.as_bytes());
        }
        child.wait().is_ok_and(|s| s.success())
    };
    // `-w` (also set the outer clipboard) is tmux 3.2+; older ones refuse it.
    run(&["load-buffer", "-w", "-"]) || run(&["load-buffer", "-"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_bytes_are_the_base64_of_the_text() {
        let mut out = Vec::new();
        write_osc52(&mut out, "\\frac{a}{b}").unwrap();
        // ESC ] 52 ; c ; base64("\frac{a}{b}") ST (ESC \), as `printf '%s'
        // '\frac{a}{b}' | base64` gives it.
        assert_eq!(out, b"\x1b]52;c;XGZyYWN7YX17Yn0=\x1b\\");
    }
}
