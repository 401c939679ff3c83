//! Compute parameters: the first byte picks the computation, the rest is
//! whitespace-separated `key=value` arguments. Refused, or a finite result.
//! Use a -timeout: some allowed parameters are legitimately slow (activations
//! at depth 50 and 1000 steps).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let args: Vec<String> = String::from_utf8_lossy(rest)
        .split_whitespace()
        .take(6)
        .map(str::to_string)
        .collect();
    nnbook::invariants::compute_params(usize::from(which), &args);
});
