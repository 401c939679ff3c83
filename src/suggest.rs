//! "Did you mean …?" for names a reader or a content author mistyped: the
//! nearest candidate by edit distance, if it is close enough to be a typo.

/// The candidate closest to `name`, if at most about a third of its letters
/// differ (at least one edit allowed); `None` when nothing is plausibly meant.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` (did you mean `x`?)`, or nothing: ready to append to an error message.
pub fn hint<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(name, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// Edit distance counting an insertion, deletion, substitution or swap of two
/// neighbouring letters as one edit (optimal string alignment), since swapped
/// letters are the commonest typo.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["rnn2d", "bptt", "layer-table", "seqnorm"];
        assert_eq!(nearest("rnn2", names), Some("rnn2d"));
        assert_eq!(nearest("layer_table", names), Some("layer-table"));
        assert_eq!(nearest("SeqNorm", names), Some("seqnorm"));
        assert_eq!(nearest("activations", names), None);
        assert_eq!(hint("bpt", names), " (did you mean `bptt`?)");
        assert_eq!(hint("zzzz", names), "");
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("mdoe", "mode"), 1);
    }
}
