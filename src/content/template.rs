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
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let key = after[..end].trim();
        out.push_str(&rest[..start]);
        if is_key(key) {
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
            consumed += start + 2 + end + 2;
            rest = &after[end + 2..];
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
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) if is_key(after[..end].trim()) => {
                keys.push(after[..end].trim().to_string());
                rest = &after[end + 2..];
            }
            _ => rest = after,
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
}
