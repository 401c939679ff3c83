//! LaTeX → inline and display layout in every glyph set, at a width taken
//! from the first byte: no panic, nothing unsafe, display blocks fit.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&w, src)) = data.split_first() else { return };
    if let Ok(latex) = std::str::from_utf8(src) {
        nnbook::invariants::latex(latex, usize::from(w % 120) + 1);
    }
});
