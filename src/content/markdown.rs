//! Markdown to our own document tree, with source lines, before any styling.
//! pulldown-cmark does the parsing; this module only decides which of its events
//! become which block, so the renderer never sees parser types.

use std::iter::Peekable;
use std::ops::Range;

use pulldown_cmark::{
    Alignment, CodeBlockKind, Event, HeadingLevel, OffsetIter, Options, Parser, Tag, TagEnd,
};

use super::sanitize::visible;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TextStyle {
    pub emphasis: bool,
    pub strong: bool,
    pub strikethrough: bool,
    pub link: bool,
}

/// A run inside a paragraph, heading or table cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    /// Plain or styled prose.
    Text(String, TextStyle),
    /// `inline code`.
    Code(String),
    /// `$...$` LaTeX.
    Math(String),
    /// `$$...$$` LaTeX that shares its paragraph with other text.
    DisplayMath(String),
    /// The end of a link: its destination. The runs before it with
    /// `TextStyle::link` set are its text. An anchor (`#3b`) names a place in
    /// the notebook and is followed in link mode; anything else is an external
    /// address, shown after the text (unless the text is the address) and never opened.
    LinkTarget(String),
    /// A line break in the source that reflows as a space.
    SoftBreak,
    /// A forced line break.
    HardBreak,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// A block of the document. `line` is the 1-based line in the content file.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// `#`..`######`; `id` from a `{#id}` attribute (part headings have one).
    Heading {
        level: u8,
        text: Vec<Inline>,
        id: Option<String>,
        line: usize,
    },
    Paragraph {
        text: Vec<Inline>,
        line: usize,
    },
    /// A paragraph that is only `$$...$$`.
    DisplayMath {
        latex: String,
        line: usize,
    },
    /// Bulleted (`start: None`) or numbered list; each item is a list of blocks.
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
        line: usize,
    },
    Quote {
        blocks: Vec<Block>,
        line: usize,
    },
    /// A block quote whose first line is the marker `[!answer]` (any case): the
    /// answer a grader looks for, shown before the derivation. The marker is removed.
    Answer {
        blocks: Vec<Block>,
        line: usize,
    },
    /// Fenced or indented code; `lang` is the fence's first word (may be empty).
    Code {
        lang: String,
        code: String,
        line: usize,
    },
    Table {
        align: Vec<Align>,
        header: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
        line: usize,
    },
    Rule {
        line: usize,
    },
    /// `<!-- step -->` on its own: where exam mode stops between reveals (when a
    /// solution has these, they replace the automatic steps). Not drawn.
    Step {
        line: usize,
    },
}

/// The HTML comment that marks an exam step (spaces inside are optional).
pub fn is_step_marker(html: &str) -> bool {
    let t = html.trim();
    t.strip_prefix("<!--")
        .and_then(|t| t.strip_suffix("-->"))
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("step"))
}

/// Deepest nesting of block quotes and lists we build (a list item inside a
/// quote inside a list is three levels). Beyond it a file is refused with an
/// error naming the line, because the tree, its layout and even dropping it are
/// recursive, and a 20 KB file of `>` would otherwise overflow the stack. At 32
/// levels the prefixes alone fill 64 columns, far more than prose can use.
pub const MAX_NESTING: usize = 32;

/// A problem found while building the tree: the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIssue {
    pub line: usize,
    pub message: String,
}

/// Parse a Markdown body whose first line is line `first_line` of its file.
/// Content nested deeper than [`MAX_NESTING`] is left out; use
/// [`parse_checked`] to learn where.
pub fn parse(body: &str, first_line: usize) -> Vec<Block> {
    parse_checked(body, first_line).0
}

/// [`parse`], and the places where the body broke a limit (a loader turns each
/// into a content error).
pub fn parse_checked(body: &str, first_line: usize) -> (Vec<Block>, Vec<ParseIssue>) {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut builder = Builder {
        events: Parser::new_ext(body, options).into_offset_iter().peekable(),
        newlines: body.match_indices('\n').map(|(i, _)| i).collect(),
        first_line,
        depth: 0,
        issues: Vec::new(),
    };
    let blocks = builder.blocks();
    (blocks, builder.issues)
}

/// The text of inlines without styling (for matching headings such as "Solution").
pub fn plain_text(inlines: &[Inline]) -> String {
    inlines
        .iter()
        .map(|i| match i {
            Inline::Text(t, _) | Inline::Code(t) | Inline::Math(t) | Inline::DisplayMath(t) => {
                t.as_str()
            }
            Inline::SoftBreak | Inline::HardBreak => " ",
            Inline::LinkTarget(_) => "",
        })
        .collect()
}

struct Builder<'a> {
    events: Peekable<OffsetIter<'a>>,
    newlines: Vec<usize>,
    first_line: usize,
    /// Containers (quotes, lists, footnotes) open around the current block.
    depth: usize,
    issues: Vec<ParseIssue>,
}

fn is_inline_tag(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Link { .. }
            | Tag::Image { .. }
            | Tag::Superscript
            | Tag::Subscript
    )
}

fn is_inline_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Link
            | TagEnd::Image
            | TagEnd::Superscript
            | TagEnd::Subscript
    )
}

fn is_inline_event(event: &Event<'_>) -> bool {
    match event {
        Event::Start(tag) => is_inline_tag(tag),
        Event::End(tag) => is_inline_end(tag),
        Event::Text(_)
        | Event::Code(_)
        | Event::InlineMath(_)
        | Event::DisplayMath(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::InlineHtml(_)
        | Event::FootnoteReference(_)
        | Event::TaskListMarker(_) => true,
        Event::Html(_) | Event::Rule => false,
    }
}

impl Builder<'_> {
    fn line(&self, range: &Range<usize>) -> usize {
        self.first_line + self.newlines.partition_point(|&n| n < range.start)
    }

    /// Blocks until the end of the enclosing container (whose end is consumed).
    fn blocks(&mut self) -> Vec<Block> {
        let mut out = Vec::new();
        while let Some((event, range)) = self.events.peek().cloned() {
            if is_inline_event(&event) {
                // Tight list items carry their text without a paragraph.
                let line = self.line(&range);
                let text = self.inlines(false);
                push_paragraph(&mut out, text, line);
                continue;
            }
            self.events.next();
            let line = self.line(&range);
            match event {
                Event::End(_) => break,
                Event::Rule => out.push(Block::Rule { line }),
                Event::Html(html) if is_step_marker(&html) => out.push(Block::Step { line }),
                Event::Html(_) => {}
                Event::Start(tag) => self.block(tag, line, &mut out),
                _ => {}
            }
        }
        out
    }

    fn block(&mut self, tag: Tag<'_>, line: usize, out: &mut Vec<Block>) {
        let container = !matches!(
            tag,
            Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::CodeBlock(_)
                | Tag::Table(_)
                | Tag::HtmlBlock
        );
        if container && self.depth >= MAX_NESTING {
            self.skip_container();
            self.issues.push(ParseIssue {
                line,
                message: format!(
                    "quotes and lists nested more than {MAX_NESTING} levels deep (the limit \
                     is {MAX_NESTING})"
                ),
            });
            return;
        }
        if container {
            self.depth += 1;
        }
        self.block_inner(tag, line, out);
        if container {
            self.depth -= 1;
        }
    }

    /// Consumes a container's events up to its end, without recursion.
    fn skip_container(&mut self) {
        let mut open = 1usize;
        for (event, _) in self.events.by_ref() {
            match event {
                Event::Start(_) => open += 1,
                Event::End(_) => open -= 1,
                _ => {}
            }
            if open == 0 {
                break;
            }
        }
    }

    fn block_inner(&mut self, tag: Tag<'_>, line: usize, out: &mut Vec<Block>) {
        match tag {
            Tag::Paragraph => {
                let text = self.inlines(true);
                push_paragraph(out, text, line);
            }
            Tag::Heading { level, id, .. } => {
                let text = self.inlines(true);
                out.push(Block::Heading {
                    level: heading_level(level),
                    text,
                    id: id.map(|s| visible(&s, 0).into_owned()),
                    line,
                });
            }
            Tag::BlockQuote(_) => {
                let mut blocks = self.blocks();
                if take_answer_marker(&mut blocks) {
                    out.push(Block::Answer { blocks, line });
                } else {
                    out.push(Block::Quote { blocks, line });
                }
            }
            Tag::CodeBlock(kind) => {
                let lang = match kind {
                    // The info string is shown above the block: sanitised like
                    // any text (entities such as `&#x1b;` are decoded by now).
                    CodeBlockKind::Fenced(info) => {
                        visible(info.split_whitespace().next().unwrap_or(""), 0).into_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                let mut code = String::new();
                for (event, _) in self.events.by_ref() {
                    match event {
                        Event::Text(t) => code.push_str(&visible(&t, 4)),
                        Event::End(_) => break,
                        _ => {}
                    }
                }
                if code.ends_with('\n') {
                    code.pop();
                }
                out.push(Block::Code { lang, code, line });
            }
            Tag::List(start) => {
                let mut items = Vec::new();
                while let Some((event, _)) = self.events.next() {
                    match event {
                        Event::Start(Tag::Item) => items.push(self.blocks()),
                        Event::End(_) => break,
                        _ => {}
                    }
                }
                out.push(Block::List { start, items, line });
            }
            Tag::Table(aligns) => {
                let align = aligns
                    .iter()
                    .map(|a| match a {
                        Alignment::Center => Align::Center,
                        Alignment::Right => Align::Right,
                        Alignment::Left | Alignment::None => Align::Left,
                    })
                    .collect();
                let (mut header, mut rows) = (Vec::new(), Vec::new());
                while let Some((event, _)) = self.events.next() {
                    match event {
                        Event::Start(Tag::TableHead) => header = self.cells(),
                        Event::Start(Tag::TableRow) => rows.push(self.cells()),
                        Event::End(TagEnd::Table) => break,
                        _ => {}
                    }
                }
                out.push(Block::Table {
                    align,
                    header,
                    rows,
                    line,
                });
            }
            Tag::HtmlBlock => {
                let mut html = String::new();
                for (event, _) in self.events.by_ref() {
                    match event {
                        Event::Html(t) | Event::Text(t) => html.push_str(&t),
                        Event::End(_) => break,
                        _ => {}
                    }
                }
                if html.lines().any(is_step_marker) {
                    out.push(Block::Step { line });
                }
            }
            // Footnotes, definition lists and the like: keep their content.
            _ => {
                let mut inner = self.blocks();
                out.append(&mut inner);
            }
        }
    }

    /// Cells of a table row or head, up to and including its end.
    fn cells(&mut self) -> Vec<Vec<Inline>> {
        let mut cells = Vec::new();
        while let Some((event, _)) = self.events.next() {
            match event {
                Event::Start(Tag::TableCell) => cells.push(self.inlines(true)),
                Event::End(_) => break,
                _ => {}
            }
        }
        cells
    }

    /// Inline runs. With `owned_end`, the enclosing paragraph/heading/cell end is
    /// consumed; without it (tight list items) we stop before any block event.
    fn inlines(&mut self, owned_end: bool) -> Vec<Inline> {
        let mut out = Vec::new();
        let mut style = TextStyle::default();
        let mut depth = [0u32; 3];
        let mut links: Vec<String> = Vec::new();
        while let Some((event, _)) = self.events.peek() {
            if !owned_end && !is_inline_event(event) {
                break;
            }
            let Some((event, _)) = self.events.next() else {
                break;
            };
            match event {
                Event::Text(t) => out.push(Inline::Text(visible(&t, 0).into_owned(), style)),
                Event::Code(t) => out.push(Inline::Code(visible(&t, 0).into_owned())),
                Event::InlineMath(t) => out.push(Inline::Math(visible(&t, 0).into_owned())),
                Event::DisplayMath(t) => out.push(Inline::DisplayMath(visible(&t, 0).into_owned())),
                Event::SoftBreak => out.push(Inline::SoftBreak),
                Event::HardBreak => out.push(Inline::HardBreak),
                Event::FootnoteReference(r) => {
                    out.push(Inline::Text(format!("[{}]", visible(&r, 0)), style))
                }
                Event::TaskListMarker(done) => out.push(Inline::Text(
                    if done { "[x] " } else { "[ ] " }.into(),
                    style,
                )),
                Event::InlineHtml(_) | Event::Html(_) => {}
                Event::Start(tag) => match tag {
                    Tag::Emphasis => depth[0] += 1,
                    Tag::Strong => depth[1] += 1,
                    Tag::Strikethrough => depth[2] += 1,
                    Tag::Link { dest_url, .. } => links.push(visible(&dest_url, 0).into_owned()),
                    Tag::Image { dest_url, .. } => {
                        out.push(Inline::Text("[image: ".into(), style));
                        links.push(visible(&dest_url, 0).into_owned());
                    }
                    _ => {}
                },
                Event::End(tag) => match tag {
                    TagEnd::Emphasis => depth[0] = depth[0].saturating_sub(1),
                    TagEnd::Strong => depth[1] = depth[1].saturating_sub(1),
                    TagEnd::Strikethrough => depth[2] = depth[2].saturating_sub(1),
                    TagEnd::Link | TagEnd::Image => {
                        if let Some(dest) = links.pop() {
                            if matches!(tag, TagEnd::Image) {
                                out.push(Inline::Text("]".into(), style));
                            }
                            // Always kept, so link mode can follow it; the
                            // renderer decides whether to show it.
                            if !dest.is_empty() {
                                out.push(Inline::LinkTarget(dest));
                            }
                        }
                    }
                    TagEnd::Superscript | TagEnd::Subscript => {}
                    _ => break,
                },
                Event::Rule => {}
            }
            style = TextStyle {
                emphasis: depth[0] > 0,
                strong: depth[1] > 0,
                strikethrough: depth[2] > 0,
                link: !links.is_empty(),
            };
        }
        out
    }
}

/// The marker that turns a block quote into an answer box.
const ANSWER_MARKER: &str = "[!answer]";

/// If the quote's first paragraph starts with the answer marker on a line of its
/// own, remove the marker (and the line break after it) and say so. The parser
/// may split the brackets into separate text runs, so the runs are joined first.
fn take_answer_marker(blocks: &mut Vec<Block>) -> bool {
    let Some(Block::Paragraph { text, line }) = blocks.first_mut() else {
        return false;
    };
    let mut marker = String::new();
    let mut end = None;
    for (i, inline) in text.iter().enumerate() {
        match inline {
            Inline::Text(t, _) => marker.push_str(t),
            Inline::SoftBreak | Inline::HardBreak => {
                end = Some(i);
                break;
            }
            _ => return false,
        }
        if marker.trim().len() > ANSWER_MARKER.len() {
            return false;
        }
    }
    if !marker.trim().eq_ignore_ascii_case(ANSWER_MARKER) {
        return false;
    }
    match end {
        Some(i) => {
            text.drain(..=i);
            *line += 1;
        }
        None => {
            blocks.remove(0);
        }
    }
    true
}

/// The answer box of a part's body: the first `Block::Answer` at the top level
/// (exam mode hides it, copy takes it).
pub fn answer_box(body: &[Block]) -> Option<&Block> {
    body.iter().find(|b| matches!(b, Block::Answer { .. }))
}

fn push_paragraph(out: &mut Vec<Block>, text: Vec<Inline>, line: usize) {
    let only_display = text.iter().all(|i| match i {
        Inline::DisplayMath(_) | Inline::SoftBreak | Inline::HardBreak => true,
        Inline::Text(t, _) => t.trim().is_empty(),
        _ => false,
    });
    let maths: Vec<&String> = text
        .iter()
        .filter_map(|i| {
            if let Inline::DisplayMath(m) = i {
                Some(m)
            } else {
                None
            }
        })
        .collect();
    if only_display && !maths.is_empty() {
        for latex in maths {
            out.push(Block::DisplayMath {
                latex: latex.trim().to_string(),
                line,
            });
        }
    } else if !text.is_empty() {
        out.push(Block::Paragraph { text, line });
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into(), TextStyle::default())
    }

    #[test]
    fn headings_keep_ids_and_lines() {
        let doc = parse("intro\n\n## (a) Part {#1a}\n\nbody\n", 10);
        assert_eq!(
            doc[0],
            Block::Paragraph {
                text: vec![text("intro")],
                line: 10
            }
        );
        assert!(
            matches!(&doc[1], Block::Heading { level: 2, id: Some(id), line: 12, .. } if id == "1a")
        );
    }

    #[test]
    fn emphasis_nests() {
        let doc = parse("a *b **c** d* e", 1);
        let Block::Paragraph { text: t, .. } = &doc[0] else {
            panic!("{doc:?}")
        };
        let both = TextStyle {
            emphasis: true,
            strong: true,
            ..Default::default()
        };
        assert!(t.contains(&Inline::Text("c".into(), both)), "{t:?}");
    }

    #[test]
    fn lists_tight_loose_nested_numbered() {
        let doc = parse("3. one\n4. two\n   - inner\n", 1);
        let Block::List {
            start: Some(3),
            items,
            ..
        } = &doc[0]
        else {
            panic!("{doc:?}")
        };
        assert_eq!(items.len(), 2);
        assert!(
            matches!(items[1][1], Block::List { start: None, .. }),
            "{:?}",
            items[1]
        );
    }

    #[test]
    fn math_inline_and_display() {
        let doc = parse("where $x^2$ holds\n\n$$\\frac{a}{b}$$\n", 1);
        let Block::Paragraph { text: t, .. } = &doc[0] else {
            panic!()
        };
        assert!(t.contains(&Inline::Math("x^2".into())));
        assert_eq!(
            doc[1],
            Block::DisplayMath {
                latex: "\\frac{a}{b}".into(),
                line: 3
            }
        );
    }

    #[test]
    fn tables_code_quotes_links_rules() {
        let md = "| a | b |\n|:-|-:|\n| 1 | `2` |\n\n```rust\nfn x() {}\n```\n\n> quoted\n\n[site](https://x.org)\n\n---\n";
        let doc = parse(md, 1);
        assert!(
            matches!(&doc[0], Block::Table { align, rows, .. } if align == &vec![Align::Left, Align::Right] && rows.len() == 1)
        );
        assert_eq!(
            doc[1],
            Block::Code {
                lang: "rust".into(),
                code: "fn x() {}".into(),
                line: 5
            }
        );
        assert!(matches!(&doc[2], Block::Quote { .. }));
        let Block::Paragraph { text: t, .. } = &doc[3] else {
            panic!()
        };
        assert!(t.contains(&Inline::LinkTarget("https://x.org".into())));
        assert!(matches!(doc[4], Block::Rule { .. }));
    }

    #[test]
    fn answer_marker_makes_an_answer_box_in_any_case() {
        for marker in ["[!answer]", "[!ANSWER]", "[!Answer]"] {
            let doc = parse(
                &format!("> {marker}\n> Row 18, the **Pool**.\n>\n> - more\n"),
                5,
            );
            let Block::Answer { blocks, line: 5 } = &doc[0] else {
                panic!("{marker}: {doc:?}")
            };
            let Block::Paragraph { text: t, line: 6 } = &blocks[0] else {
                panic!("{blocks:?}")
            };
            assert_eq!(plain_text(t), "Row 18, the Pool.");
            assert!(matches!(blocks[1], Block::List { .. }));
            assert_eq!(answer_box(&doc), Some(&doc[0]));
        }
    }

    #[test]
    fn answer_marker_alone_or_mid_line_is_not_a_box() {
        // The marker only counts on its own first line; elsewhere it is text.
        let doc = parse("> [!answer]\n", 1);
        assert!(matches!(&doc[0], Block::Answer { blocks, .. } if blocks.is_empty()));
        for md in [
            "> [!answer] row 18\n",
            "> see [!answer]\n> x\n",
            "> plain\n",
        ] {
            let doc = parse(md, 1);
            assert!(matches!(doc[0], Block::Quote { .. }), "{md}: {doc:?}");
            assert_eq!(answer_box(&doc), None);
        }
    }

    #[test]
    fn step_markers_are_blocks_of_their_own() {
        let doc = parse(
            "one\n\n<!-- step -->\n\ntwo\n\n<!--STEP-->\n<!-- note -->\n",
            1,
        );
        assert!(matches!(doc[1], Block::Step { line: 3 }), "{doc:?}");
        assert!(matches!(doc[3], Block::Step { line: 7 }), "{doc:?}");
        assert_eq!(doc.len(), 4, "other comments stay invisible: {doc:?}");
        assert!(!is_step_marker("<!-- steps -->"));
    }

    #[test]
    fn links_keep_their_anchor_even_when_the_text_is_the_address() {
        let doc = parse("[part (b)](#3b) and <https://x.org>", 1);
        let Block::Paragraph { text: t, .. } = &doc[0] else {
            panic!()
        };
        assert!(t.contains(&Inline::LinkTarget("#3b".into())), "{t:?}");
        assert!(
            t.contains(&Inline::LinkTarget("https://x.org".into())),
            "{t:?}"
        );
    }

    #[test]
    fn control_characters_are_made_visible() {
        let doc = parse("red \x1b[31m text", 1);
        let Block::Paragraph { text: t, .. } = &doc[0] else {
            panic!()
        };
        assert!(!plain_text(t).contains('\x1b'));
        assert!(plain_text(t).contains('␛'));
    }
}
