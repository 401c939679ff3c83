//! Compute parameters: the first byte picks the computation, the rest is
//! whitespace-separated `key=value` arguments. Refused, or a finite result.
//! Activations and widen start from a small configuration (their defaults take
//! seconds, which only slows the fuzzer); the fuzzed arguments override it.
#![no_main]
use libfuzzer_sys::fuzz_target;

const CHEAP: &[(usize, &[&str])] = &[
    (1, &["steps=2", "depth=2", "width=4", "batch=8", "points=8"]),
    (2, &["steps=3", "k=4", "depth=2"]),
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let which = usize::from(which) % nnbook::compute::registry().len();
    let fuzzed: Vec<String> = String::from_utf8_lossy(rest)
        .split_whitespace()
        .take(6)
        .map(str::to_string)
        .collect();
    let key = |a: &str| a.split('=').next().unwrap_or("").to_string();
    let mut args: Vec<String> = CHEAP
        .iter()
        .filter(|(w, _)| *w == which)
        .flat_map(|(_, base)| base.iter())
        .filter(|b| !fuzzed.iter().any(|f| key(f) == key(b)))
        .map(|b| b.to_string())
        .collect();
    args.extend(fuzzed);
    nnbook::invariants::compute_params(which, &args);
});
