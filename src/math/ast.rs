//! Our own small math tree. The parser adapter (`parse.rs`) builds it from pulldown-latex
//! events; the two layouts (`inline.rs`, `display.rs`) read it. Nothing here depends on the
//! parser crate, so the parser can be swapped without touching the layouts.

/// A font requested by the source (`\mathbf`, `\mathbb`, ...). `Normal` is the default math font.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Normal,
    /// `\mathrm`, `\text`, function names: upright.
    Upright,
    /// `\mathbf`: bold upright.
    Bold,
    /// `\boldsymbol`, `\bm`, `\mathbfit`: bold italic.
    BoldItalic,
    /// `\mathit`.
    Italic,
    /// `\mathcal`, `\mathscr`.
    Script,
    BoldScript,
    /// `\mathfrak`.
    Fraktur,
    BoldFraktur,
    /// `\mathbb`.
    DoubleStruck,
    /// `\mathsf`.
    SansSerif,
    BoldSansSerif,
    SansSerifItalic,
    SansSerifBoldItalic,
    /// `\mathtt`.
    Monospace,
}

impl Font {
    /// Whether the terminal bold attribute should carry this font.
    pub fn is_bold(self) -> bool {
        matches!(
            self,
            Font::Bold
                | Font::BoldItalic
                | Font::BoldScript
                | Font::BoldFraktur
                | Font::BoldSansSerif
                | Font::SansSerifBoldItalic
        )
    }
}

/// The TeX atom class: decides spacing and how a glyph is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Variables and other ordinary symbols (`x`, `\alpha`, `\infty`, `\|`).
    Ord,
    /// A number (`10`, `3.5`).
    Num,
    /// A large operator (`\sum`, `\int`).
    LargeOp,
    /// A binary operator (`+`, `\times`): spaced on both sides unless unary.
    Bin,
    /// A relation (`=`, `\le`, `\to`): spaced on both sides.
    Rel,
    /// An opening delimiter.
    Open,
    /// A closing delimiter.
    Close,
    /// Punctuation (`,`, `;`): followed by a space.
    Punct,
    /// A function name (`\tanh`, `\operatorname{softmax}`), upright.
    Func,
    /// `\text{...}`: shown as written.
    Text,
}

/// One symbol or word.
#[derive(Debug, Clone, PartialEq)]
pub struct Atom {
    pub text: String,
    pub class: Class,
    pub font: Font,
}

/// Where scripts go: to the right, or above/below (limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Right,
    AboveBelow,
    /// Above/below in display style, to the right in text style (`\sum`, `\lim`).
    Movable,
}

/// An accent over (or a line under) one base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accent {
    Hat,
    Tilde,
    /// `\bar` and `\overline`.
    Bar,
    Vec,
    Dot,
    Ddot,
    Acute,
    Grave,
    Breve,
    Check,
    Ring,
    /// `\underline`.
    Underline,
    /// `\widehat`-like accents whose mark we show as a single character above.
    Other(char),
}

/// Kinds of fraction-like constructs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FracStyle {
    /// Follows the surrounding style (`\frac`).
    Auto,
    /// `\tfrac`: always one-line.
    Text,
    /// `\dfrac`: stacked even where `\frac` would not be.
    Display,
}

/// Column alignment inside a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// What kind of environment a table came from (brackets come from an enclosing `Fenced`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// `matrix` family and `array`: cells separated by a gap.
    Matrix,
    /// `cases`: value and condition columns, left-aligned.
    Cases,
    /// `aligned`, `align`, `split`, `alignat`: right/left column pairs joined at `&`.
    Aligned,
    /// `gather`, `gathered`, `multline`, `equation`: centred rows.
    Gather,
}

/// Lines drawn in an `array`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    pub vertical: Vec<usize>,
    pub horizontal: Vec<usize>,
}

impl Rules {
    /// A single cell ruled on all four sides (`\boxed`).
    pub fn is_box(&self, rows: usize, cols: usize) -> bool {
        rows == 1
            && cols == 1
            && self.vertical.contains(&0)
            && self.vertical.contains(&1)
            && self.horizontal.contains(&0)
            && self.horizontal.contains(&1)
    }
}

/// A node of the math tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Atom(Atom),
    /// A sequence (a `{...}` group or the whole expression).
    Row(Vec<Node>),
    /// Horizontal space in columns (`\quad` = 2, `\,` = 1).
    Space(usize),
    Scripts {
        base: Box<Node>,
        sub: Option<Box<Node>>,
        sup: Option<Box<Node>>,
        place: Place,
    },
    Frac {
        num: Box<Node>,
        den: Box<Node>,
        /// False for `\binom` (no rule).
        rule: bool,
        style: FracStyle,
    },
    Sqrt {
        body: Box<Node>,
        index: Option<Box<Node>>,
    },
    Accent {
        base: Box<Node>,
        accent: Accent,
    },
    /// `\overbrace` / `\underbrace` (the label arrives as a script around this node).
    Brace {
        base: Box<Node>,
        over: bool,
    },
    /// `\left( ... \right)`, and the brackets of `bmatrix` etc.; `None` is `\left.`.
    Fenced {
        open: Option<char>,
        close: Option<char>,
        body: Box<Node>,
    },
    Table {
        kind: TableKind,
        rows: Vec<Vec<Node>>,
        /// Column alignments for `Matrix` tables (from `array`/`matrix*`); empty means centred.
        align: Vec<Align>,
        /// Rules of an `array`: column boundaries with a vertical line (0 = left edge) and row
        /// boundaries with `\hline` (0 = top). `\boxed` is a 1×1 array ruled all round.
        rules: Rules,
    },
    /// `\not x`.
    Negated(Box<Node>),
}

impl Node {
    pub fn empty() -> Node {
        Node::Row(Vec::new())
    }

    /// Strips one-element rows so that structural checks see the real node.
    pub fn unwrap_row(&self) -> &Node {
        let mut n = self;
        while let Node::Row(v) = n {
            if v.len() == 1 {
                n = &v[0];
            } else {
                break;
            }
        }
        n
    }
}
