//! `--watch`: notice when the content's files change, by polling their
//! modification times and sizes (no watcher thread or OS notification API:
//! a stat of a few files per quarter second costs nothing, and works the same
//! on every platform and file system, network ones included).

use std::path::PathBuf;
use std::time::SystemTime;

use crate::content::Source;

/// What a file looked like at the last look: `None` if it could not be read.
type Stamp = Option<(SystemTime, u64)>;

/// The content's files as last seen.
#[derive(Debug, Clone)]
pub struct Watcher {
    root: PathBuf,
    seen: Vec<(PathBuf, Stamp)>,
}

impl Watcher {
    /// Watch a folder or file source; `None` for the built-in content,
    /// which cannot change while the notebook runs.
    pub fn new(source: &Source) -> Option<Watcher> {
        let Source::Dir(root) = source else {
            return None;
        };
        let mut w = Watcher {
            root: root.clone(),
            seen: Vec::new(),
        };
        w.seen = w.look();
        Some(w)
    }

    /// Whether anything changed since the last call (a file edited, added,
    /// removed or renamed); remembers what it saw.
    pub fn changed(&mut self) -> bool {
        let now = self.look();
        if now == self.seen {
            return false;
        }
        self.seen = now;
        true
    }

    /// The `.md` files (or the one file) with their stamps, in name order.
    fn look(&self) -> Vec<(PathBuf, Stamp)> {
        let stamp = |p: &std::path::Path| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
        };
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .collect(),
            // Not a folder (a single file), or gone: the path itself.
            Err(_) => vec![self.root.clone()],
        };
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let s = stamp(&p);
                (p, s)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_additions_and_removals_are_noticed() {
        let dir = std::env::temp_dir().join(format!("nnbook-watch-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.md"), "# A\n").unwrap();
        std::fs::write(dir.join("skip.txt"), "x").unwrap();
        let mut w = Watcher::new(&Source::Dir(dir.clone())).unwrap();
        assert!(!w.changed(), "nothing yet");
        std::fs::write(dir.join("skip.txt"), "other").unwrap();
        assert!(!w.changed(), "only .md files count");
        // A different size is a change even within the clock's resolution.
        std::fs::write(dir.join("a.md"), "# A, edited\n").unwrap();
        assert!(w.changed());
        assert!(!w.changed(), "seen once");
        std::fs::write(dir.join("b.md"), "# B\n").unwrap();
        assert!(w.changed(), "a new file");
        std::fs::remove_file(dir.join("a.md")).unwrap();
        assert!(w.changed(), "a removed file");
        let mut single = Watcher::new(&Source::Dir(dir.join("b.md"))).unwrap();
        std::fs::write(dir.join("b.md"), "# B, longer now\n").unwrap();
        assert!(single.changed(), "a single file");
        assert!(Watcher::new(&Source::Embedded).is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
