//! How atoms and delimiters look in each glyph set.
use super::Glyphs;
use super::ast::{Atom, Class, Font};
use super::symbols::{ascii_name, bmp_letterlike, math_alphanumeric};

/// The text of one atom, with its terminal attributes.
pub struct AtomText {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    /// A multi-letter word (`tanh`, or `alpha` in ASCII): needs a space next to other letters.
    pub word: bool,
}

fn is_italic(font: Font) -> bool {
    matches!(
        font,
        Font::Italic | Font::BoldItalic | Font::SansSerifItalic | Font::SansSerifBoldItalic
    )
}

/// Maps a character to ASCII: itself if ASCII, else its name, else the character unchanged
/// (nothing is dropped; a symbol we have no name for stays as it is).
pub fn ascii_char(c: char, out: &mut String) -> bool {
    if c.is_ascii() {
        out.push(c);
        false
    } else if let Some(name) = ascii_name(c) {
        out.push_str(name);
        name.len() > 1 && name.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')
    } else {
        out.push(c);
        false
    }
}

/// The text of `atom` in `glyphs`. With `plain`, `unicode-math` letters are not restyled
/// (used when trying to turn a script into Unicode sub/superscript characters).
pub fn atom_text(atom: &Atom, glyphs: Glyphs, plain: bool) -> AtomText {
    let bold = atom.font.is_bold();
    let italic = is_italic(atom.font);
    let word_class = atom.class == Class::Func;
    match glyphs {
        Glyphs::Ascii => {
            let mut text = String::with_capacity(atom.text.len());
            let mut word = word_class;
            for c in atom.text.chars() {
                word |= ascii_char(c, &mut text);
            }
            // An operator spelled with letters (`x` for `×`, `in` for `∈`) must stay apart
            // from neighbouring letters even inside scripts.
            word |= matches!(atom.class, Class::Bin | Class::Rel)
                && text.chars().any(|c| c.is_ascii_alphabetic());
            AtomText {
                text,
                bold,
                italic,
                word,
            }
        }
        Glyphs::Unicode => {
            let text = match atom.font {
                Font::DoubleStruck | Font::Script | Font::Fraktur
                    if matches!(atom.class, Class::Ord | Class::Num) =>
                {
                    atom.text
                        .chars()
                        .map(|c| bmp_letterlike(c, atom.font).unwrap_or(c))
                        .collect()
                }
                _ => atom.text.clone(),
            };
            AtomText {
                text,
                bold,
                italic,
                word: word_class,
            }
        }
        Glyphs::UnicodeMath => {
            if plain || !matches!(atom.class, Class::Ord | Class::Num) {
                return AtomText {
                    text: atom.text.clone(),
                    bold,
                    italic,
                    word: word_class,
                };
            }
            let mut text = String::with_capacity(atom.text.len() * 4);
            let mut all = true;
            for c in atom.text.chars() {
                let font = if atom.font == Font::Normal
                    && (c.is_ascii_alphabetic() || ('α'..='ω').contains(&c))
                {
                    Font::Italic
                } else {
                    atom.font
                };
                match math_alphanumeric(c, font) {
                    Some(m) => text.push(m),
                    None => {
                        all = false;
                        text.push(c);
                    }
                }
            }
            AtomText {
                text,
                bold: bold && !all,
                italic: italic && !all,
                word: false,
            }
        }
    }
}

/// A delimiter of one row.
pub fn small_delim(c: char, glyphs: Glyphs) -> String {
    let mut s = String::new();
    if glyphs == Glyphs::Ascii {
        match c {
            // In a bracket position, floor/ceil read as brackets.
            '⌊' | '⌈' => s.push('['),
            '⌋' | '⌉' => s.push(']'),
            _ => {
                ascii_char(c, &mut s);
            }
        }
    } else {
        s.push(c);
    }
    s
}

/// A delimiter `height` rows tall (`height >= 2`), one string per row, all the same width.
pub fn tall_delim(c: char, height: usize, glyphs: Glyphs) -> Vec<String> {
    let h = height.max(1);
    if h == 1 {
        return vec![small_delim(c, glyphs)];
    }
    let ascii = glyphs == Glyphs::Ascii;
    // (top, middle, bottom, centre) pieces; centre is used on the middle row of braces.
    let (top, mid, bot, centre): (&str, &str, &str, Option<&str>) = match (c, ascii) {
        ('(', false) => ("⎛", "⎜", "⎝", None),
        (')', false) => ("⎞", "⎟", "⎠", None),
        ('[', false) => ("⎡", "⎢", "⎣", None),
        (']', false) => ("⎤", "⎥", "⎦", None),
        ('{', false) => ("⎧", "⎪", "⎩", Some("⎨")),
        ('}', false) => ("⎫", "⎪", "⎭", Some("⎬")),
        ('⌊', false) => ("│", "│", "└", None),
        ('⌋', false) => ("│", "│", "┘", None),
        ('⌈', false) => ("┌", "│", "│", None),
        ('⌉', false) => ("┐", "│", "│", None),
        ('|' | '∣' | '│', false) => ("│", "│", "│", None),
        ('‖' | '∥', false) => ("‖", "‖", "‖", None),
        ('⟨', false) => ("╱", "│", "╲", None),
        ('⟩', false) => ("╲", "│", "╱", None),
        ('(', true) => ("/", "|", "\\", None),
        (')', true) => ("\\", "|", "/", None),
        ('[' | '⌊' | '⌈', true) => ("[", "[", "[", None),
        (']' | '⌋' | '⌉', true) => ("]", "]", "]", None),
        ('{', true) => ("/", "|", "\\", Some("<")),
        ('}', true) => ("\\", "|", "/", Some(">")),
        ('|' | '∣' | '│', true) => ("|", "|", "|", None),
        ('‖' | '∥', true) => ("||", "||", "||", None),
        ('⟨', true) => ("/", "|", "\\", None),
        ('⟩', true) => ("\\", "|", "/", None),
        _ => {
            let one = small_delim(c, glyphs);
            return vec![one; h];
        }
    };
    let mut rows = Vec::with_capacity(h);
    for r in 0..h {
        let piece = if r == 0 {
            top
        } else if r + 1 == h {
            bot
        } else if centre.is_some() && r == (h - 1) / 2 {
            centre.unwrap_or(mid)
        } else {
            mid
        };
        rows.push(piece.to_string());
    }
    // Two-row braces have no room for the centre piece; the top/bottom hooks suffice.
    rows
}
