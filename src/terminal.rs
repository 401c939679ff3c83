//! Entering and leaving the terminal's interactive mode. Restoring is idempotent
//! and happens on every way out: normal quit, error (Drop), panic (a hook
//! installed before raw mode is switched on) and the signals that end a process
//! (SIGTERM, SIGHUP, SIGINT, SIGQUIT: restore, then exit with 128 + the signal).
//!
//! Raw mode keeps the terminal's signal keys (ISIG): Ctrl-C is SIGINT and
//! Ctrl-\ is SIGQUIT, delivered by the terminal driver itself, so they quit even
//! when crossterm's input parser is stuck (a stray `ESC[200~` makes it wait for
//! the end of a bracketed paste and swallow every key until `ESC[201~`).
//! Ctrl-Z (VSUSP) is disabled instead: stopping would leave the terminal raw.

use std::io::{Write, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{execute, queue};
use ratatui::layout::{Position, Size};

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Work for the signal thread to do when a signal ends the notebook, after
/// the terminal is restored and before the process exits (the TUI writes the
/// reader's place, so Ctrl-C and a closed window lose nothing).
type SignalHook = Box<dyn Fn() + Send>;
static ON_SIGNAL: std::sync::Mutex<Option<SignalHook>> = std::sync::Mutex::new(None);

/// Run `hook` if a signal (SIGTERM, SIGHUP, SIGINT, SIGQUIT) ends the process.
pub fn on_signal_exit(hook: impl Fn() + Send + 'static) {
    if let Ok(mut slot) = ON_SIGNAL.lock() {
        *slot = Some(Box::new(hook));
    }
}

/// The largest frame we draw. A terminal (or a hostile pty) can report 65535 x
/// 65535, which would make ratatui allocate two buffers of 4 billion cells;
/// beyond this size the frame is drawn in the top-left corner.
pub const MAX_SIZE: Size = Size {
    width: 1000,
    height: 500,
};

/// Clamp a size reported by the terminal to [`MAX_SIZE`].
pub fn clamp_size(width: u16, height: u16) -> (u16, u16) {
    (width.min(MAX_SIZE.width), height.min(MAX_SIZE.height))
}

/// Owns the terminal while the notebook runs; dropping it restores the terminal.
pub struct TerminalGuard {
    pub terminal: Terminal<Clamped>,
}

impl TerminalGuard {
    pub fn enter() -> anyhow::Result<TerminalGuard> {
        install_panic_hook();
        install_signal_handlers()?;
        enable_raw_mode().context("switching the terminal to raw mode")?;
        ACTIVE.store(true, Ordering::SeqCst);
        keep_signal_keys();
        watch_for_hangup();
        // Queued, not written: they go out with the first frame, in one write.
        let mut out = FrameWriter::default();
        let setup = queue!(out, EnterAlternateScreen, EnableMouseCapture)
            .context("entering the alternate screen")
            .and_then(|()| {
                Terminal::new(Clamped(CrosstermBackend::new(out))).context("opening the terminal")
            });
        match setup {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leave raw mode, the alternate screen and mouse capture, and show the cursor.
/// Safe to call any number of times, from any path (and any thread).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen, Show);
    }
}

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A panic that `contain::contained` will catch (a third-party parser
            // failing on one formula) must neither restore the terminal under
            // the running TUI nor print over it.
            if crate::contain::active() {
                return;
            }
            // Restore first so the panic message lands on a usable terminal.
            restore();
            previous(info);
        }));
    });
}

/// On SIGTERM, SIGHUP, SIGINT or SIGQUIT: restore the terminal and exit with
/// the conventional status 128 + signal number (143, 129, 130, 131).
fn install_signal_handlers() -> anyhow::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT])
            .context("installing signal handlers")
            .and_then(|mut signals| {
                std::thread::Builder::new()
                    .name("signals".into())
                    .spawn(move || {
                        if let Some(signal) = signals.forever().next() {
                            exit_as_signalled(signal);
                        }
                    })
                    .map(drop)
                    .context("starting the signal thread")
            });
    });
    result
}

/// Restore the terminal, run the [`on_signal_exit`] hook and exit with status
/// 128 + `signal`.
fn exit_as_signalled(signal: i32) -> ! {
    restore();
    if let Ok(hook) = ON_SIGNAL.lock()
        && let Some(hook) = hook.as_ref()
    {
        hook();
    }
    std::process::exit(128 + signal);
}

/// How often the hang-up watch looks at the terminal.
const HANGUP_CHECK: std::time::Duration = std::time::Duration::from_millis(500);

/// A terminal can go away without a SIGHUP reaching us (the window's process
/// group was not ours, the parent ignored it): then every read of the tty
/// returns end-of-file at once and crossterm's `event::poll` retries forever,
/// a core at 100 % that never returns to our loop (crossterm issue #793). A
/// thread asks the terminal for its settings every half second; once a tty
/// that answered at start fails (a hung-up tty answers EIO), the notebook ends
/// as SIGHUP would end it: place saved, status 129.
fn watch_for_hangup() {
    use rustix::termios::tcgetattr;
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if tcgetattr(rustix::stdio::stdin()).is_err() {
            return;
        }
        let _ = std::thread::Builder::new()
            .name("hangup-watch".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(HANGUP_CHECK);
                    if ACTIVE.load(Ordering::SeqCst) && tcgetattr(rustix::stdio::stdin()).is_err() {
                        exit_as_signalled(signal_hook::consts::SIGHUP);
                    }
                }
            });
    });
}

/// After `enable_raw_mode` (which clears ISIG): turn the signal keys back on and
/// disable the suspend key. Best effort: without it Ctrl-C still arrives as a key.
fn keep_signal_keys() {
    use rustix::termios::{LocalModes, OptionalActions, SpecialCodeIndex, tcgetattr, tcsetattr};
    let tty = rustix::stdio::stdin();
    if let Ok(mut t) = tcgetattr(tty) {
        t.local_modes |= LocalModes::ISIG;
        // 0 is _POSIX_VDISABLE on Linux and the BSDs.
        t.special_codes[SpecialCodeIndex::VSUSP] = 0;
        let _ = tcsetattr(tty, OptionalActions::Now, &t);
    }
}

/// Where the backend writes: a frame's escape sequences are collected and
/// go to stdout in one write when ratatui flushes at the end of the frame.
/// Through stdout's own 1 KiB line buffer a 120x40 frame took nine writes,
/// and the terminal (tmux) could wake for each of them. What is still
/// unflushed when the terminal has been restored (a panic mid-frame) is
/// dropped rather than written over the reader's shell.
#[derive(Default)]
pub struct FrameWriter {
    pending: Vec<u8>,
}

impl Write for FrameWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = if ACTIVE.load(Ordering::SeqCst) && !self.pending.is_empty() {
            let mut out = stdout().lock();
            out.write_all(&self.pending).and_then(|()| out.flush())
        } else {
            Ok(())
        };
        self.pending.clear();
        result
    }
}

/// The crossterm backend with its reported size clamped to [`MAX_SIZE`], so
/// ratatui's automatic resize never allocates for an absurd window.
pub struct Clamped(pub CrosstermBackend<FrameWriter>);

impl Backend for Clamped {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.0.draw(content)
    }
    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.0.append_lines(n)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.0.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.0.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.0.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.0.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.0.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.0.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        let s = self.0.size()?;
        let (width, height) = clamp_size(s.width, s.height);
        Ok(Size { width, height })
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        let mut w = self.0.window_size()?;
        (w.columns_rows.width, w.columns_rows.height) =
            clamp_size(w.columns_rows.width, w.columns_rows.height);
        Ok(w)
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Backend::flush(&mut self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_clamped() {
        assert_eq!(clamp_size(65535, 65535), (1000, 500));
        assert_eq!(clamp_size(80, 24), (80, 24));
    }

    /// A panic caught by `contain::contained` while the TUI is active must not
    /// restore the terminal (the TUI keeps running) nor reach the previous hook.
    #[test]
    fn contained_panics_leave_the_terminal_alone() {
        install_panic_hook();
        // Stand in for an active TUI without touching the real terminal: only
        // `restore` reads the flag, and it must not run.
        ACTIVE.store(true, Ordering::SeqCst);
        let caught = crate::contain::contained(|| panic!("parser bug"));
        let still_active = ACTIVE.swap(false, Ordering::SeqCst);
        assert_eq!(caught.unwrap_err(), "parser bug");
        assert!(
            still_active,
            "the hook restored the terminal for a caught panic"
        );
    }
}
