//! Math renderer: the content corpus and golden renderings.
//!
//! The corpus test collects every `$...$` and `$$...$$` in `content/*.md` (so new content is
//! covered automatically) and renders each in all three glyph sets, inline and as a display
//! block at 100 columns: none may fall back to source, and no output may contain a raw
//! `\command`, unless listed in `KNOWN_UNSUPPORTED` with a reason (the list is empty).
use nnbook::math::corpus::{MathExpr, math_in_markdown};
use nnbook::math::{Glyphs, render_display, render_inline, render_to_string};

/// Expressions from the content that may fall back to source, with the reason.
const KNOWN_UNSUPPORTED: &[(&str, &str)] = &[];

/// Every math expression in the content, with `{{key}}` templates filled in from the facts
/// (as the loader does).
fn corpus() -> Vec<(String, MathExpr)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let facts = nnbook::compute::facts();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("content dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read content file");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for mut m in math_in_markdown(&text) {
            for (k, v) in facts {
                m.latex = m.latex.replace(&format!("{{{{{k}}}}}"), v);
            }
            out.push((name.clone(), m));
        }
    }
    out
}

fn has_raw_command(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'\\' && w[1].is_ascii_alphabetic())
}

#[test]
fn corpus_renders_without_fallback_in_every_glyph_set() {
    let corpus = corpus();
    assert!(
        corpus.len() >= 50,
        "expected the content's math, found {}",
        corpus.len()
    );
    assert!(
        corpus.iter().any(|(_, m)| m.display),
        "no display math found"
    );
    let mut failures = Vec::new();
    for (file, m) in &corpus {
        if KNOWN_UNSUPPORTED.iter().any(|(l, _)| *l == m.latex) {
            continue;
        }
        for g in Glyphs::ALL {
            for (mode, r) in [
                ("inline", render_inline(&m.latex, g)),
                ("display", render_display(&m.latex, 100, g)),
            ] {
                let text = r.to_plain_lines().join("\n");
                if let Some(e) = &r.error {
                    failures.push(format!("{file}:{} [{g} {mode}] {:?}: {e}", m.line, m.latex));
                } else if has_raw_command(&text) {
                    failures.push(format!(
                        "{file}:{} [{g} {mode}] raw command in {text:?}",
                        m.line
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn known_unsupported_list_is_still_needed() {
    let corpus = corpus();
    for (latex, reason) in KNOWN_UNSUPPORTED {
        assert!(
            corpus.iter().any(|(_, m)| m.latex == *latex),
            "{latex:?} ({reason}) no longer occurs in the content: remove it from the list"
        );
        assert!(
            render_inline(latex, Glyphs::Unicode).error.is_some(),
            "{latex:?} now renders"
        );
    }
}

fn inline(latex: &str) -> String {
    render_to_string(latex, false, Glyphs::Unicode, 80).0
}

fn inline_g(latex: &str, g: Glyphs) -> String {
    render_to_string(latex, false, g, 80).0
}

fn display(latex: &str, width: usize) -> String {
    let (s, e) = render_to_string(latex, true, Glyphs::Unicode, width);
    assert_eq!(e, None, "{latex}");
    s
}

fn display_g(latex: &str, width: usize, g: Glyphs) -> String {
    render_to_string(latex, true, g, width).0
}

#[track_caller]
fn check_inline(latex: &str, expected: &str) {
    let r = render_inline(latex, Glyphs::Unicode);
    assert_eq!(r.error, None, "{latex}");
    assert_eq!(inline(latex), expected, "{latex}");
}

#[track_caller]
fn check_display(latex: &str, expected: &[&str]) {
    assert_eq!(display(latex, 80), expected.join("\n"), "{latex}");
}

// ---- Fonts ----

#[test]
fn bold_is_an_attribute_in_unicode_and_a_glyph_in_unicode_math() {
    let r = render_inline(r"\mathbf{W}^{(in)}", Glyphs::Unicode);
    assert_eq!(r.lines.len(), 1);
    assert_eq!(r.lines[0][0].text, "W");
    assert!(r.lines[0][0].bold);
    assert!(!r.lines[0][1].bold, "the script is not bold");
    assert_eq!(inline(r"\mathbf{W}^{(in)}"), "W⁽ⁱⁿ⁾");
    let m = render_inline(r"\mathbf{W}^{(in)}", Glyphs::UnicodeMath);
    assert_eq!(m.lines[0][0].text, "𝐖⁽ⁱⁿ⁾");
    assert!(!m.lines[0][0].bold, "the glyph carries the bold");
    let a = render_inline(r"\mathbf{W}^{(in)}", Glyphs::Ascii);
    assert_eq!(nnbook::math::line_text(&a.lines[0]), "W^(in)");
    assert!(a.lines[0][0].bold);
}

#[test]
fn boldsymbol_and_bm_are_bold_italic() {
    for src in [r"\boldsymbol{\theta}", r"\bm{\theta}"] {
        let r = render_inline(src, Glyphs::Unicode);
        assert_eq!(r.error, None);
        assert_eq!(r.lines[0][0].text, "θ");
        assert!(r.lines[0][0].bold && r.lines[0][0].italic);
        assert_eq!(inline_g(src, Glyphs::UnicodeMath), "𝜽");
        assert_eq!(inline_g(src, Glyphs::Ascii), "theta");
    }
}

#[test]
fn blackboard_calligraphic_roman_operatorname() {
    check_inline(r"\mathbb{R}^{K}", "ℝᴷ");
    check_inline(r"\mathbb{E}[x]", "E[x]");
    assert_eq!(inline_g(r"\mathbb{E}[x]", Glyphs::UnicodeMath), "𝔼[𝑥]");
    check_inline(r"\mathcal{L}(\theta)", "ℒ(θ)");
    assert_eq!(inline_g(r"\mathcal{D}", Glyphs::UnicodeMath), "𝒟");
    check_inline(r"\mathrm{d}x", "dx");
    check_inline(r"\operatorname{softmax}(\mathbf{z})_i", "softmax(z)ᵢ");
    check_inline(r"\log_2(T) + \ln x", "log₂(T) + ln x");
}

#[test]
fn variables_are_italic_glyphs_only_in_unicode_math() {
    assert_eq!(inline_g(r"h_t = x", Glyphs::UnicodeMath), "ℎₜ = 𝑥");
    let r = render_inline("x", Glyphs::Unicode);
    assert!(!r.lines[0][0].italic);
}

// ---- Scripts ----

#[test]
fn scripts_use_unicode_only_when_every_character_has_one() {
    check_inline(r"x_t", "xₜ");
    check_inline(r"\mathbf{h}_{t-1}", "hₜ₋₁");
    check_inline(r"\mathbf{W}_{(hh)}", "W₍ₕₕ₎");
    check_inline(r"\mathbf{W}_{(yh)}", "W_(yh)");
    check_inline(r"y_T", "y_T");
    check_inline(r"x^T + x^\top", "xᵀ + xᵀ");
    check_inline(r"\mathbb{R}^{H \times W \times C}", "ℝ^(H×W×C)");
    check_inline(r"x_{i,j}^{(l)}", "x_(i,j)⁽ˡ⁾");
}

#[test]
fn nested_scripts_and_primes() {
    check_inline(r"x^{y^{z}}", "x^(yᶻ)");
    check_inline(r"a_{b_{c}}", "a_(b_c)");
    check_inline(r"f'(x) + f''(x)", "f′(x) + f′′(x)");
    check_inline(r"a^{\prime}", "a′");
    assert_eq!(inline_g(r"f'(x)", Glyphs::Ascii), "f'(x)");
    // A fallback script is kept apart from the next letter.
    check_inline(r"\nabla_{\mathbf{W}} L", "∇_W L");
}

#[test]
fn the_issue_examples() {
    check_inline(
        r"\frac{\partial L_t}{\partial \mathbf{h}_t} \in \mathbb{R}^K",
        "∂Lₜ/∂hₜ ∈ ℝᴷ",
    );
    check_inline(
        r"\mathbf{h}_t = \tanh(\mathbf{W}_{(hh)}\mathbf{h}_{t-1} + \mathbf{W}_{(xh)}\mathbf{x}_t)",
        "hₜ = tanh(W₍ₕₕ₎hₜ₋₁ + W₍ₓₕ₎xₜ)",
    );
}

// ---- Fractions ----

#[test]
fn inline_fractions_keep_their_meaning() {
    check_inline(r"\frac{a+b}{c}", "(a + b)/c");
    check_inline(r"\frac{a}{b+c}", "a/(b + c)");
    check_inline(r"\frac{\frac{a}{b}}{c}", "(a/b)/c");
    check_inline(r"\frac{1}{2}\frac{3}{4}", "(1/2)(3/4)");
    check_inline(r"\frac{1}{\sqrt{2}}\mathbf{x}", "(1/√2)x");
    check_inline(r"e^{\frac{a}{b}}", "e^(a/b)");
    check_inline(r"\sigma(x) = \frac{1}{1 + e^{-x}}", "σ(x) = 1/(1 + e⁻ˣ)");
    check_inline(
        r"\text{act}(\mathbf{x}) = \frac{\exp(\mathbf{x})}{\exp(\mathbf{x})+1}",
        "act(x) = exp(x)/(exp(x) + 1)",
    );
    check_inline(r"\lim_{x \to 0} \frac{\sin x}{x}", "lim_(x→0) (sin x)/x");
}

#[test]
fn display_fractions_are_stacked_with_a_rule() {
    check_display(
        r"\frac{\partial L_t}{\partial \mathbf{h}_t} \in \mathbb{R}^K",
        &[" ∂Lₜ", "───── ∈ ℝᴷ", " ∂hₜ"],
    );
    check_display(
        r"\frac{\frac{a}{b}}{c}",
        &["  a", " ───", "  b", "─────", "  c"],
    );
    check_display(r"\frac{1}{2}\frac{3}{4}", &[" 1   3", "─── ───", " 2   4"]);
}

#[test]
fn tfrac_and_dfrac() {
    check_display(
        r"\tfrac{1}{2} x + \dfrac{1}{2}",
        &["          1", "(1/2)x + ───", "          2"],
    );
    check_inline(r"\dfrac{a}{b}", "a/b");
}

#[test]
fn binomials() {
    check_inline(r"\binom{n}{k}", "(n choose k)");
    check_display(r"\binom{n}{k}", &["⎛n⎞", "⎜ ⎟", "⎝k⎠"]);
}

// ---- Roots ----

#[test]
fn roots() {
    check_inline(r"\sqrt{2}", "√2");
    check_inline(r"\sqrt{x+1}", "√(x + 1)");
    check_inline(r"\sqrt[3]{x}", "∛x");
    check_inline(r"\sqrt[n]{x}", "ⁿ√x");
    assert_eq!(inline_g(r"\sqrt{x+1}", Glyphs::Ascii), "sqrt(x + 1)");
    check_display(r"\sqrt{x+1}", &[" _____", "√x + 1"]);
    check_display(r"\sqrt{\frac{a}{b}}", &[" ___", "│ a", "│───", "√ b"]);
    assert_eq!(display_g(r"\sqrt{x}", 80, Glyphs::Ascii), "  _\n\\/x");
}

// ---- Big operators and limits ----

#[test]
fn sums_products_integrals() {
    check_inline(r"\sum_{i=1}^{n} x_i^2", "∑ᵢ₌₁ⁿ xᵢ²");
    check_display(r"\sum_{i=1}^{n} x_i^2", &[" n", " ∑  xᵢ²", "i=1"]);
    check_display(r"\prod_{t=1}^{T} p_t", &[" T", " ∏  pₜ", "t=1"]);
    check_inline(r"\int_0^1 f(x)\,dx", "∫₀¹ f(x) dx");
    check_display(r"\int_0^1 f(x)\,dx", &["∫₀¹ f(x) dx"]);
    assert_eq!(
        inline_g(r"\sum_{i=1}^{n} x_i", Glyphs::Ascii),
        "sum_(i=1)^n x_i"
    );
}

#[test]
fn limits_and_argmin() {
    check_display(
        r"\lim_{x \to 0} \frac{\sin x}{x} = 1",
        &["     sin x", "lim ─────── = 1", "x→0    x"],
    );
    check_inline(
        r"\hat{\theta} = \arg\min_\theta \mathcal{L}",
        "θ̂ = arg min_θ ℒ",
    );
    check_display(
        r"\hat{\theta} = \arg\min_\theta \mathcal{L}",
        &["θ̂ = arg min ℒ", "       θ"],
    );
    check_display(
        r"\operatorname*{arg\,max}_{y} p(y)",
        &["arg max p(y)", "   y"],
    );
    check_display(r"\argmax_y p(y)", &["arg max p(y)", "   y"]);
    check_inline(r"\max_i x_i", "maxᵢ xᵢ");
}

// ---- Accents ----

#[test]
fn accents_as_combining_marks_or_fallback() {
    check_inline(
        r"\hat{x}_t, \bar{x}, \vec{v}, \dot{x}, \ddot{x}, \tilde{\mathbf{W}}",
        "x\u{302}ₜ, x\u{304}, v\u{20d7}, x\u{307}, x\u{308}, W\u{303}",
    );
    check_inline(r"\hat{xy}", "hat(xy)");
    assert_eq!(
        inline_g(r"\tilde{\mathbf{W}}^{(j)}", Glyphs::Ascii),
        "tilde(W)^(j)"
    );
    check_display(r"\bar{xy} + \vec{AB}", &["__   ─→", "xy + AB"]);
    check_display(r"\hat{xy}", &["^", "xy"]);
}

// ---- Delimiters and norms ----

#[test]
fn norms_and_left_right() {
    check_inline(r"\left\| \mathbf{x} \right\|_2", "‖x‖₂");
    check_inline(r"\|x\|", "∥x∥");
    check_inline(r"\lfloor x \rfloor + \lceil y \rceil", "⌊x⌋ + ⌈y⌉");
    assert_eq!(inline_g(r"\lfloor x \rfloor", Glyphs::Ascii), "floor(x)");
    check_inline(r"\langle x, y \rangle", "⟨x, y⟩");
    check_display(
        r"\left( \frac{a}{b} \right)^2",
        &["⎛ a ⎞²", "⎜───⎟", "⎝ b ⎠"],
    );
    check_inline(r"\{\mathbf{x}_1, \dots, \mathbf{x}_T\}", "{x₁, …, x_T}");
}

// ---- Matrices, cases, aligned ----

#[test]
fn matrices_in_tall_brackets() {
    let src = r"\tilde{\mathbf{W}}^{(j)} = \begin{bmatrix} \mathbf{W}^{(j)} & \mathbf{0} \\ \mathbf{0} & \mathbf{0} \end{bmatrix}";
    check_display(src, &["W̃⁽ʲ⁾ = ⎡W⁽ʲ⁾  0⎤", "       ⎣ 0    0⎦"]);
    check_inline(src, "W̃⁽ʲ⁾ = [W⁽ʲ⁾, 0; 0, 0]");
    check_display(
        r"\begin{pmatrix} 1 & \cdots & n \\ \vdots & \ddots & \vdots \\ 1 & \cdots & n \end{pmatrix}",
        &["⎛1  ⋯  n⎞", "⎜⋮  ⋱  ⋮⎟", "⎝1  ⋯  n⎠"],
    );
    check_display(
        r"\begin{vmatrix} a & b \\ c & d \end{vmatrix} = ad - bc",
        &["│a  b│ = ad − bc", "│c  d│"],
    );
    assert_eq!(
        display_g(
            r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}",
            80,
            Glyphs::Ascii
        ),
        "[ a  b ]\n[ c  d ]"
    );
}

#[test]
fn cases() {
    let src = r"|x| = \begin{cases} x & x \ge 0 \\ -x & \text{otherwise} \end{cases}";
    check_display(src, &["|x| = ⎧x   x ≥ 0", "      ⎩−x  otherwise"]);
    check_inline(src, "|x| = {x, x ≥ 0; −x, otherwise");
}

#[test]
fn aligned_rows_line_up_at_the_ampersand() {
    let src = r"\begin{aligned} \mathbf{h}^{(1)} &= \text{ReLU}(\mathbf{W}^{(in)} \mathbf{x}) \\ &\vdots \\ \mathbf{y} &= \mathbf{W}^{(out)} \mathbf{h}^{(n)} \end{aligned}";
    check_display(src, &["h⁽¹⁾ = ReLU(W⁽ⁱⁿ⁾x)", "    ⋮", "   y = W⁽ᵒᵘᵗ⁾h⁽ⁿ⁾"]);
    check_inline(src, "h⁽¹⁾ = ReLU(W⁽ⁱⁿ⁾x); ⋮; y = W⁽ᵒᵘᵗ⁾h⁽ⁿ⁾");
    check_display(
        r"\begin{align} a &= b + c \\ &= d \end{align}",
        &["a = b + c", "  = d"],
    );
}

// ---- Spacing, text, relations ----

#[test]
fn spacing_commands_and_text() {
    check_inline(r"a \quad b \qquad c \, d", "a  b    c d");
    check_inline(r"x \text{ if } x > 0", "x if x > 0");
    check_inline(r"\text{act}(\cdot)", "act(⋅)");
    check_inline(
        r"\cdots \longrightarrow \text{Batch Norm} \longrightarrow \cdots",
        "⋯ ⟶ Batch Norm ⟶ ⋯",
    );
}

#[test]
fn relations_and_operators() {
    check_inline(
        r"a \le b \ge c \ne d \approx e \sim f \propto g",
        "a ≤ b ≥ c ≠ d ≈ e ∼ f ∝ g",
    );
    check_inline(r"x \in A, y \notin B, A \subset C", "x ∈ A, y ∉ B, A ⊂ C");
    check_inline(r"\not= \quad \not\in", "≠  ∉");
    // `:` is a relation in TeX (spaced); `\colon` is punctuation.
    check_inline(
        r"f: x \mapsto y, a \to b \Rightarrow c \leftarrow d",
        "f : x ↦ y, a → b ⇒ c ← d",
    );
    check_inline(r"f \colon A \to B", "f: A → B");
    check_inline(
        r"\mathbf{a} \odot \mathbf{b} \otimes \mathbf{c} \cdot d",
        "a ⊙ b ⊗ c ⋅ d",
    );
    check_inline(r"-x + (-1)", "−x + (−1)");
    check_inline(r"\nabla f, \infty, \partial x", "∇f, ∞, ∂x");
    assert_eq!(
        inline_g(r"a \le b \ne c \to d, \alpha\beta", Glyphs::Ascii),
        "a <= b != c -> d, alpha beta"
    );
    assert_eq!(
        inline_g(r"\mathbb{R}^{H \times W}", Glyphs::Ascii),
        "R^(H x W)"
    );
}

#[test]
fn underbrace_and_overbrace() {
    check_display(
        r"\underbrace{a + b}_{\text{sum}}",
        &["a + b", "╰─┬─╯", " sum"],
    );
    check_display(r"\overbrace{x+y}^{n}", &["  n", "╭─┴─╮", "x + y"]);
    check_inline(r"\underbrace{a + b}_{\text{sum}}", "{a + b}ₛᵤₘ");
}

#[test]
fn content_expressions() {
    check_inline(r"M \propto O(\log_2(T))", "M ∝ O(log₂(T))");
    check_inline(
        r"\text{act}(\mathbf{x}) = \min(0, \mathbf{x})",
        "act(x) = min(0, x)",
    );
    check_inline(
        r"(\mathbf{c}_t^A, \mathbf{h}_t^A) = LSTM(\mathbf{x}_t, \mathbf{c}_{t-1}^A, \mathbf{h}_{t-1}^A; \mathbf{W}^A)",
        "(cₜᴬ, hₜᴬ) = LSTM(xₜ, cₜ₋₁ᴬ, hₜ₋₁ᴬ; Wᴬ)",
    );
    check_inline(
        r"\text{act}(\mathbf{x}) = \frac{1}{\sqrt{2}}\mathbf{x}",
        "act(x) = (1/√2)x",
    );
}

// ---- Malformed input falls back to the source ----

#[test]
fn malformed_input_falls_back_to_source() {
    for src in [
        r"\frac{a}{b",
        r"{a",
        r"a}",
        r"\foo{x}",
        r"x^",
        r"\begin{matrix} a",
        r"\left( x",
    ] {
        let r = render_inline(src, Glyphs::Unicode);
        assert!(r.error.is_some(), "{src} should fail");
        assert_eq!(nnbook::math::line_text(&r.lines[0]), src);
        let d = render_display(src, 80, Glyphs::Unicode);
        assert!(d.error.is_some());
        assert_eq!(d.lines.len(), 1);
    }
    let (text, err) = render_to_string(r"\foo{x}", false, Glyphs::Unicode, 80);
    assert_eq!(text, r"\foo{x}");
    let err = err.expect("error");
    assert!(err.contains("unknown") && err.contains(r"\foo"), "{err}");
    assert!(!err.contains('\n'));
}

// ---- Width fallback ----

#[test]
fn too_wide_display_falls_back_to_one_line() {
    let src = r"\frac{a+b+c+d}{e} = \sum_{i=1}^{n} x_i";
    let full = render_display(src, 80, Glyphs::Unicode);
    assert!(!full.one_line);
    assert_eq!(full.lines.len(), 3);
    let w = full.width();
    assert_eq!(
        render_display(src, w, Glyphs::Unicode).lines,
        full.lines,
        "fits exactly"
    );
    let one = render_display(src, w - 1, Glyphs::Unicode);
    assert!(one.one_line);
    assert_eq!(one.lines, render_inline(src, Glyphs::Unicode).lines);
    assert_eq!(
        render_to_string(src, true, Glyphs::Unicode, w - 1).0,
        "(a + b + c + d)/e = ∑ᵢ₌₁ⁿ xᵢ"
    );
}

#[test]
fn display_rows_are_padded_to_one_width() {
    let r = render_display(
        r"\frac{a}{bbbb} + \begin{bmatrix} 1 \\ 2 \\ 3 \end{bmatrix}",
        80,
        Glyphs::Unicode,
    );
    let widths: Vec<usize> = r.lines.iter().map(|l| nnbook::math::width(l)).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{widths:?}");
}

#[test]
fn glyphs_parse_display_and_cycle() {
    for g in Glyphs::ALL {
        assert_eq!(g.to_string().parse::<Glyphs>(), Ok(g));
    }
    assert_eq!(Glyphs::Unicode.next().next().next(), Glyphs::Unicode);
    assert!("bogus".parse::<Glyphs>().is_err());
}

#[test]
fn boxed_and_ruled_arrays() {
    check_display(
        r"\boxed{x = \frac{a}{b}}",
        &[
            "┌─────────┐",
            "│      a  │",
            "│ x = ─── │",
            "│      b  │",
            "└─────────┘",
        ],
    );
    check_inline(r"\boxed{x = 1}", "[x = 1]");
    assert_eq!(
        display_g(r"\boxed{x = 1}", 80, Glyphs::Ascii),
        "+-------+\n| x = 1 |\n+-------+"
    );
    check_display(
        r"\begin{array}{|l|r|} \hline a & bb \\ \hline \frac{1}{2} & d \\ \hline \end{array}",
        &[
            "┌─────┬────┐",
            "│ a   │ bb │",
            "├─────┼────┤",
            "│ 1/2 │  d │",
            "└─────┴────┘",
        ],
    );
    check_display(
        r"\begin{array}{c|c} a & b \\ \hline c & d \end{array}",
        &["a │ b", "──┼──", "c │ d"],
    );
}

#[test]
fn invisible_spacing_commands_are_dropped() {
    check_inline(r"y \phantom{x} = \smash{z} \vphantom{\frac{a}{b}}", "y = z");
    check_inline(r"a \nonumber \label{eq:a} \tag{3}", "a    (3)");
}

#[test]
fn display_scripts_stay_on_the_line() {
    check_display(
        r"\mathbf{h}_t^B = \tanh \left( \mathbf{W}_{(yh)}^B \mathbf{y}_t \right)",
        &["hₜᴮ = tanh(W_(yh)ᴮ yₜ)"],
    );
    check_display(
        r"\mathbf{X} \in \mathbb{R}^{H \times W \times C}",
        &["X ∈ ℝ^(H×W×C)"],
    );
    // A 2D script is raised as a block.
    check_display(
        r"x^{\begin{pmatrix} 1 \\ 2 \end{pmatrix}}",
        &[" ⎛1⎞", " ⎝2⎠", "x"],
    );
}

#[test]
fn rows_outside_an_environment_as_katex_allows() {
    check_display(r"a = b \\ c = d", &["a = b", "c = d"]);
    check_display(r"a &= b \\ c + 1 &= d", &["    a = b", "c + 1 = d"]);
    check_inline(r"a = b \\ c = d", "a = b; c = d");
}

#[test]
fn braced_comma_is_a_thousands_separator() {
    // `{,}` is an ordinary atom in TeX: no space after it.
    let r = nnbook::math::render_inline("1{,}216 + a, b", nnbook::math::Glyphs::Unicode);
    assert_eq!(nnbook::math::line_text(&r.lines[0]), "1,216 + a, b");
}

#[test]
fn a_period_is_ordinary_not_punctuation() {
    // TeX gives `.` class 0: `0..i` is a range, `x.` ends without a gap, and
    // the comma beside it still takes its space.
    check_inline("0..i", "0..i");
    check_inline(r"\mathbf X_{0..i,\,0..j}", "X_(0..i, 0..j)");
    check_inline("a, b.", "a, b.");
}

// ---- Fractions on one line that cannot be misread (issue 12) ----

#[test]
fn inline_fraction_parenthesises_a_product_denominator() {
    // `1/2B` reads as B/2; a denominator of more than one factor is bracketed.
    check_inline(r"\frac{1}{2B}", "1/(2B)");
    check_inline(r"\frac{1}{\sqrt{2\pi}\sigma}", "1/(√(2π)σ)");
}

#[test]
fn inline_fraction_parenthesises_a_product_numerator() {
    check_inline(r"\frac{2B}{3}", "(2B)/3");
    check_inline(r"\frac{(a+b)(c+d)}{2}", "((a + b)(c + d))/2");
}

#[test]
fn inline_fraction_leaves_single_factors_bare() {
    // One bracketed group, a named function applied to one, a norm, `∂` with
    // its variable, a multi-digit number: one factor each, no extra brackets.
    check_inline(r"\frac{(x-\mu)^2}{c}", "(x − μ)²/c");
    check_inline(r"\frac{\exp(x)}{\exp(x)+1}", "exp(x)/(exp(x) + 1)");
    check_inline(r"\frac{|x|}{n}", "|x|/n");
    check_inline(r"\frac{\partial L}{\partial h_t}", "∂L/∂hₜ");
    check_inline(r"\frac{12}{34}", "12/34");
}

#[test]
fn inline_fraction_brackets_a_letter_applied_to_a_group() {
    // T(T + 1) and σ(x) look alike to the notation: both are bracketed, since
    // 1/T(T + 1) reads as (1/T)(T + 1).
    check_inline(r"\frac{1}{T(T+1)}", "1/(T(T + 1))");
    check_inline(r"\frac{1}{\sigma(x)}", "1/(σ(x))");
    check_inline(r"\frac{T(T+1)}{2}", "(T(T + 1))/2");
}

#[test]
fn inline_fraction_in_an_exponent_has_no_doubled_brackets() {
    // The Gaussian's exponent: the sign does not need its own brackets (−a/b is
    // −(a/b) either way), the exponent's brackets come from the superscript.
    check_inline(r"e^{-\frac{(x-\mu)^2}{2\sigma^2}}", "e^(−(x−μ)²/(2σ²))");
    check_inline(r"-\frac{1}{2}", "−1/2");
    check_inline(r"-\frac{1}{2}x", "−(1/2)x");
}

#[test]
fn mu_is_the_greek_letter_not_the_micro_sign() {
    // pulldown-latex returns U+00B5 MICRO SIGN for `\mu`.
    for g in Glyphs::ALL {
        let s = inline_g(r"\mu + \boldsymbol{\mu}_t", g);
        assert!(!s.contains('\u{B5}'), "{g}: {s:?}");
    }
    assert_eq!(inline(r"\mu"), "\u{3BC}");
    assert_eq!(inline_g(r"\mu + \sigma", Glyphs::Ascii), "mu + sigma");
}

#[test]
fn ascii_glyphs_print_only_ascii_over_the_whole_corpus() {
    let corpus = corpus();
    let mut bad = Vec::new();
    for (file, m) in &corpus {
        for (mode, r) in [
            ("inline", render_inline(&m.latex, Glyphs::Ascii)),
            ("display", render_display(&m.latex, 100, Glyphs::Ascii)),
        ] {
            let text = r.to_plain_lines().join("\n");
            if !text.is_ascii() {
                let odd: String = text.chars().filter(|c| !c.is_ascii()).collect();
                bad.push(format!(
                    "{file}:{} [{mode}] {:?} -> {odd:?}",
                    m.line, m.latex
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} non-ASCII:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
