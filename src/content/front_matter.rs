//! TOML front matter between `+++` lines: what problem a file holds and which
//! parts, with the line of every key a later check may need to point at.

use serde::Deserialize;
use toml::Spanned;

use super::ContentError;
use super::sanitize::one_line;

/// A value and the 1-based file line it was written on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct FrontMatter {
    pub problem: Located<u32>,
    pub title: String,
    pub points: u32,
    pub parts: Vec<PartMeta>,
}

#[derive(Debug, Clone)]
pub struct PartMeta {
    pub id: Located<String>,
    pub title: String,
    pub points: u32,
    pub panel: Option<Located<String>>,
    /// The state the part's panel opens in: `panel_state = { mode = "backward" }`,
    /// each key with its line; values as written (integers and booleans in
    /// decimal / `true` form). Checked against the panel by the loader.
    pub panel_state: Vec<(Located<String>, String)>,
}

/// A `panel_state` value: the panels read strings, whatever TOML type was used.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawStateValue {
    Text(String),
    Integer(i64),
    Boolean(bool),
}

impl RawStateValue {
    fn into_text(self) -> String {
        match self {
            RawStateValue::Text(s) => s,
            RawStateValue::Integer(i) => i.to_string(),
            RawStateValue::Boolean(b) => b.to_string(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrontMatter {
    problem: Spanned<u32>,
    title: String,
    points: u32,
    #[serde(default)]
    parts: Vec<RawPart>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPart {
    id: Spanned<String>,
    title: String,
    points: u32,
    #[serde(default)]
    panel: Option<Spanned<String>>,
    #[serde(default)]
    panel_state: std::collections::BTreeMap<Spanned<String>, RawStateValue>,
}

const FENCE: &str = "+++";

/// Split a file into its front matter and its Markdown body. Returns the body and
/// the file line the body starts on, so body positions map back to the file.
/// Stops at the first problem; [`split_all`] reports them all.
pub fn split<'a>(file: &str, text: &'a str) -> Result<(FrontMatter, &'a str, usize), ContentError> {
    let (meta, body, mut errors) = split_all(file, text);
    match (meta, body) {
        (Some(meta), Some((body, line))) if errors.is_empty() => Ok((meta, body, line)),
        _ => Err(errors.remove(0)),
    }
}

/// What [`split`] finds, without stopping at the first problem: the front
/// matter if it is valid, the body whenever the closing fence was found (so
/// the body can still be checked when the TOML is wrong), and every problem.
pub fn split_all<'a>(
    file: &str,
    text: &'a str,
) -> (
    Option<FrontMatter>,
    Option<(&'a str, usize)>,
    Vec<ContentError>,
) {
    match fence(file, text) {
        Err(e) => (None, None, vec![e]),
        Ok((toml_text, body, line)) => match parse(file, toml_text) {
            Ok((meta, errors)) => (Some(meta), Some((body, line)), errors),
            Err(errors) => (None, Some((body, line)), errors),
        },
    }
}

/// The TOML between the fences, the body after them and the body's first line.
fn fence<'a>(file: &str, text: &'a str) -> Result<(&'a str, &'a str, usize), ContentError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != FENCE {
        return Err(ContentError::new(
            file,
            Some(1),
            "missing front matter: the file must start with a `+++` line, then TOML, then `+++`",
        ));
    }
    let toml_start = first.len();
    let mut offset = toml_start;
    let mut line_no = 1;
    for line in lines {
        line_no += 1;
        if line.trim_end() == FENCE {
            let toml_text = &text[toml_start..offset];
            let body = &text[offset + line.len()..];
            return Ok((toml_text, body, line_no + 1));
        }
        offset += line.len();
    }
    Err(ContentError::new(
        file,
        Some(1),
        "front matter is not closed: no second `+++` line",
    ))
}

/// The front matter, with the problems of its parts (a part whose id is
/// unusable is left out, and the rest kept so they are checked too); `Err`
/// when the TOML itself does not parse into the expected shape.
fn parse(
    file: &str,
    toml_text: &str,
) -> Result<(FrontMatter, Vec<ContentError>), Vec<ContentError>> {
    // The TOML starts on file line 2, right after the opening fence.
    let line_at = |offset: usize| {
        2 + toml_text[..offset.min(toml_text.len())]
            .matches('\n')
            .count()
    };
    let raw: RawFrontMatter = toml::from_str(toml_text).map_err(|e| {
        let line = e.span().map(|s| line_at(s.start));
        vec![ContentError::new(
            file,
            line,
            format!("front matter: {}", e.message().trim()),
        )]
    })?;
    let mut errors = Vec::new();
    let locate = |s: Spanned<String>| Located {
        line: line_at(s.span().start),
        value: s.into_inner(),
    };
    let problem = Located {
        line: line_at(raw.problem.span().start),
        value: raw.problem.into_inner(),
    };
    let mut parts: Vec<PartMeta> = Vec::new();
    for p in raw.parts {
        let id = locate(p.id);
        if id.value.is_empty()
            || !id
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            errors.push(ContentError::new(
                file,
                Some(id.line),
                format!(
                    "part id `{}` must be letters, digits or `-`, like `1a`",
                    id.value
                ),
            ));
            continue;
        }
        if let Some(first) = parts.iter().find(|q| q.id.value == id.value) {
            errors.push(ContentError::new(
                file,
                Some(id.line),
                format!(
                    "duplicate part id `{}` (first declared on line {})",
                    id.value, first.id.line
                ),
            ));
            continue;
        }
        parts.push(PartMeta {
            id,
            title: one_line(&p.title).into_owned(),
            points: p.points,
            panel: p.panel.map(locate),
            panel_state: p
                .panel_state
                .into_iter()
                .map(|(k, v)| (locate(k), v.into_text()))
                .collect(),
        });
    }
    let meta = FrontMatter {
        problem,
        title: one_line(&raw.title).into_owned(),
        points: raw.points,
        parts,
    };
    Ok((meta, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++\nproblem = 3\ntitle = \"T\"\npoints = 10\n\n[[parts]]\nid = \"3a\"\ntitle = \"A\"\npoints = 5\npanel = \"x\"\n+++\n# Body\n";

    #[test]
    fn splits_and_locates() {
        let (meta, body, line) = split("f.md", GOOD).unwrap();
        assert_eq!(meta.problem, Located { value: 3, line: 2 });
        assert_eq!(meta.parts[0].id.line, 7);
        assert_eq!(meta.parts[0].panel.as_ref().unwrap().line, 10);
        assert_eq!(body, "# Body\n");
        assert_eq!(line, 12);
    }

    #[test]
    fn panel_state_keys_keep_their_lines() {
        let text = GOOD.replace(
            "panel = \"x\"\n",
            "panel = \"x\"\npanel_state = { mode = \"backward\", row = 18 }\n",
        );
        let (meta, _, _) = split("f.md", &text).unwrap();
        let state: Vec<(&str, usize, &str)> = meta.parts[0]
            .panel_state
            .iter()
            .map(|(k, v)| (k.value.as_str(), k.line, v.as_str()))
            .collect();
        assert_eq!(state, [("mode", 11, "backward"), ("row", 11, "18")]);
        let e = split("f.md", &text.replace("row = 18", "row = 1.5")).unwrap_err();
        assert_eq!(e.line, Some(11), "{e}");
    }

    #[test]
    fn errors_point_at_lines() {
        let e = split("f.md", "# no front matter\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = split("f.md", "+++\nproblem = 1\n").unwrap_err();
        assert!(e.message.contains("not closed"));
        let e = split(
            "f.md",
            &GOOD.replace("points = 5", "points = 5\ncolour = 1"),
        )
        .unwrap_err();
        assert!(e.message.contains("colour"), "{e}");
        assert_eq!(e.line, Some(10));
        let e = split("f.md", &GOOD.replace("id = \"3a\"\n", "")).unwrap_err();
        assert!(e.message.contains("id"), "{e}");
        let e = split("f.md", &GOOD.replace("title = \"T\"", "title = ")).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }
}
