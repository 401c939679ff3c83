//! Markdown (any bytes, as the body of a one-part content file) → laid-out
//! lines at a width taken from the first byte: no panic, no control or bidi
//! character, no line wider than the width.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&w, body)) = data.split_first() else { return };
    let width = u16::from(w % 160) + 1;
    let file = nnbook::invariants::one_part_file(&String::from_utf8_lossy(body));
    nnbook::invariants::markdown_layout(file.as_bytes(), width);
    // Raw bytes too: invalid UTF-8 and broken front matter must be errors.
    nnbook::invariants::markdown_layout(body, width);
});
