//! The reader's place, remembered between runs: the last part, each part's
//! scroll position and panel state, and the marks set with `d` (studied) and
//! `b` (flagged for review).
//!
//! One JSON file in the user's state directory (`$XDG_STATE_HOME/nnbook`, else
//! `~/.local/state/nnbook`; `NNBOOK_STATE_DIR` overrides it, which is what the
//! tests use), holding one record per content identity, so the built-in
//! notebook and each folder of notes keep their own places. The file is
//! written atomically (a temporary file in the same folder, then a rename) and
//! readable by its owner only. Nothing here can stop the notebook: a file that
//! cannot be read or parsed is moved aside and the reader starts fresh, with
//! one warning on the status line.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The environment variable naming the folder the state file lives in.
pub const DIR_ENV: &str = "NNBOOK_STATE_DIR";
/// The state file's name inside that folder.
pub const FILE_NAME: &str = "state.json";
/// A state file larger than this is not read (it would be moved aside like a
/// corrupt one): a few hundred bytes per part studied, so no real one comes
/// near, and a runaway or hostile file cannot make start-up read gigabytes.
pub const MAX_BYTES: u64 = 4 * 1024 * 1024;
/// Written into the file; a file of a newer version is moved aside like a
/// corrupt one rather than misread.
const VERSION: u32 = 1;

/// A mark a reader sets on a part (`d`, `b`), shown in the contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Studied,
    Flagged,
}

/// Where the top of the derivation pane was: a top-level block and lines
/// into it, so the place survives re-wrapping at another terminal width.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub block: usize,
    pub line: usize,
}

/// What is remembered of one entry (a part, or a problem's statement).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryState {
    /// Where the derivation was scrolled to; `None` is the top.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// The panel's `panel_state` keys and values, as `Panel::state_value`
    /// writes them (checked again before they are applied).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub panel: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub studied: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub flagged: bool,
}

impl EntryState {
    /// Whether there is nothing worth writing down.
    pub fn is_empty(&self) -> bool {
        *self == EntryState::default()
    }
}

/// Everything remembered of one content source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContentState {
    /// Id of the entry open when the reader left (`1b`, `p3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// By entry id.
    pub entries: BTreeMap<String, EntryState>,
}

/// The whole file: a record per content identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateFile {
    pub version: u32,
    /// The colour theme last chosen with `C` (`dark`, `light`, `16`), for
    /// every content: used when `--theme` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    #[serde(default)]
    pub contents: BTreeMap<String, ContentState>,
}

impl Default for StateFile {
    fn default() -> Self {
        StateFile {
            version: VERSION,
            theme: None,
            contents: BTreeMap::new(),
        }
    }
}

/// The state folder: `NNBOOK_STATE_DIR` if set (and not empty), else the
/// platform's user state directory (XDG on Linux) plus `nnbook`. `None` when
/// there is no home directory to put it in.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy().ok()?;
    // Only XDG has a state directory; elsewhere the data directory serves.
    Some(
        base.state_dir()
            .unwrap_or_else(|| base.data_dir())
            .join("nnbook"),
    )
}

/// The state file for one run, and the content record it reads and writes.
#[derive(Debug, Clone)]
pub struct Store {
    pub path: PathBuf,
    /// The content's identity: `embedded`, or `dir:` / `file:` and a canonical path.
    pub key: String,
    /// The whole file as read (other contents' records are written back as they were).
    file: StateFile,
}

impl Store {
    /// Open the state file in `dir` for the content `key`. Never fails: a
    /// missing file is a fresh start; an unreadable or corrupt one is moved
    /// aside and the returned warning says so (once, for the status line).
    pub fn open(dir: &Path, key: String) -> (Store, Option<String>) {
        let path = dir.join(FILE_NAME);
        let (file, warning) = read(&path);
        (Store { path, key, file }, warning)
    }

    /// What was remembered of this content (empty on a fresh start).
    pub fn content(&self) -> ContentState {
        self.file
            .contents
            .get(&self.key)
            .cloned()
            .unwrap_or_default()
    }

    /// The theme last chosen with `C`, as written (`dark`, `light`, `16`).
    pub fn theme(&self) -> Option<&str> {
        self.file.theme.as_deref()
    }

    /// Remember a chosen theme; written with the next [`Store::save`].
    pub fn set_theme(&mut self, name: &str) {
        self.file.theme = Some(name.to_string());
    }

    /// Replace this content's record and write the file.
    pub fn save(&mut self, content: ContentState) -> std::io::Result<()> {
        self.file.contents.insert(self.key.clone(), content);
        self.file.version = VERSION;
        write_atomic(&self.path, &self.file)
    }
}

/// Read and parse the file; on any failure but "not there", move it aside.
fn read(path: &Path) -> (StateFile, Option<String>) {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let contents = if size > MAX_BYTES {
        Err(std::io::Error::other(format!(
            "{size} bytes; the limit is {MAX_BYTES}"
        )))
    } else {
        std::fs::read(path)
    };
    let why = match contents {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (StateFile::default(), None),
        Err(e) => format!("could not be read ({e})"),
        Ok(bytes) => match serde_json::from_slice::<StateFile>(&bytes) {
            Ok(file) if file.version <= VERSION => return (file, None),
            Ok(file) => format!("is of a newer version ({})", file.version),
            Err(e) => format!("was not valid ({e})"),
        },
    };
    let aside = aside_name(path);
    let shown =
        |p: &Path| crate::content::sanitize::one_line(&p.display().to_string()).into_owned();
    // "starting fresh" first: the status line may cut the rest.
    let warning = match std::fs::rename(path, &aside) {
        Ok(()) => format!(
            "starting fresh: the state file {why}; kept as {}",
            shown(&aside)
        ),
        Err(e) => format!(
            "starting fresh: the state file {} {why} and could not be moved aside ({e})",
            shown(path)
        ),
    };
    (StateFile::default(), Some(warning))
}

/// `state.json.corrupt-<seconds since 1970>` beside the file (with `-2`, `-3`
/// if that is taken, so an earlier bad file is never overwritten).
fn aside_name(path: &Path) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = |n: u32| {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".corrupt-{secs}"));
        if n > 1 {
            name.push(format!("-{n}"));
        }
        PathBuf::from(name)
    };
    (1..1000)
        .map(name)
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .unwrap_or_else(|| name(1000))
}

/// Write `file` to `path` so that a reader sees either the old file or the
/// new one, never half of one: a temporary file in the same folder (so the
/// rename cannot cross file systems), flushed to disk, then renamed over.
/// The folder is created if need be; the file is readable by its owner only,
/// since it records what someone studied.
pub fn write_atomic(path: &Path, file: &StateFile) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let text = serde_json::to_vec_pretty(file).map_err(std::io::Error::other)?;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp_name);
    let result = (|| {
        let mut out = private_file(&tmp)?;
        out.write_all(&text)?;
        out.write_all(b"\n")?;
        out.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // A temporary file left by a crashed run of the same pid is replaced.
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("nnbook-state-unit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_saved_record_reads_back_and_other_contents_are_kept() {
        let dir = temp_dir("roundtrip");
        let (mut a, warning) = Store::open(&dir, "embedded".into());
        assert_eq!(warning, None, "a missing file is a fresh start");
        assert_eq!(a.content(), ContentState::default());
        let mut content = ContentState {
            last: Some("3b".into()),
            ..ContentState::default()
        };
        content.entries.insert(
            "3b".into(),
            EntryState {
                place: Some(Place { block: 4, line: 2 }),
                studied: true,
                ..EntryState::default()
            },
        );
        a.save(content.clone()).expect("written");
        let (mut b, _) = Store::open(&dir, "dir:/notes".into());
        assert_eq!(b.content(), ContentState::default(), "contents do not mix");
        b.save(ContentState {
            last: Some("x".into()),
            ..ContentState::default()
        })
        .expect("written");
        let (a2, warning) = Store::open(&dir, "embedded".into());
        assert_eq!(warning, None);
        assert_eq!(a2.content(), content);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn empty_fields_are_left_out_of_the_file() {
        let mut file = StateFile::default();
        let mut content = ContentState::default();
        content.entries.insert("1a".into(), EntryState::default());
        file.contents.insert("embedded".into(), content);
        let text = serde_json::to_string(&file).unwrap();
        assert_eq!(
            text,
            r#"{"version":1,"contents":{"embedded":{"entries":{"1a":{}}}}}"#
        );
    }
}
