//! Front matter (any text between `+++` fences, and as a whole file): errors
//! are one clean line naming the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    nnbook::invariants::front_matter(&format!("+++\n{text}\n+++\nbody\n"));
    nnbook::invariants::front_matter(&text);
});
