//! Property tests for the math renderer: no input panics, inline is one line, and the display
//! width contract holds (see `nnbook::math::Rendered`).
use nnbook::math::corpus::math_in_markdown;
use nnbook::math::{Glyphs, Rendered, render_display, render_inline, width};
use proptest::prelude::*;

/// The display width contract, checked against the inline rendering of the same source.
fn check_contract(src: &str, max_width: usize, g: Glyphs) -> Result<(), TestCaseError> {
    let inline = render_inline(src, g);
    prop_assert_eq!(inline.lines.len(), 1, "inline is one line: {:?}", src);
    let d = render_display(src, max_width, g);
    check_display(&d, &inline, max_width, src, g)
}

fn check_display(
    d: &Rendered,
    inline: &Rendered,
    max_width: usize,
    src: &str,
    g: Glyphs,
) -> Result<(), TestCaseError> {
    prop_assert!(!d.lines.is_empty());
    if d.error.is_some() {
        prop_assert_eq!(
            d.lines.len(),
            1,
            "fallback to source is one line: {:?}",
            src
        );
        prop_assert!(!d.one_line);
        prop_assert_eq!(&d.error, &inline.error);
    } else if d.one_line {
        prop_assert_eq!(
            &d.lines,
            &inline.lines,
            "one-line form is the inline form: {:?}",
            src
        );
        // Only used because the 2D form did not fit (the one-line form may itself be wider:
        // the caller wraps it).
        let full = render_display(src, usize::MAX, g);
        prop_assert!(!full.one_line);
        prop_assert!(
            full.width() > max_width,
            "2D form {} fits in {}: {:?}",
            full.width(),
            max_width,
            src
        );
    } else {
        let widths: Vec<usize> = d.lines.iter().map(|l| width(l)).collect();
        prop_assert!(
            widths.iter().all(|w| *w == widths[0]),
            "rows padded alike: {:?} {:?}",
            src,
            widths
        );
        prop_assert!(
            widths[0] <= max_width,
            "2D block fits: {:?} {} > {}",
            src,
            widths[0],
            max_width
        );
    }
    Ok(())
}

/// Every formula in the content (figures substituted), plus a few constructs the
/// content may not use yet; built once per run, since each case only picks one.
fn corpus() -> &'static [String] {
    static CORPUS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(build_corpus)
}

fn build_corpus() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let mut out = Vec::new();
    let facts = nnbook::compute::facts();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("content dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for p in files {
        if p.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&p).expect("read");
            // Figures are substituted before parsing, as the loader does.
            let text = nnbook::content::template::expand("", &text, 1, facts).unwrap_or(text);
            out.extend(math_in_markdown(&text).into_iter().map(|m| m.latex));
        }
    }
    // A few constructs the content may not use yet.
    out.extend(
        [
            r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}",
            r"\sum_{i=1}^{n} \frac{x_i}{\sqrt{n}}",
            r"\begin{cases} 1 & x > 0 \\ 0 & \text{else} \end{cases}",
            r"\left\| \hat{\mathbf{y}} - \mathbf{y} \right\|_2^2",
            r"\underbrace{a+b}_{c} \overset{!}{=} \binom{n}{k}",
        ]
        .map(String::from),
    );
    out
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "^",
    "_",
    "&",
    "\\\\",
    "\\",
    "$",
    "\\frac",
    "\\sqrt",
    "\\left(",
    "\\right)",
    "\\left.",
    "\\begin{bmatrix}",
    "\\end{bmatrix}",
    "\\begin{aligned}",
    "\\end{aligned}",
    "\\mathbf",
    "\\text{",
    "\\hat",
    "\\sum",
    "\\lim",
    "'",
    "[",
    "]",
    "\\not",
    "\\operatorname*",
    "\\bm",
    "é",
    "𝐖",
    "\u{0}",
    "\u{1b}",
    "\\quad",
    "\\hspace{99999cm}",
    "\\underbrace",
    "\\\\[2pt]",
    "\\tag{1}",
    "\\label",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutate(src: &str, muts: &[Mutation]) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for m in muts {
        let n = chars.len();
        match *m {
            Mutation::Delete(at, len) if n > 0 => {
                let at = at % n;
                let end = (at + len % 8).min(n);
                chars.drain(at..end);
            }
            Mutation::Insert(at, tok) => {
                let at = if n == 0 { 0 } else { at % (n + 1) };
                let t: Vec<char> = TOKENS[tok % TOKENS.len()].chars().collect();
                chars.splice(at..at, t);
            }
            Mutation::Duplicate(at, len) if n > 0 => {
                let at = at % n;
                let end = (at + 1 + len % 16).min(n);
                let piece: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, piece);
            }
            Mutation::Truncate(at) if n > 0 => chars.truncate(at % n),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Delete(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Duplicate(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn glyphs() -> impl Strategy<Value = Glyphs> {
    prop_oneof![
        Just(Glyphs::Unicode),
        Just(Glyphs::UnicodeMath),
        Just(Glyphs::Ascii)
    ]
}

/// Strings over a LaTeX-heavy alphabet, more likely to reach deep parser paths than `.*`.
fn latexish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(TOKENS.to_vec()).prop_map(String::from),
            2 => "[a-zA-Z0-9 +=(),.-]{1,3}",
            1 => any::<char>().prop_map(|c| c.to_string()),
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(src in ".{0,200}", w in 0usize..120, g in glyphs()) {
        check_contract(&src, w, g)?;
    }

    #[test]
    fn latex_like_strings_never_panic(src in latexish(), w in 0usize..120, g in glyphs()) {
        check_contract(&src, w, g)?;
    }

    #[test]
    fn corpus_mutations_never_panic(
        pick in any::<usize>(),
        muts in prop::collection::vec(mutation(), 1..6),
        w in 0usize..120,
        g in glyphs(),
    ) {
        let corpus = corpus();
        let src = mutate(&corpus[pick % corpus.len()], &muts);
        check_contract(&src, w, g)?;
    }

    #[test]
    fn corpus_at_every_width(pick in any::<usize>(), w in 0usize..100, g in glyphs()) {
        let corpus = corpus();
        let src = &corpus[pick % corpus.len()];
        check_contract(src, w, g)?;
        // Unmutated content never falls back to source.
        prop_assert!(render_inline(src, g).error.is_none(), "{:?}", src);
    }
}

/// Pathological nesting and size are refused (falling back to source) instead of
/// overflowing the stack or taking long.
#[test]
fn pathological_inputs_fall_back_quickly() {
    let cases = [
        "{".repeat(100_000),
        format!("{}x{}", "{".repeat(5_000), "}".repeat(5_000)),
        r"\frac".repeat(2_000) + "ab",
        r"\sqrt".repeat(2_000) + "x",
        r"\left(".repeat(1_000) + "x" + &r"\right)".repeat(1_000),
        "x^{".repeat(500) + "y" + &"}".repeat(500),
        r"\sqrt[".repeat(600) + "x" + &"]".repeat(600) + "{y}",
        r"\begin{bmatrix}".repeat(300) + "x" + &r"\end{bmatrix}".repeat(300),
        "a".repeat(50_000),
        "&".repeat(3_000),
    ];
    for src in &cases {
        for g in Glyphs::ALL {
            let r = render_display(src, 80, g);
            assert!(
                r.error.is_some(),
                "{}... should be refused",
                &src[..20.min(src.len())]
            );
            assert_eq!(r.lines.len(), 1);
            assert_eq!(render_inline(src, g).lines.len(), 1);
        }
    }
}

/// Deep but accepted nesting renders in every glyph set without blowing up (each script
/// level used to be laid out several times: exponential in the depth).
#[test]
fn deep_accepted_nesting_is_fast_and_renders() {
    let d = 40;
    let cases = [
        "x^{".repeat(d) + "y" + &"}".repeat(d),
        "x_{".repeat(d) + "y" + &"}".repeat(d),
        r"\frac{".repeat(d / 2) + "a" + &"}{b}".repeat(d / 2),
        r"\sqrt{".repeat(d) + "x" + &"}".repeat(d),
        r"\left(".repeat(d / 2) + "x" + &r"\right)".repeat(d / 2),
        r"\hat{".repeat(d) + "x" + &"}".repeat(d),
        "{".repeat(d) + r"\sum_{i}^{n}" + &"}".repeat(d),
    ];
    for src in &cases {
        for g in Glyphs::ALL {
            let start = std::time::Instant::now();
            let r = render_display(src, 400, g);
            let i = render_inline(src, g);
            assert_eq!(r.error, None, "{src}");
            assert_eq!(i.error, None, "{src}");
            // Not a timing assertion on the result: a guard against the exponential case,
            // which took minutes; the linear one takes milliseconds.
            assert!(
                start.elapsed().as_secs() < 20,
                "{src} took {:?}",
                start.elapsed()
            );
        }
    }
}

/// Nesting just below the limit still renders.
#[test]
fn moderate_nesting_renders() {
    let src = "x^{".repeat(10) + "y" + &"}".repeat(10);
    let r = render_display(&src, 200, Glyphs::Unicode);
    assert_eq!(r.error, None);
    let src = r"\frac{".repeat(8) + "a" + &"}{b}".repeat(8);
    assert_eq!(render_display(&src, 200, Glyphs::Unicode).error, None);
}

#[test]
fn control_characters_never_reach_the_terminal() {
    for src in ["\u{1b}[31mx", "a\u{0}b", r"\text{a\u{7}b}", "x\u{9b}2J"] {
        for g in Glyphs::ALL {
            for r in [render_inline(src, g), render_display(src, 80, g)] {
                for l in &r.lines {
                    for s in l {
                        assert!(
                            !s.text.chars().any(char::is_control),
                            "{src:?} -> {:?}",
                            s.text
                        );
                    }
                }
            }
        }
    }
}
