//! Word wrapping of styled text to a column width, measured with unicode-width
//! so wide characters (CJK, many symbols) never overflow a line.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A piece of a word in one style; a word may span several styles ("**x**,").
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub text: String,
    pub style: Style,
    /// The link (numbered in reading order) this text belongs to, so the
    /// layout can say where each link landed after wrapping.
    pub link: Option<usize>,
}

/// Where a piece of a link landed: line (0-based within the wrapped output),
/// column and width in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkCell {
    pub link: usize,
    pub line: usize,
    pub col: usize,
    pub width: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Word(Vec<Piece>),
    Space,
    Break,
}

/// Collects styled text into tokens, splitting words at spaces.
#[derive(Debug, Default)]
pub struct Tokens {
    tokens: Vec<Token>,
    word: Vec<Piece>,
}

impl Tokens {
    pub fn text(&mut self, text: &str, style: Style) {
        self.text_in(text, style, None);
    }

    /// Text that belongs to link number `link` (`None`: ordinary text).
    pub fn text_in(&mut self, text: &str, style: Style, link: Option<usize>) {
        // A newline inside a run (math source, a code span) reflows as a space:
        // a span must never carry one to the terminal.
        for (i, chunk) in text.split([' ', '\n']).enumerate() {
            if i > 0 {
                self.space();
            }
            if !chunk.is_empty() {
                match self.word.last_mut() {
                    Some(last) if last.style == style && last.link == link => {
                        last.text.push_str(chunk)
                    }
                    _ => self.word.push(Piece {
                        text: chunk.to_string(),
                        style,
                        link,
                    }),
                }
            }
        }
    }

    /// Text that must not be broken at its spaces unless it is wider than a line.
    pub fn atom(&mut self, text: &str, style: Style) {
        self.word.push(Piece {
            text: text.to_string(),
            style,
            link: None,
        });
    }

    pub fn space(&mut self) {
        self.flush();
        if !matches!(self.tokens.last(), Some(Token::Space) | None) {
            self.tokens.push(Token::Space);
        }
    }

    pub fn hard_break(&mut self) {
        self.flush();
        self.tokens.push(Token::Break);
    }

    fn flush(&mut self) {
        if !self.word.is_empty() {
            self.tokens
                .push(Token::Word(std::mem::take(&mut self.word)));
        }
    }

    pub fn finish(mut self) -> Vec<Token> {
        self.flush();
        self.tokens
    }
}

pub fn word_width(word: &[Piece]) -> usize {
    word.iter().map(|p| p.text.width()).sum()
}

pub fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| s.content.width()).sum()
}

/// Greedy wrap: the first line starts with `first`, later ones with `rest`.
/// Words wider than a line are split between characters.
pub fn wrap(
    tokens: &[Token],
    width: usize,
    first: &[Span<'static>],
    rest: &[Span<'static>],
) -> Vec<Line<'static>> {
    wrap_tracked(tokens, width, first, rest).0
}

/// [`wrap`], and where every piece of a link landed.
pub fn wrap_tracked(
    tokens: &[Token],
    width: usize,
    first: &[Span<'static>],
    rest: &[Span<'static>],
) -> (Vec<Line<'static>>, Vec<LinkCell>) {
    let mut cells = Vec::new();
    let mut lines = Vec::new();
    let mut current: Vec<Span<'static>> = first.to_vec();
    let mut used = spans_width(first);
    let mut line_start = true;
    let mut pending_space = false;
    let new_line =
        |lines: &mut Vec<Line<'static>>, current: &mut Vec<Span<'static>>, used: &mut usize| {
            lines.push(Line::from(std::mem::replace(current, rest.to_vec())));
            *used = spans_width(rest);
        };
    for token in tokens {
        match token {
            Token::Space => pending_space = !line_start,
            Token::Break => {
                new_line(&mut lines, &mut current, &mut used);
                line_start = true;
                pending_space = false;
            }
            Token::Word(word) => {
                let w = word_width(word);
                let gap = usize::from(pending_space);
                if !line_start && used + gap + w > width {
                    new_line(&mut lines, &mut current, &mut used);
                    line_start = true;
                } else if pending_space {
                    current.push(Span::raw(" "));
                    used += 1;
                }
                pending_space = false;
                if used + w <= width || !line_start {
                    for p in word {
                        let pw = p.text.width();
                        if let Some(link) = p.link {
                            cells.push(LinkCell {
                                link,
                                line: lines.len(),
                                col: used,
                                width: pw,
                            });
                        }
                        current.push(Span::styled(p.text.clone(), p.style));
                        used += pw;
                    }
                } else {
                    // Longer than a whole line: split between characters.
                    for piece in word {
                        let mut chunk = String::new();
                        let mut start = used;
                        for c in piece.text.chars() {
                            let cw = c.width().unwrap_or(0);
                            if used + cw > width && used > spans_width(rest) {
                                if let Some(link) = piece.link {
                                    cells.push(LinkCell {
                                        link,
                                        line: lines.len(),
                                        col: start,
                                        width: used - start,
                                    });
                                }
                                current.push(Span::styled(std::mem::take(&mut chunk), piece.style));
                                new_line(&mut lines, &mut current, &mut used);
                                start = used;
                            }
                            chunk.push(c);
                            used += cw;
                        }
                        if !chunk.is_empty() {
                            if let Some(link) = piece.link {
                                cells.push(LinkCell {
                                    link,
                                    line: lines.len(),
                                    col: start,
                                    width: used - start,
                                });
                            }
                            current.push(Span::styled(chunk, piece.style));
                        }
                    }
                }
                line_start = false;
            }
        }
    }
    lines.push(Line::from(current));
    (lines, cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn wrap_text(s: &str, width: usize) -> Vec<String> {
        let mut t = Tokens::default();
        t.text(s, Style::new());
        plain(&wrap(&t.finish(), width, &[], &[]))
    }

    #[test]
    fn wraps_at_word_boundaries() {
        assert_eq!(
            wrap_text("the quick brown fox jumps", 10),
            vec!["the quick", "brown fox", "jumps"]
        );
    }

    #[test]
    fn splits_words_longer_than_a_line() {
        assert_eq!(
            wrap_text("abcdefghij xy", 4),
            vec!["abcd", "efgh", "ij", "xy"]
        );
    }

    #[test]
    fn link_pieces_are_located_after_wrapping() {
        let mut t = Tokens::default();
        t.text("see ", Style::new());
        t.text_in("part (b)", Style::new(), Some(0));
        t.text(" and ", Style::new());
        t.text_in("4(a)", Style::new(), Some(1));
        let (lines, cells) = wrap_tracked(&t.finish(), 12, &[Span::raw("> ")], &[Span::raw("> ")]);
        assert_eq!(plain(&lines), vec!["> see part", "> (b) and", "> 4(a)"]);
        let at = |c: &LinkCell| (c.link, c.line, c.col, c.width);
        assert_eq!(
            cells.iter().map(at).collect::<Vec<_>>(),
            vec![(0, 0, 6, 4), (0, 1, 2, 3), (1, 2, 2, 4)]
        );
    }

    #[test]
    fn measures_wide_characters() {
        // Each CJK character is two columns wide.
        let lines = wrap_text("漢字 漢字漢字 かな", 6);
        assert_eq!(lines, vec!["漢字", "漢字漢", "字", "かな"]);
    }

    #[test]
    fn keeps_prefixes_and_styles_across_words() {
        let mut t = Tokens::default();
        let bold = Style::new().add_modifier(ratatui::style::Modifier::BOLD);
        t.text("a ", Style::new());
        t.text("bold", bold);
        t.text(", c", Style::new());
        let lines = wrap(&t.finish(), 7, &[Span::raw("• ")], &[Span::raw("  ")]);
        assert_eq!(plain(&lines), vec!["• a", "  bold,", "  c"]);
        assert!(
            lines[1]
                .spans
                .iter()
                .any(|s| s.content == "bold" && s.style == bold)
        );
    }
}
