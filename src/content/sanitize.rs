//! Content text never reaches the terminal raw: control characters (ESC, CSI,
//! OSC, BEL, ...) and bidirectional-text controls are replaced by visible
//! stand-ins, so a content file cannot move the cursor, change colours, set the
//! window title or reorder what the reader sees.
//!
//! This is the one sanitiser: content is cleaned here when it is parsed, and the
//! frame, `render --full`, `math` and every error message pass through it again
//! on the way out (so text that reaches the screen some other way, such as an
//! info string or a file name, is covered too).

use std::borrow::Cow;

/// Replace C0 controls (except newline), DEL, C1 controls and bidi controls by
/// visible forms: U+2400-block control pictures (ESC shows as ␛) or `<U+XXXX>`.
/// Tabs become `tab_width` spaces (0 keeps a single space).
pub fn visible(s: &str, tab_width: usize) -> Cow<'_, str> {
    escape(s, tab_width, false)
}

/// Like [`visible`] but for text that must stay on one line (error messages,
/// names quoted in them, a code block's info string): a newline shows as `␤`.
pub fn one_line(s: &str) -> Cow<'_, str> {
    escape(s, 1, true)
}

/// Whether `c` must never reach the terminal as itself (newline aside).
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n') || is_bidi_control(c)
}

/// Bidirectional formatting characters: embeddings and overrides (U+202A-U+202E),
/// isolates (U+2066-U+2069), the marks U+200E/U+200F and the Arabic letter mark
/// U+061C. Shown as `<U+XXXX>` so a reader sees them instead of their effect.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether `s` holds a character [`is_unsafe`] (or a newline, if `newline`),
/// decided on the UTF-8 bytes: start-up escapes every run of text in the
/// content, and this is several times faster than decoding each char. The
/// unsafe characters above ASCII are few and their encodings short: C1
/// controls are `C2 80`-`C2 9F`, U+061C is `D8 9C`, and the other bidi
/// controls are `E2 80 8E`/`8F`, `E2 80 AA`-`AE` and `E2 81 A6`-`A9`.
fn needs_escape(s: &[u8], newline: bool) -> bool {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b' '..=b'~' | 0x80..=0xC1 | 0xC3..=0xD7 | 0xD9..=0xE1 | 0xE3..=0xFF => {}
            b'\n' if !newline => {}
            0xC2 if matches!(s.get(i + 1), Some(0x80..=0x9F)) => return true,
            0xD8 if s.get(i + 1) == Some(&0x9C) => return true,
            0xE2 => match (s.get(i + 1), s.get(i + 2)) {
                (Some(0x80), Some(0x8E | 0x8F | 0xAA..=0xAE)) | (Some(0x81), Some(0xA6..=0xA9)) => {
                    return true;
                }
                _ => {}
            },
            0xC2 | 0xD8 => {}
            _ => return true,
        }
        i += 1;
    }
    false
}

fn escape(s: &str, tab_width: usize, newline: bool) -> Cow<'_, str> {
    if !needs_escape(s.as_bytes(), newline) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str(&" ".repeat(tab_width.max(1))),
            '\n' if newline => out.push('\u{2424}'),
            '\n' => out.push('\n'),
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('\u{2421}'),
            c if is_unsafe(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(visible("plain", 4), "plain");
        assert_eq!(
            visible("a\x1b[31mred\x1b]0;title\x07", 4),
            "a␛[31mred␛]0;title␇"
        );
        assert_eq!(visible("\u{9b}2J", 4), "<U+009B>2J");
        assert_eq!(visible("a\tb", 2), "a  b");
        assert!(!visible("x\x1by\r", 4).chars().any(|c| c.is_control()));
    }

    #[test]
    fn bidi_controls_are_shown() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let s = format!("a{c}b");
            let shown = visible(&s, 0);
            assert_eq!(shown, format!("a<U+{:04X}>b", c as u32));
            assert!(!shown.chars().any(is_unsafe));
        }
    }

    /// The byte test agrees with the char test on every character, alone and
    /// between others (so a continuation byte is never taken for a lead).
    #[test]
    fn byte_test_agrees_with_the_char_test_on_every_char() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            for newline in [false, true] {
                let unsafe_ = is_unsafe(c) || (newline && c == '\n');
                let mut buf = [0; 4];
                assert_eq!(
                    needs_escape(c.encode_utf8(&mut buf).as_bytes(), newline),
                    unsafe_,
                    "{c:?}"
                );
                let between = format!("\u{e9}{c}\u{2211}");
                assert_eq!(needs_escape(between.as_bytes(), newline), unsafe_, "{c:?}");
            }
        }
        assert!(!needs_escape("plain → text ∑ é".as_bytes(), true));
    }

    #[test]
    fn one_line_keeps_messages_on_one_line() {
        assert_eq!(one_line("a\nb\x00c"), "a␤b␀c");
        assert_eq!(visible("a\nb", 0), "a\nb");
    }
}
