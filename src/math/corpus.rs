//! Finds the math in a Markdown file (for the corpus test, the bench and checks): every
//! `$...$` and `$$...$$`, skipping fenced code blocks, inline code spans and escaped `\$`.

/// One math expression found in Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MathExpr {
    /// The LaTeX between the dollars.
    pub latex: String,
    /// `$$...$$`.
    pub display: bool,
    /// 1-based line of the opening dollar.
    pub line: usize,
}

/// All math expressions in `markdown`, in order. An unclosed `$` is not math.
pub fn math_in_markdown(markdown: &str) -> Vec<MathExpr> {
    // Blank out fenced code blocks, keeping line numbers.
    let mut text = String::with_capacity(markdown.len());
    let mut fence: Option<(char, usize)> = None;
    for line in markdown.split_inclusive('\n') {
        let t = line.trim_start();
        let marker = t.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |m| t.chars().take_while(|c| *c == m).count());
        match (fence, marker) {
            (None, Some(m)) if run >= 3 => {
                fence = Some((m, run));
                text.push('\n');
            }
            (Some((m, n)), Some(m2))
                if m == m2 && run >= n && t[run * m.len_utf8()..].trim().is_empty() =>
            {
                fence = None;
                text.push('\n');
            }
            (Some(_), _) => {
                if line.ends_with('\n') {
                    text.push('\n');
                }
            }
            (None, _) => text.push_str(line),
        }
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let line_of = |k: usize| text[..k].matches('\n').count() + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'`' => {
                let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
                let close = "`".repeat(run);
                match text[i + run..].find(&close) {
                    Some(k) => i = i + run + k + run,
                    None => i += run,
                }
            }
            b'$' => {
                let display = bytes.get(i + 1) == Some(&b'$');
                let open = if display { 2 } else { 1 };
                let start = i + open;
                match find_closing(&text, start, display) {
                    Some(end) => {
                        let latex = text[start..end].to_string();
                        if !latex.trim().is_empty() {
                            out.push(MathExpr {
                                latex,
                                display,
                                line: line_of(i),
                            });
                        }
                        i = end + open;
                    }
                    None => i += open,
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The byte index of the closing `$` (or `$$`) for math starting at `start`. Inline math
/// does not cross a blank line.
fn find_closing(text: &str, start: usize, display: bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut k = start;
    while k < bytes.len() {
        match bytes[k] {
            b'\\' => k += 2,
            b'\n'
                if !display
                    && text[k + 1..]
                        .trim_start_matches([' ', '\t'])
                        .starts_with('\n') =>
            {
                return None;
            }
            b'$' => {
                if !display {
                    return Some(k);
                }
                if bytes.get(k + 1) == Some(&b'$') {
                    return Some(k);
                }
                k += 1;
            }
            _ => k += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_and_display_and_skips_code() {
        let md = "a $x_1$ and \\$5 and `$no$`\n\n```\n$$no$$\n```\n$$\n\\frac{a}{b}\n$$\nend $y$";
        let found = math_in_markdown(md);
        let latex: Vec<(&str, bool)> = found
            .iter()
            .map(|m| (m.latex.as_str(), m.display))
            .collect();
        assert_eq!(
            latex,
            vec![("x_1", false), ("\n\\frac{a}{b}\n", true), ("y", false)]
        );
        assert_eq!(found[1].line, 6);
    }
}
