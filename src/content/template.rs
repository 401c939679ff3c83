//! `{{key}}` templates: figures in the prose are substituted from the compute
//! code's facts at load time, so no number in a derivation is typed by hand.
//!
//! Only `{{` + a dotted key + `}}` is a template (`{{p1.total_params}}`); other
//! double braces, which LaTeX allows, are left alone.

use crate::compute::Facts;

use super::ContentError;

pub fn expand(
    file: &str,
    body: &str,
    first_line: usize,
    facts: &Facts,
) -> Result<String, Vec<ContentError>> {
    let mut out = String::with_capacity(body.len());
    let mut errors = Vec::new();
    let mut rest = body;
    let mut consumed = 0;
    while let Some(start) = find_open(rest) {
        let after = &rest[start + 2..];
        out.push_str(&rest[..start]);
        if let Some((key, len)) = figure_at(after) {
            match facts.get(key) {
                Some(value) => out.push_str(value),
                None => {
                    let line = first_line + body[..consumed + start].matches('\n').count();
                    errors.push(ContentError::new(
                        file,
                        Some(line),
                        format!(
                            "unknown figure `{{{{{key}}}}}`{}",
                            crate::suggest::hint(key, facts.keys().map(String::as_str))
                        ),
                    ));
                }
            }
            consumed += start + 2 + len;
            rest = &after[len..];
        } else {
            out.push_str("{{");
            consumed += start + 2;
            rest = after;
        }
    }
    out.push_str(rest);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Where the next `{{` starts (a SIMD search: the content is scanned whole at
/// start-up, and `str::find`'s two-way search was most of the expansion's time).
fn find_open(text: &str) -> Option<usize> {
    static OPEN: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"{{"));
    OPEN.find(text.as_bytes())
}

/// The figure a `{{` opens, given the text after it: the key, and the length
/// of the key with the spaces around it and the closing `}}`. `None` when the
/// braces are not a template. Only key characters are looked at, so the many
/// `{{` of LaTeX are settled in a byte or two, not by a search for `}}`.
fn figure_at(after: &str) -> Option<(&str, usize)> {
    let key_start = after.len() - after.trim_start().len();
    let from_key = &after[key_start..];
    let key_len = from_key
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .unwrap_or(from_key.len());
    let (key, tail) = from_key.split_at(key_len);
    let spaces = tail.len() - tail.trim_start().len();
    (tail[spaces..].starts_with("}}") && is_key(key))
        .then_some((key, key_start + key_len + spaces + 2))
}

/// Keys the content may name: a letter, then letters, digits, `_`, `-` or `.`,
/// with at least one `.` (keys are namespaced by problem).
pub fn is_key(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.contains('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Every template key a text uses, for tests that tie content to facts.
pub fn keys(body: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = body;
    while let Some(start) = find_open(rest) {
        let after = &rest[start + 2..];
        match figure_at(after) {
            Some((key, len)) => {
                keys.push(key.to_string());
                rest = &after[len..];
            }
            None => rest = after,
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_and_reports_unknown_keys_with_lines() {
        let mut facts = Facts::new();
        facts.insert("p1.total".into(), "1,234".into());
        let out = expand("f.md", "a {{p1.total}} b {{ p1.total }}", 5, &facts).unwrap();
        assert_eq!(out, "a 1,234 b 1,234");
        let errs = expand("f.md", "x\n\n{{p1.nope}}", 5, &facts).unwrap_err();
        assert_eq!(errs[0].line, Some(7));
        assert!(errs[0].message.contains("p1.nope"));
    }

    #[test]
    fn leaves_latex_braces_alone() {
        let facts = Facts::new();
        let s = r"\frac{{a}}{b} and {{notakey}} and {{";
        assert_eq!(expand("f.md", s, 1, &facts).unwrap(), s);
        assert_eq!(keys("{{p2.a}} {{x}} {{p6.b-c}}"), vec!["p2.a", "p6.b-c"]);
    }

    /// The definition [`figure_at`] implements faster: up to the first `}}`,
    /// trimmed, is a key.
    fn figure_by_search(after: &str) -> Option<(&str, usize)> {
        let end = after.find("}}")?;
        let key = after[..end].trim();
        is_key(key).then_some((key, end + 2))
    }

    #[test]
    fn figure_at_agrees_with_the_search_for_closing_braces() {
        let alphabet: Vec<char> = "{} \n\u{a0}a.1_-xé}".chars().collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let text: String = (0..12)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            assert_eq!(figure_at(&text), figure_by_search(&text), "{text:?}");
        }
        for text in [
            "p1.a}}",
            " p1.a }}x",
            "p1.a\n}}",
            "p1.a}x}}",
            "p1.a",
            "}}",
            " }}",
        ] {
            assert_eq!(figure_at(text), figure_by_search(text), "{text:?}");
        }
    }
}
