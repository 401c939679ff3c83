//! Character tables: Unicode sub/superscripts, mathematical alphanumerics, ASCII names.
use super::ast::Font;

/// The Unicode subscript form of `c`, if there is one (there is none for `y` or `T`).
pub fn subscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '₀',
        '1' => '₁',
        '2' => '₂',
        '3' => '₃',
        '4' => '₄',
        '5' => '₅',
        '6' => '₆',
        '7' => '₇',
        '8' => '₈',
        '9' => '₉',
        '+' => '₊',
        '-' | '−' => '₋',
        '=' => '₌',
        '(' => '₍',
        ')' => '₎',
        'a' => 'ₐ',
        'e' => 'ₑ',
        'h' => 'ₕ',
        'i' => 'ᵢ',
        'j' => 'ⱼ',
        'k' => 'ₖ',
        'l' => 'ₗ',
        'm' => 'ₘ',
        'n' => 'ₙ',
        'o' => 'ₒ',
        'p' => 'ₚ',
        'r' => 'ᵣ',
        's' => 'ₛ',
        't' => 'ₜ',
        'u' => 'ᵤ',
        'v' => 'ᵥ',
        'x' => 'ₓ',
        'β' => 'ᵦ',
        'γ' => 'ᵧ',
        'ρ' => 'ᵨ',
        'φ' | 'ϕ' => 'ᵩ',
        'χ' => 'ᵪ',
        _ => return None,
    })
}

/// The Unicode superscript form of `c`, if there is one (there is none for `q`, `C` or `×`).
/// `⊤` (transpose) maps to `ᵀ`.
pub fn superscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '⁰',
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '4' => '⁴',
        '5' => '⁵',
        '6' => '⁶',
        '7' => '⁷',
        '8' => '⁸',
        '9' => '⁹',
        '+' => '⁺',
        '-' | '−' => '⁻',
        '=' => '⁼',
        '(' => '⁽',
        ')' => '⁾',
        'a' => 'ᵃ',
        'b' => 'ᵇ',
        'c' => 'ᶜ',
        'd' => 'ᵈ',
        'e' => 'ᵉ',
        'f' => 'ᶠ',
        'g' => 'ᵍ',
        'h' => 'ʰ',
        'i' => 'ⁱ',
        'j' => 'ʲ',
        'k' => 'ᵏ',
        'l' => 'ˡ',
        'm' => 'ᵐ',
        'n' => 'ⁿ',
        'o' => 'ᵒ',
        'p' => 'ᵖ',
        'r' => 'ʳ',
        's' => 'ˢ',
        't' => 'ᵗ',
        'u' => 'ᵘ',
        'v' => 'ᵛ',
        'w' => 'ʷ',
        'x' => 'ˣ',
        'y' => 'ʸ',
        'z' => 'ᶻ',
        'A' => 'ᴬ',
        'B' => 'ᴮ',
        'D' => 'ᴰ',
        'E' => 'ᴱ',
        'G' => 'ᴳ',
        'H' => 'ᴴ',
        'I' => 'ᴵ',
        'J' => 'ᴶ',
        'K' => 'ᴷ',
        'L' => 'ᴸ',
        'M' => 'ᴹ',
        'N' => 'ᴺ',
        'O' => 'ᴼ',
        'P' => 'ᴾ',
        'R' => 'ᴿ',
        'T' | '⊤' | '⊺' => 'ᵀ',
        'U' => 'ᵁ',
        'V' => 'ⱽ',
        'W' => 'ᵂ',
        'α' => 'ᵅ',
        'β' => 'ᵝ',
        'γ' => 'ᵞ',
        'δ' => 'ᵟ',
        'ε' | 'ϵ' => 'ᵋ',
        'θ' | 'ϑ' => 'ᶿ',
        'ι' => 'ᶥ',
        'φ' | 'ϕ' => 'ᵠ',
        'χ' => 'ᵡ',
        _ => return None,
    })
}

/// Maps every character with `f`, or `None` if any character has no form.
pub fn convert_all(s: &str, f: fn(char) -> Option<char>) -> Option<String> {
    s.chars().map(f).collect()
}

/// A plain-ASCII spelling of a non-ASCII math symbol.
pub fn ascii_name(c: char) -> Option<&'static str> {
    Some(match c {
        'α' => "alpha",
        'β' => "beta",
        'γ' => "gamma",
        'δ' => "delta",
        'ε' | 'ϵ' => "epsilon",
        'ζ' => "zeta",
        'η' => "eta",
        'θ' | 'ϑ' => "theta",
        'ι' => "iota",
        'κ' | 'ϰ' => "kappa",
        'λ' => "lambda",
        'μ' => "mu",
        'ν' => "nu",
        'ξ' => "xi",
        'ο' => "o",
        'π' | 'ϖ' => "pi",
        'ρ' | 'ϱ' => "rho",
        'σ' | 'ς' => "sigma",
        'τ' => "tau",
        'υ' => "upsilon",
        'φ' | 'ϕ' => "phi",
        'χ' => "chi",
        'ψ' => "psi",
        'ω' => "omega",
        'Γ' => "Gamma",
        'Δ' => "Delta",
        'Θ' => "Theta",
        'Λ' => "Lambda",
        'Ξ' => "Xi",
        'Π' => "Pi",
        'Σ' => "Sigma",
        'Υ' => "Upsilon",
        'Φ' => "Phi",
        'Ψ' => "Psi",
        'Ω' => "Omega",
        '∂' => "d",
        '∇' => "nabla",
        '∞' => "inf",
        '×' => "x",
        '⋅' | '·' | '∙' | '∗' | '⋆' => "*",
        '÷' => "/",
        '±' => "+/-",
        '∓' => "-/+",
        '−' => "-",
        '≤' | '⩽' => "<=",
        '≥' | '⩾' => ">=",
        '≠' => "!=",
        '≈' | '≃' | '≅' => "~=",
        '∼' => "~",
        '≡' => "==",
        '≜' | '≔' | '≝' => ":=",
        '∝' => "propto",
        '≪' => "<<",
        '≫' => ">>",
        '∈' => "in",
        '∉' => "not in",
        '∋' => "ni",
        '⊂' => "subset",
        '⊆' => "subseteq",
        '⊃' => "supset",
        '⊇' => "supseteq",
        '∪' => "union",
        '∩' => "intersect",
        '∖' => "-",
        '∅' | '⌀' => "{}",
        '∀' => "for all",
        '∃' => "exists",
        '∄' => "not exists",
        '¬' => "not",
        '∧' => "and",
        '∨' => "or",
        '→' | '⟶' => "->",
        '←' | '⟵' => "<-",
        '↔' | '⟷' => "<->",
        '↦' | '⟼' => "|->",
        '⇒' | '⟹' => "=>",
        '⇐' | '⟸' => "<=",
        '⇔' | '⟺' => "<=>",
        '↑' => "^",
        '↓' => "v",
        '…' | '⋯' | '⋱' => "...",
        '⋮' => ":",
        '∑' => "sum",
        '∏' => "prod",
        '∐' => "coprod",
        '∫' => "int",
        '∬' => "iint",
        '∮' => "oint",
        '⋃' => "Union",
        '⋂' => "Intersect",
        '⊙' => "(.)",
        '⊗' => "(x)",
        '⊕' => "(+)",
        '⊖' => "(-)",
        '∘' => "o",
        '⊤' | '⊺' => "T",
        '⊥' | '⟂' => "_|_",
        '′' => "'",
        '″' => "''",
        '‴' => "'''",
        '‖' | '∥' => "||",
        '∣' => "|",
        '⟨' => "<",
        '⟩' => ">",
        '⌊' => "floor(",
        '⌋' | '⌉' => ")",
        '⌈' => "ceil(",
        'ℓ' => "l",
        'ℏ' => "hbar",
        '†' => "+",
        '°' => "deg",
        '∠' => "angle",
        '△' => "triangle",
        '□' => "[]",
        '✓' => "v",
        '∴' => "therefore",
        '∵' => "because",
        '\u{a0}' => " ",
        _ => return None,
    })
}

/// The negated form of a relation (`\not=` → `≠`), when Unicode has one.
pub fn negated(c: char) -> Option<char> {
    Some(match c {
        '=' => '≠',
        '∈' => '∉',
        '∋' => '∌',
        '⊂' => '⊄',
        '⊃' => '⊅',
        '⊆' => '⊈',
        '⊇' => '⊉',
        '≡' => '≢',
        '∼' => '≁',
        '≈' => '≉',
        '<' => '≮',
        '>' => '≯',
        '≤' => '≰',
        '≥' => '≱',
        '∃' => '∄',
        '∣' => '∤',
        '∥' => '∦',
        _ => return None,
    })
}

/// Letterlike symbols in the Basic Multilingual Plane for the special fonts (`ℝ`, `ℒ`, `ℌ`).
pub fn bmp_letterlike(c: char, font: Font) -> Option<char> {
    match font {
        Font::DoubleStruck => Some(match c {
            'C' => 'ℂ',
            'H' => 'ℍ',
            'N' => 'ℕ',
            'P' => 'ℙ',
            'Q' => 'ℚ',
            'R' => 'ℝ',
            'Z' => 'ℤ',
            _ => return None,
        }),
        Font::Script => Some(match c {
            'B' => 'ℬ',
            'E' => 'ℰ',
            'F' => 'ℱ',
            'H' => 'ℋ',
            'I' => 'ℐ',
            'L' => 'ℒ',
            'M' => 'ℳ',
            'R' => 'ℛ',
            'e' => 'ℯ',
            'g' => 'ℊ',
            'o' => 'ℴ',
            _ => return None,
        }),
        Font::Fraktur => Some(match c {
            'C' => 'ℭ',
            'H' => 'ℌ',
            'I' => 'ℑ',
            'R' => 'ℜ',
            'Z' => 'ℨ',
            _ => return None,
        }),
        _ => None,
    }
}

/// Start of A, a, 0, Α and α in one mathematical alphanumeric style (0 = not available).
struct Alphabet {
    upper: u32,
    lower: u32,
    digit: u32,
    greek_upper: u32,
    greek_lower: u32,
}

const fn alpha(upper: u32, lower: u32, digit: u32, greek_upper: u32, greek_lower: u32) -> Alphabet {
    Alphabet {
        upper,
        lower,
        digit,
        greek_upper,
        greek_lower,
    }
}

fn alphabet(font: Font) -> Option<Alphabet> {
    Some(match font {
        Font::Bold => alpha(0x1D400, 0x1D41A, 0x1D7CE, 0x1D6A8, 0x1D6C2),
        Font::Italic => alpha(0x1D434, 0x1D44E, 0, 0x1D6E2, 0x1D6FC),
        Font::BoldItalic => alpha(0x1D468, 0x1D482, 0x1D7CE, 0x1D71C, 0x1D736),
        Font::Script => alpha(0x1D49C, 0x1D4B6, 0, 0, 0),
        Font::BoldScript => alpha(0x1D4D0, 0x1D4EA, 0, 0, 0),
        Font::Fraktur => alpha(0x1D504, 0x1D51E, 0, 0, 0),
        Font::DoubleStruck => alpha(0x1D538, 0x1D552, 0x1D7D8, 0, 0),
        Font::BoldFraktur => alpha(0x1D56C, 0x1D586, 0, 0, 0),
        Font::SansSerif => alpha(0x1D5A0, 0x1D5BA, 0x1D7E2, 0, 0),
        Font::BoldSansSerif => alpha(0x1D5D4, 0x1D5EE, 0x1D7EC, 0x1D756, 0x1D770),
        Font::SansSerifItalic => alpha(0x1D608, 0x1D622, 0, 0, 0),
        Font::SansSerifBoldItalic => alpha(0x1D63C, 0x1D656, 0, 0x1D790, 0x1D7AA),
        Font::Monospace => alpha(0x1D670, 0x1D68A, 0x1D7F6, 0, 0),
        Font::Normal | Font::Upright => return None,
    })
}

/// The mathematical alphanumeric form of `c` in `font` (`𝐖`, `𝑥`, `𝔼`), for `unicode-math`.
/// Holes in the Unicode block are filled by the letterlike symbols (`ℎ`, `ℝ`, `ℒ`).
pub fn math_alphanumeric(c: char, font: Font) -> Option<char> {
    if font == Font::Italic && c == 'h' {
        return Some('ℎ');
    }
    if let Some(l) = bmp_letterlike(c, font) {
        return Some(l);
    }
    let a = alphabet(font)?;
    let code = c as u32;
    let mapped = match c {
        'A'..='Z' if a.upper != 0 => a.upper + (code - 'A' as u32),
        'a'..='z' if a.lower != 0 => a.lower + (code - 'a' as u32),
        '0'..='9' if a.digit != 0 => a.digit + (code - '0' as u32),
        // Α..Ω (U+0391..U+03A9; U+03A2 is unassigned and maps to ϴ in the math block).
        'Α'..='Ω' if a.greek_upper != 0 => a.greek_upper + (code - 'Α' as u32),
        'α'..='ω' if a.greek_lower != 0 => a.greek_lower + (code - 'α' as u32),
        _ => return None,
    };
    char::from_u32(mapped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphanumerics() {
        assert_eq!(math_alphanumeric('W', Font::Bold), Some('𝐖'));
        assert_eq!(math_alphanumeric('x', Font::Italic), Some('𝑥'));
        assert_eq!(math_alphanumeric('h', Font::Italic), Some('ℎ'));
        assert_eq!(math_alphanumeric('R', Font::DoubleStruck), Some('ℝ'));
        assert_eq!(math_alphanumeric('E', Font::DoubleStruck), Some('𝔼'));
        assert_eq!(math_alphanumeric('L', Font::Script), Some('ℒ'));
        assert_eq!(math_alphanumeric('A', Font::Script), Some('𝒜'));
        assert_eq!(math_alphanumeric('x', Font::BoldItalic), Some('𝒙'));
        assert_eq!(math_alphanumeric('α', Font::Bold), Some('𝛂'));
        assert_eq!(math_alphanumeric('0', Font::Bold), Some('𝟎'));
        assert_eq!(math_alphanumeric('(', Font::Bold), None);
    }

    #[test]
    fn scripts_exist_only_where_unicode_has_them() {
        assert_eq!(subscript('y'), None);
        assert_eq!(superscript('T'), Some('ᵀ'));
        assert_eq!(convert_all("(in)", superscript).as_deref(), Some("⁽ⁱⁿ⁾"));
        assert_eq!(convert_all("t-1", subscript).as_deref(), Some("ₜ₋₁"));
        assert_eq!(convert_all("yh", subscript), None);
    }
}
