//! The notebook's content: Markdown derivations with TOML front matter, loaded
//! from the files compiled into the binary or from a folder of the same shape.
//!
//! Loading collects *every* problem it finds (not just the first) so that
//! `nnbook check` can list them all; each carries its file and line.

pub mod front_matter;
pub mod links;
pub mod markdown;
pub mod plain;
pub mod sanitize;
pub mod source;
pub mod template;

use std::fmt;

pub use markdown::{Block, Inline, TextStyle};
pub use source::Source;

use crate::compute::Facts;

/// One problem of the midterm: its statement and its parts.
#[derive(Debug, Clone)]
pub struct Problem {
    pub number: u32,
    pub title: String,
    pub points: u32,
    pub file: String,
    /// Front-matter line of `problem = N`, for errors.
    pub line: usize,
    /// The statement shared by all parts (everything before the first part heading).
    pub statement: Vec<Block>,
    pub parts: Vec<Part>,
    /// Ordinary Markdown without front matter (a reader's own notes, see
    /// [`plain`]): no points, no panels, no "not yet written" marker.
    pub plain: bool,
}

/// One sub-question and its worked solution.
#[derive(Debug, Clone)]
pub struct Part {
    pub id: String,
    /// Front-matter line of this part's `id`, for errors.
    pub line: usize,
    pub title: String,
    pub points: u32,
    /// Name of the live panel paired with this part, if any.
    pub panel: Option<String>,
    /// The state the panel opens in for this part (validated `panel_state`
    /// keys and values, in key order), so the panel beside the text shows the
    /// case the text discusses.
    pub panel_state: Vec<(String, String)>,
    /// The part's section, from its heading to the next part heading.
    pub body: Vec<Block>,
    /// Whether the section has a `### Solution` heading; without one the UI says
    /// the solution is not yet written rather than leaving silence (in the
    /// notebook format only: see [`Problem::plain`]).
    pub has_solution: bool,
}

impl Part {
    /// The part's answer box: the first `[!answer]` block of its solution (exam
    /// mode hides it, copy takes it). `None` if the part has none.
    pub fn answer(&self) -> Option<&Block> {
        markdown::answer_box(self.solution())
    }

    /// The blocks under the part's `### Solution` heading (empty without one).
    pub fn solution(&self) -> &[Block] {
        let start = self.body.iter().position(is_solution_heading);
        start.map_or(&[], |i| &self.body[i + 1..])
    }
}

/// A place in the notebook a reader can open: a problem's statement or one part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryRef {
    Statement { problem: usize },
    Part { problem: usize, part: usize },
}

#[derive(Debug, Clone)]
pub struct Notebook {
    pub problems: Vec<Problem>,
    /// Reading order: each statement followed by its parts.
    pub entries: Vec<EntryRef>,
}

/// Something wrong with the content, located as precisely as we can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl ContentError {
    pub fn new(file: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        // Names and values quoted from content (ids, panel names, TOML keys,
        // file names) are escaped and kept on one line, so an error can neither
        // send escape sequences to stderr nor split the `file:line: message` form.
        ContentError {
            file: sanitize::one_line(file).into_owned(),
            line,
            message: sanitize::one_line(&message.into()).into_owned(),
        }
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// All problems found while loading; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentErrors(pub Vec<ContentError>);

impl fmt::Display for ContentErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContentErrors {}

/// What the loader checks names against; passed in so content does not depend on
/// the panel or compute modules.
pub struct Known<'a> {
    pub panels: &'a [&'a str],
    pub facts: &'a Facts,
    /// Checks one `panel_state` entry (panel, key, value) against what that
    /// panel can show; the error says what is allowed.
    pub panel_state: fn(&str, &str, &str) -> Result<(), String>,
}

impl Notebook {
    pub fn load(source: &Source, known: &Known<'_>) -> Result<Notebook, ContentErrors> {
        let files = source.files().map_err(|e| ContentErrors(vec![e]))?;
        Notebook::from_files(&files, known)
    }

    /// Loads already-read files (what [`Notebook::load`] does after reading a
    /// source; also the entry point for fuzzing, with no folder involved).
    pub fn from_files(
        files: &[source::File],
        known: &Known<'_>,
    ) -> Result<Notebook, ContentErrors> {
        let mut errors = Vec::new();
        let mut problems = Vec::new();
        let mut plain_files = Vec::new();
        let mut notebook_files = Vec::new();
        for file in files {
            match std::str::from_utf8(&file.bytes) {
                Ok(text) if plain::is_plain(text) => plain_files.push((file, text)),
                _ => notebook_files.push(file),
            }
        }
        for parsed in parse_files(&notebook_files, known) {
            match parsed {
                Ok(p) => problems.push(p),
                Err(mut es) => errors.append(&mut es),
            }
        }
        // Ordinary Markdown files come after the notebook's problems, in
        // file order, with part ids that do not clash with any.
        let mut taken: std::collections::BTreeSet<String> = problems
            .iter()
            .flat_map(|p| p.parts.iter().map(|q| q.id.clone()))
            .collect();
        let mut number = problems.iter().map(|p| p.number).max().unwrap_or(0);
        for (file, text) in plain_files {
            if let Some(line) = misplaced_fence(text) {
                errors.push(ContentError::new(
                    &file.name,
                    Some(line),
                    "front matter must start on the first line (or remove the `+++` to read the file as ordinary Markdown)",
                ));
                continue;
            }
            number += 1;
            match plain::parse(&file.name, text, number, &mut taken) {
                Ok(p) => problems.push(p),
                Err(mut es) => errors.append(&mut es),
            }
        }
        check_unique(&problems, &mut errors);
        if !errors.is_empty() {
            // Each file's problems in line order (files are already in order).
            errors.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
            return Err(ContentErrors(errors));
        }
        problems.sort_by_key(|p| p.number);
        let notebook = Notebook::ordered(problems);
        let broken = notebook.broken_links(|name| {
            files
                .iter()
                .find(|f| sanitize::one_line(&f.name) == name)
                .and_then(|f| std::str::from_utf8(&f.bytes).ok())
        });
        if !broken.is_empty() {
            return Err(ContentErrors(broken));
        }
        Ok(notebook)
    }

    /// What the first frame needs, ahead of the whole parse: every file's
    /// front matter (the contents pane: titles, points, part ids), and the
    /// entry `first` (an entry id such as `4b` or `p4`; else the first
    /// problem's statement) parsed: its section of its file, cut out at the
    /// part headings, or the whole file if the cut does not parse as that one
    /// section. Every other statement and part is left empty (the contents
    /// pane draws their titles, points and marks, never their text), and
    /// marked written. `None` when
    /// this cannot stand in for [`Notebook::from_files`] exactly: a file that
    /// is not in the notebook's format (ordinary Markdown's parts come from its
    /// headings), front matter with an error, a repeated problem or part id, or
    /// any error in what is parsed. Links are not checked. What is built is
    /// what `from_files` builds for the entry shown, and the entries are the
    /// same whenever `from_files` succeeds; `App::complete_load` puts the whole
    /// parse in its place right after the first frame.
    pub fn first_look(
        files: &[source::File],
        known: &Known<'_>,
        first: Option<&str>,
    ) -> Option<Notebook> {
        let mut outlines = Vec::new();
        for file in files {
            let text = std::str::from_utf8(&file.bytes).ok()?;
            if plain::is_plain(text) {
                return None;
            }
            let (meta, body, errors) = front_matter::split_all(&file.name, text);
            match (meta, body) {
                (Some(meta), Some(body)) if errors.is_empty() => outlines.push((file, meta, body)),
                _ => return None,
            }
        }
        outlines.sort_by_key(|(_, meta, _)| meta.problem.value);
        let holds_first = |meta: &front_matter::FrontMatter| {
            first.is_some_and(|id| {
                id.eq_ignore_ascii_case(&format!("p{}", meta.problem.value))
                    || meta
                        .parts
                        .iter()
                        .any(|p| p.id.value.eq_ignore_ascii_case(id))
            })
        };
        let shown = outlines
            .iter()
            .position(|(_, meta, _)| holds_first(meta))
            .unwrap_or(0);
        let mut problems = Vec::with_capacity(outlines.len());
        for (i, (file, mut meta, (body, body_line))) in outlines.into_iter().enumerate() {
            // The part shown, if `first` names one of this problem's parts.
            let part_shown = first.and_then(|id| {
                meta.parts
                    .iter()
                    .position(|p| p.id.value.eq_ignore_ascii_case(id))
            });
            let section = if i == shown {
                match first_section(&file.name, body, body_line, &meta, part_shown, known) {
                    Some(section) => Some(section),
                    // The cut did not work: the whole file, as a whole load reads it.
                    None => {
                        problems.push(parse_file(&file.name, &file.bytes, known).ok()?);
                        continue;
                    }
                }
            } else {
                None
            };
            let (statement, mut part_body) = match part_shown {
                None => (section.unwrap_or_default(), None),
                Some(_) => (Vec::new(), section),
            };
            let parts = std::mem::take(&mut meta.parts)
                .into_iter()
                .enumerate()
                .map(|(pi, p)| {
                    let (body, has_solution) = match part_body.take_if(|_| part_shown == Some(pi)) {
                        Some(blocks) => {
                            let written = blocks.iter().any(is_solution_heading);
                            (blocks, written)
                        }
                        None => (Vec::new(), true),
                    };
                    Part::declared(p, body, has_solution)
                })
                .collect();
            problems.push(Problem::declared(&file.name, meta, statement, parts));
        }
        let mut errors = Vec::new();
        check_unique(&problems, &mut errors);
        errors.is_empty().then(|| Notebook::ordered(problems))
    }

    /// No problems: what the app holds while the content has errors.
    pub fn empty() -> Notebook {
        Notebook {
            problems: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// The notebook of `problems` (sorted by number): each statement followed
    /// by its parts, in reading order.
    fn ordered(problems: Vec<Problem>) -> Notebook {
        let entries = problems
            .iter()
            .enumerate()
            .flat_map(|(pi, p)| {
                std::iter::once(EntryRef::Statement { problem: pi })
                    .chain((0..p.parts.len()).map(move |part| EntryRef::Part { problem: pi, part }))
            })
            .collect();
        Notebook { problems, entries }
    }

    /// The default notebook: the content compiled into the binary.
    pub fn embedded(known: &Known<'_>) -> Result<Notebook, ContentErrors> {
        Notebook::load(&Source::Embedded, known)
    }

    pub fn problem(&self, entry: EntryRef) -> &Problem {
        match entry {
            EntryRef::Statement { problem } | EntryRef::Part { problem, .. } => {
                &self.problems[problem]
            }
        }
    }

    pub fn part(&self, entry: EntryRef) -> Option<&Part> {
        match entry {
            EntryRef::Statement { .. } => None,
            EntryRef::Part { problem, part } => self.problems[problem].parts.get(part),
        }
    }

    /// The id a user types for an entry: a part's id (`1a`, `2`), or `pN` for
    /// problem N's statement.
    pub fn entry_id(&self, entry: EntryRef) -> String {
        match self.part(entry) {
            Some(part) => part.id.clone(),
            None => format!("p{}", self.problem(entry).number),
        }
    }

    pub fn find_entry(&self, id: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| self.entry_id(*e).eq_ignore_ascii_case(id))
    }

    /// Every id a user can type, for error messages.
    pub fn entry_ids(&self) -> Vec<String> {
        self.entries.iter().map(|e| self.entry_id(*e)).collect()
    }

    pub fn part_count(&self) -> usize {
        self.problems.iter().map(|p| p.parts.len()).sum()
    }
}

/// Parse the notebook's files, results in file order. The files are
/// independent, and most of start-up is this parse, before the first frame,
/// while the terminal has nothing to draw and a second core is idle: so a
/// second thread parses too, each thread taking the next file not yet taken
/// (a fixed split left one thread waiting for the other, whose first
/// allocations in a fresh malloc arena are slower).
fn parse_files(
    files: &[&source::File],
    known: &Known<'_>,
) -> Vec<Result<Problem, Vec<ContentError>>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let take_and_parse = || {
        let mut parsed = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(f) = files.get(i) else { break };
            parsed.push((i, parse_file(&f.name, &f.bytes, known)));
        }
        parsed
    };
    let mut parsed = if files.len() < 2 {
        take_and_parse()
    } else {
        std::thread::scope(|scope| {
            // The main thread's stack size: parsing recurses (to the nesting limit).
            let helper = std::thread::Builder::new()
                .name("parse".into())
                .stack_size(8 << 20)
                .spawn_scoped(scope, take_and_parse);
            // Without a thread the loop below simply parses every file here.
            let mut parsed = take_and_parse();
            if let Ok(helper) = helper {
                match helper.join() {
                    Ok(theirs) => parsed.extend(theirs),
                    // A panic in the parse is a bug: report it where it happened.
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            parsed
        })
    };
    parsed.sort_by_key(|(i, _)| *i);
    parsed.into_iter().map(|(_, result)| result).collect()
}

/// A level-2 heading that starts a part's section: `## ... {#id}`.
fn is_part_heading(block: &Block) -> bool {
    matches!(
        block,
        Block::Heading {
            level: 2,
            id: Some(_),
            ..
        }
    )
}

/// The `### Solution` heading that starts a part's worked solution.
fn is_solution_heading(block: &Block) -> bool {
    matches!(block, Block::Heading { level: 3, text, .. } if markdown::plain_text(text).trim() == "Solution")
}

/// For a first look: the blocks of one section of a body, parsed alone. The
/// section (the statement, or the part `part` of `meta`) is cut out of the
/// text at the lines that look like part headings (`## ... {#id}` outside
/// code fences); `None` unless what it parses to is that section and no more,
/// without errors, and the part's panel and its state are ones this build has.
fn first_section(
    name: &str,
    body: &str,
    body_line: usize,
    meta: &front_matter::FrontMatter,
    part: Option<usize>,
    known: &Known<'_>,
) -> Option<Vec<Block>> {
    // (byte offset, line number in the body) of each part heading.
    let mut starts = Vec::new();
    let mut offset = 0;
    let mut fence: Option<&str> = None;
    for (n, line) in body.split_inclusive('\n').enumerate() {
        let trimmed = line.trim();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if m == open => fence = None,
            _ => {}
        }
        if fence.is_none()
            && line.starts_with("## ")
            && trimmed.ends_with('}')
            && trimmed.contains("{#")
        {
            starts.push((offset, n));
        }
        offset += line.len();
    }
    let (from, to, first_line) = match part {
        None => (0, starts.first().map_or(body.len(), |s| s.0), body_line),
        Some(pi) => {
            let closing = format!("{{#{}}}", meta.parts[pi].id.value);
            let at = starts.iter().position(|(o, _)| {
                body[*o..]
                    .lines()
                    .next()
                    .is_some_and(|l| l.trim_end().ends_with(&closing))
            })?;
            let end = starts.get(at + 1).map_or(body.len(), |s| s.0);
            (starts[at].0, end, body_line + starts[at].1)
        }
    };
    if let Some(panel) = part.and_then(|pi| meta.parts[pi].panel.as_ref()) {
        if !known.panels.contains(&panel.value.as_str()) {
            return None;
        }
        for (key, value) in &meta.parts[part?].panel_state {
            (known.panel_state)(&panel.value, &key.value, value).ok()?;
        }
    }
    let mut errors = Vec::new();
    let blocks = check_body(name, &body[from..to], first_line, known, &mut errors);
    let headings = blocks.iter().filter(|b| is_part_heading(b)).count();
    let one_section = match part {
        None => headings == 0,
        Some(pi) => {
            headings == 1
                && matches!(blocks.first(), Some(Block::Heading { level: 2, id: Some(id), .. }) if *id == meta.parts[pi].id.value)
        }
    };
    (errors.is_empty() && one_section).then_some(blocks)
}

fn parse_file(name: &str, bytes: &[u8], known: &Known<'_>) -> Result<Problem, Vec<ContentError>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        vec![ContentError::new(name, Some(line), "not valid UTF-8")]
    })?;
    let (meta, body, mut errors) = front_matter::split_all(name, text);
    let Some((body, body_line)) = body else {
        return Err(errors);
    };
    // Bad front matter: the body is still checked, so one run lists it all.
    let Some(meta) = meta else {
        check_body(name, body, body_line, known, &mut errors);
        return Err(errors);
    };
    for part in &meta.parts {
        if let Some(panel) = &part.panel
            && !known.panels.contains(&panel.value.as_str())
        {
            errors.push(ContentError::new(
                name,
                Some(panel.line),
                format!(
                    "unknown panel `{}`{} (known: {})",
                    panel.value,
                    crate::suggest::hint(&panel.value, known.panels.iter().copied()),
                    known.panels.join(", ")
                ),
            ));
        }
        match &part.panel {
            Some(panel) if known.panels.contains(&panel.value.as_str()) => {
                for (key, value) in &part.panel_state {
                    if let Err(why) = (known.panel_state)(&panel.value, &key.value, value) {
                        errors.push(ContentError::new(
                            name,
                            Some(key.line),
                            format!("panel_state of part `{}`: {why}", part.id.value),
                        ));
                    }
                }
            }
            None if !part.panel_state.is_empty() => errors.push(ContentError::new(
                name,
                Some(part.panel_state[0].0.line),
                format!("part `{}` sets panel_state but has no panel", part.id.value),
            )),
            _ => {}
        }
    }
    let doc = check_body(name, body, body_line, known, &mut errors);
    let problem = assemble(name, meta, doc, &mut errors);
    if errors.is_empty() {
        Ok(problem)
    } else {
        Err(errors)
    }
}

/// Fill in the figures and parse the Markdown, adding every problem found.
fn check_body(
    name: &str,
    body: &str,
    body_line: usize,
    known: &Known<'_>,
    errors: &mut Vec<ContentError>,
) -> Vec<Block> {
    let body = template::expand(name, body, body_line, known.facts).unwrap_or_else(|mut es| {
        errors.append(&mut es);
        body.to_string()
    });
    let (doc, issues) = markdown::parse_checked(&body, body_line);
    errors.extend(
        issues
            .into_iter()
            .map(|i| ContentError::new(name, Some(i.line), i.message)),
    );
    doc
}

/// Cut the parsed body into the statement and the parts declared in front matter.
fn assemble(
    name: &str,
    mut meta: front_matter::FrontMatter,
    doc: Vec<Block>,
    errors: &mut Vec<ContentError>,
) -> Problem {
    let mut statement = Vec::new();
    let mut sections: Vec<(String, usize, Vec<Block>)> = Vec::new();
    for block in doc {
        if let Block::Heading {
            level: 2,
            id: Some(id),
            line,
            ..
        } = &block
        {
            sections.push((id.clone(), *line, vec![block]));
            continue;
        }
        match sections.last_mut() {
            Some((_, _, blocks)) => blocks.push(block),
            None => statement.push(block),
        }
    }
    for (id, line, _) in &sections {
        if !meta.parts.iter().any(|p| &p.id.value == id) {
            errors.push(ContentError::new(
                name,
                Some(*line),
                format!("section {{#{id}}} is not declared in the front matter's [[parts]]"),
            ));
        }
    }
    let parts = std::mem::take(&mut meta.parts)
        .into_iter()
        .filter_map(|p| {
            let Some(pos) = sections.iter().position(|(id, _, _)| *id == p.id.value) else {
                errors.push(ContentError::new(
                    name,
                    Some(p.id.line),
                    format!(
                        "part `{}` has no section: add a heading `## ... {{#{}}}`",
                        p.id.value, p.id.value
                    ),
                ));
                return None;
            };
            let body = std::mem::take(&mut sections[pos].2);
            let has_solution = body.iter().any(is_solution_heading);
            Some(Part::declared(p, body, has_solution))
        })
        .collect();
    Problem::declared(name, meta, statement, parts)
}

impl Problem {
    /// The problem `meta` declares in file `name`, with these blocks (its
    /// parts already taken from `meta`).
    fn declared(
        name: &str,
        meta: front_matter::FrontMatter,
        statement: Vec<Block>,
        parts: Vec<Part>,
    ) -> Problem {
        Problem {
            number: meta.problem.value,
            line: meta.problem.line,
            title: meta.title,
            points: meta.points,
            // Shown by `check` and in the frame: escaped like any content.
            file: sanitize::one_line(name).into_owned(),
            statement,
            parts,
            plain: false,
        }
    }
}

impl Part {
    /// The part front matter declares, with its section's blocks.
    fn declared(p: front_matter::PartMeta, body: Vec<Block>, has_solution: bool) -> Part {
        Part {
            line: p.id.line,
            id: p.id.value,
            title: p.title,
            points: p.points,
            panel: p.panel.map(|s| s.value),
            panel_state: p
                .panel_state
                .into_iter()
                .map(|(k, v)| (k.value, v))
                .collect(),
            body,
            has_solution,
        }
    }
}

/// A `+++` fence below blank lines at the top: front matter meant, but not
/// where it must be. Its line, if so.
fn misplaced_fence(text: &str) -> Option<usize> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (i, first) = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty())?;
    (i > 0 && first.trim() == "+++").then_some(i + 1)
}

fn check_unique(problems: &[Problem], errors: &mut Vec<ContentError>) {
    for (i, p) in problems.iter().enumerate() {
        if let Some(other) = problems[..i].iter().find(|o| o.number == p.number) {
            errors.push(ContentError::new(
                &p.file,
                Some(p.line),
                format!("problem {} is also defined in {}", p.number, other.file),
            ));
        }
        for part in &p.parts {
            let earlier = problems[..i]
                .iter()
                .find(|o| o.parts.iter().any(|q| q.id == part.id));
            if let Some(other) = earlier {
                errors.push(ContentError::new(
                    &p.file,
                    Some(part.line),
                    format!("duplicate part id `{}` (also in {})", part.id, other.file),
                ));
            }
        }
    }
}
