//! Where content comes from: the files compiled into the binary, or a folder.

use std::borrow::Cow;
use std::path::PathBuf;

use super::ContentError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_content.rs"));
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `content/` as it was when the binary was built.
    Embedded,
    /// A folder of `.md` files, or one `.md` file (`--content PATH`): in the
    /// notebook's format (front matter) or ordinary Markdown.
    Dir(PathBuf),
}

/// One content file; `name` is what errors show (a path for folders).
#[derive(Debug, Clone)]
pub struct File {
    pub name: String,
    pub bytes: Cow<'static, [u8]>,
}

/// Refuse absurdly large files rather than reading them into memory.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Embedded => "built-in content".into(),
            Source::Dir(dir) => super::sanitize::one_line(&dir.display().to_string()).into_owned(),
        }
    }

    /// Who this content is, for the remembered state: `embedded`, or the
    /// folder's canonical path, so two folders (or one reached by two
    /// spellings of its path) never share or split a record.
    pub fn identity(&self) -> String {
        match self {
            Source::Embedded => "embedded".into(),
            Source::Dir(path) => {
                let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                format!("path:{}", path.display())
            }
        }
    }

    pub fn files(&self) -> Result<Vec<File>, ContentError> {
        match self {
            Source::Embedded => Ok(embedded::EMBEDDED
                .iter()
                .map(|(name, bytes)| File {
                    name: format!("content/{name}"),
                    bytes: Cow::Borrowed(*bytes),
                })
                .collect()),
            Source::Dir(dir) => read_dir(dir),
        }
    }
}

fn read_dir(dir: &std::path::Path) -> Result<Vec<File>, ContentError> {
    let shown = dir.display().to_string();
    let meta = std::fs::metadata(dir).map_err(|e| {
        ContentError::new(
            &shown,
            None,
            format!("cannot open (a .md file or a folder of them was expected): {e}"),
        )
    })?;
    if !meta.is_dir() {
        if dir.extension().is_none_or(|e| e != "md") {
            return Err(ContentError::new(
                &shown,
                None,
                "is not a .md file: nnbook reads a .md file or a folder of them",
            ));
        }
        return read_files(vec![dir.to_path_buf()]);
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ContentError::new(&shown, None, format!("cannot list folder: {e}")))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| ContentError::new(&shown, None, format!("cannot list folder: {e}")))?
            .path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        // A folder with read but no execute permission lists its names but
        // cannot open them: say so, rather than "no .md files".
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => paths.push(path),
            Ok(_) => {}
            Err(e) => {
                return Err(ContentError::new(
                    &path.display().to_string(),
                    None,
                    format!("cannot open: {e}"),
                ));
            }
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(ContentError::new(
            &shown,
            None,
            "no .md files in this folder",
        ));
    }
    read_files(paths)
}

fn read_files(paths: Vec<PathBuf>) -> Result<Vec<File>, ContentError> {
    paths
        .into_iter()
        .map(|path| {
            let name = path.display().to_string();
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if size > MAX_FILE_BYTES {
                return Err(ContentError::new(
                    &name,
                    None,
                    format!("file is {size} bytes; content files are limited to {MAX_FILE_BYTES}"),
                ));
            }
            let bytes = std::fs::read(&path)
                .map_err(|e| ContentError::new(&name, None, format!("cannot read: {e}")))?;
            Ok(File {
                name,
                bytes: Cow::Owned(bytes),
            })
        })
        .collect()
}
