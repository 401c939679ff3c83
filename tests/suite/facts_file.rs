//! The figures start-up reads from `src/compute/facts.json` are exactly the
//! ones the compute code produces now. On a mismatch the test fails and names
//! the keys; `NNBOOK_UPDATE_FACTS=1 cargo test facts_file` rewrites the file.

use nnbook::compute::{FACTS_FILE, Facts, computed_facts, facts};

#[test]
fn facts_file_matches_the_computation() {
    let computed: Facts = computed_facts();
    let stored: Facts = serde_json::from_str(FACTS_FILE).expect("facts.json is a JSON object");
    if computed == stored {
        assert_eq!(facts(), &computed, "the loader reads the same figures");
        return;
    }
    if std::env::var_os("NNBOOK_UPDATE_FACTS").is_some() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/compute/facts.json");
        let text = serde_json::to_string_pretty(&computed).expect("facts serialise") + "\n";
        std::fs::write(&path, text).expect("write facts.json");
        panic!("rewrote {}: run the tests again", path.display());
    }
    let changed: Vec<String> = computed
        .iter()
        .filter(|(k, v)| stored.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: {:?} -> {v:?}", stored.get(k)))
        .chain(
            stored
                .keys()
                .filter(|k| !computed.contains_key(*k))
                .map(|k| format!("{k}: no longer computed")),
        )
        .take(20)
        .collect();
    panic!(
        "src/compute/facts.json is stale ({} keys differ); rerun with NNBOOK_UPDATE_FACTS=1:\n{}",
        changed.len(),
        changed.join("\n")
    );
}
