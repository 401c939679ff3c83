//! Content text never reaches the terminal raw: control characters (ESC, CSI,
//! OSC, BEL, ...) are replaced by visible stand-ins, so a content file cannot
//! move the cursor, change colours or set the window title.

use std::borrow::Cow;

/// Replace C0 controls (except newline), DEL and C1 controls by visible forms:
/// U+2400-block control pictures (ESC shows as ␛) or `<U+XXXX>`. Tabs become
/// `tab_width` spaces (0 keeps a single space).
pub fn visible(s: &str, tab_width: usize) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str(&" ".repeat(tab_width.max(1))),
            '\n' => out.push('\n'),
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}' => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n') || c == '\u{7f}'
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
}
