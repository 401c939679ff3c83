//! Containing a panic in third-party code we cannot fix (pulldown-latex 0.8
//! slices strings inside multi-byte characters, syntect may panic on odd input):
//! the call is run under `catch_unwind`, and while it runs the process panic hook
//! stays quiet, so a caught panic neither prints over the screen nor restores
//! the terminal under a running TUI (the hook in `terminal.rs` asks
//! [`active`] first).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Whether the current thread is inside [`contained`] (the panic will be caught).
pub fn active() -> bool {
    DEPTH.with(Cell::get) > 0
}

/// Runs `f`; a panic inside it comes back as `Err(message)` instead of unwinding
/// further. Only for code whose state is thrown away on failure (a parser run
/// on its own input), so unwind safety is not a concern.
pub fn contained<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    install_quiet_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

/// Wraps whatever hook is installed so that contained panics print nothing.
/// Hooks installed later (the terminal's) check [`active`] themselves.
fn install_quiet_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !active() {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_and_nesting_is_tracked() {
        assert_eq!(contained(|| 3), Ok(3));
        let e = contained(|| -> u8 { panic!("boom {}", 1) }).unwrap_err();
        assert_eq!(e, "boom 1");
        assert!(!active());
        let inner = contained(|| {
            assert!(active());
            contained(|| panic!("inner")).unwrap_err()
        });
        assert_eq!(inner.as_deref(), Ok("inner"));
        assert!(!active());
    }
}
