//! Application state and `update`: the only place state changes. Drawing reads
//! `&App`; the event loop (tui.rs) or the headless renderer carries out the
//! effects `update` returns.

pub mod action;
pub mod copy;
pub mod exam;
pub mod history;
pub mod jobs;
pub mod links;
pub mod outline;
mod reload;
mod remember;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ratatui::layout::Rect;
use ratatui::text::Line;

pub use action::Action;
pub use remember::Remember;

use crate::compute::{self, Progress};
use crate::content::{ContentErrors, EntryRef, Known, Notebook, Source};
use crate::layout::{self, Pane, PaneRects};
use crate::panels::{self, JobRequest, JobResult, Panel, PanelEffect};
use crate::ui::doc::{self, MathSettings};
use crate::ui::highlight;
use crate::ui::theme::Theme;

/// What the loop must do after an update.
pub enum Effect {
    None,
    Quit,
    /// Run these jobs, each for the named panel.
    Jobs(Vec<(String, JobRequest)>),
    /// Put this text on the reader's clipboard (OSC 52, and tmux's buffer).
    Copy(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
}

/// The job the app is waiting on, if any (one at a time: a new one cancels it).
#[derive(Debug, Clone)]
pub struct RunningJob {
    pub id: u64,
    pub panel: String,
    pub label: String,
    pub progress: Option<Progress>,
    started: Instant,
    /// Time since the job started, as of its latest progress report: measured,
    /// so the status line can show elapsed time and an estimate instead of a
    /// promise about how long the work takes.
    pub elapsed: Duration,
}

impl RunningJob {
    /// Seconds left, extrapolated from the progress so far (none before the
    /// first report or while nothing is done).
    pub fn remaining(&self) -> Option<Duration> {
        let p = self.progress.as_ref()?;
        if p.done == 0 || p.total <= p.done {
            return None;
        }
        let per_unit = self.elapsed.as_secs_f64() / p.done as f64;
        Some(Duration::from_secs_f64(
            per_unit * (p.total - p.done) as f64,
        ))
    }
}

/// The derivation laid out for one entry, width and math setting.
#[derive(Debug, Clone, Default)]
pub struct DocLayout {
    key: Option<(usize, u16, MathSettings)>,
    pub lines: Vec<Line<'static>>,
    /// First line of each top-level block (where a search hit is scrolled to).
    pub starts: Vec<usize>,
    /// The highlighter's [`generation`](crate::ui::highlight::generation) when
    /// this was laid out, if a code block was shown plain while it waits for
    /// the worker: the layout is made again once the generation moves.
    awaiting_highlight: Option<u64>,
    /// First line of each item of a top-level list: (block, item, line).
    pub items: Vec<(usize, usize, usize)>,
    /// The links, in reading order, and where they are drawn.
    pub links: Vec<doc::DocLink>,
}

/// Search: the prompt while it is open, then the query and its hits until
/// Esc clears them (while hits are shown, `n`/`N` move between them).
#[derive(Default)]
pub struct Search {
    /// The line being typed; `None` once Enter or Esc closed it.
    pub prompt: Option<tui_input::Input>,
    pub query: String,
    pub hits: Vec<crate::search::Hit>,
    /// Index into `hits` of the one shown.
    pub current: Option<usize>,
    /// Where the reader was when the prompt opened (Esc returns there).
    origin: (usize, usize),
}

pub struct App {
    pub notebook: Notebook,
    /// The notebook is a first look ([`Notebook::first_look`]): only the part
    /// shown is parsed; [`App::complete_load`] puts the whole parse in its
    /// place after the first frame.
    pub first_look: bool,
    /// Set when the content failed to load: the UI shows these instead.
    pub errors: Option<ContentErrors>,
    pub source: String,
    pub entry: usize,
    pub focus: Pane,
    pub area: Rect,
    pub doc_scroll: usize,
    pub overlay: Option<Overlay>,
    pub search: Search,
    /// Built on the first search (math rendering makes it the costly part).
    search_index: std::cell::OnceCell<crate::search::Index>,
    /// First key row shown in the help overlay.
    pub help_scroll: usize,
    /// Whether the contents pane is shown (toggled with `T`).
    pub toc: layout::TocMode,
    pub math: MathSettings,
    pub doc: DocLayout,
    /// Live panels by part id: each part keeps its own panel state while the
    /// reader moves around, opened in the state the part declares.
    pub panels: BTreeMap<String, Box<dyn Panel>>,
    pub job: Option<RunningJob>,
    next_job_id: u64,
    /// A one-off note for the status line, cleared by the next key.
    pub message: Option<String>,
    pub theme: Theme,
    /// Places left by following links and outline jumps (Backspace / L).
    pub history: history::History,
    /// Link mode: the selected link (an index into `doc.links`).
    pub link: Option<usize>,
    /// The outline, while it replaces the contents pane.
    pub outline: Option<outline::Outline>,
    /// Exam mode, while it is on.
    pub exam: Option<exam::Exam>,
    /// Places and marks, remembered between runs (see `crate::state`).
    pub remember: Remember,
}

/// Load a notebook, checking its panel names and `{{figures}}` against the ones
/// this build has.
pub fn load_notebook(source: &Source) -> Result<Notebook, ContentErrors> {
    with_known(|known| Notebook::load(source, known))
}

/// Content as loaded for [`App::unopened_from`].
pub struct Loaded {
    pub notebook: Result<Notebook, ContentErrors>,
    /// Whether `notebook` is a first look ([`Notebook::first_look`]).
    pub first_look: bool,
}

/// How much of the content to parse before the first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadPlan<'a> {
    /// All of it: what `render`, the tests and a reload do.
    Whole,
    /// A first look ([`Notebook::first_look`]) where the content allows one:
    /// the section of the entry with this id, or of the first entry with
    /// `None`, and every file's front matter.
    FirstLook(Option<&'a str>),
}

/// Load `source` as `plan` says (a whole load where a first look cannot
/// stand in).
pub fn load_content(source: &Source, plan: LoadPlan<'_>) -> Loaded {
    let look = match plan {
        LoadPlan::Whole => None,
        LoadPlan::FirstLook(first) => source
            .files()
            .ok()
            .and_then(|files| with_known(|known| Notebook::first_look(&files, known, first))),
    };
    match look {
        Some(notebook) => Loaded {
            notebook: Ok(notebook),
            first_look: true,
        },
        None => Loaded {
            notebook: load_notebook(source),
            first_look: false,
        },
    }
}

/// The names and figures this build has, for the loader to check against.
fn with_known<R>(f: impl FnOnce(&Known<'_>) -> R) -> R {
    let names = panels::names();
    f(&Known {
        panels: &names,
        facts: compute::facts(),
        panel_state: panels::check_state,
    })
}

impl App {
    /// Load content from `source` and open the first entry. Content errors do not
    /// fail: they become the error view.
    pub fn load(source: &Source, area: Rect) -> App {
        let mut app = App::load_unopened(
            source,
            area,
            Theme::default(),
            MathSettings::default(),
            LoadPlan::Whole,
        );
        app.refresh_doc();
        app
    }

    /// Load content to be drawn with `theme` and `math`, and lay out nothing
    /// yet: the caller opens the first entry ([`App::open`] or
    /// [`App::restore_remembered`]), which lays it out, once. The interactive
    /// notebook starts this way: laying out the first statement and then the
    /// part the reader comes back to, or laying it out again for the theme,
    /// would each cost a layout before the first frame.
    ///
    /// With [`LoadPlan::FirstLook`] and the id of the entry that will be
    /// opened, the content may be loaded as a first look: the caller then
    /// calls [`App::complete_load`] after the first frame.
    pub fn load_unopened(
        source: &Source,
        area: Rect,
        theme: Theme,
        math: MathSettings,
        plan: LoadPlan<'_>,
    ) -> App {
        App::unopened_from(load_content(source, plan), source, area, theme, math)
    }

    /// [`App::load_unopened`] with the content already loaded (the
    /// interactive notebook loads it on a thread while it sets up the terminal).
    pub fn unopened_from(
        loaded: Loaded,
        source: &Source,
        area: Rect,
        theme: Theme,
        math: MathSettings,
    ) -> App {
        let (notebook, errors) = match loaded.notebook {
            Ok(nb) => (nb, None),
            Err(e) => (Notebook::empty(), Some(e)),
        };
        let mut app = App::unopened(notebook, errors, source.describe(), area);
        app.first_look = loaded.first_look;
        app.theme = theme;
        app.math = math;
        app
    }

    pub fn new(
        notebook: Notebook,
        errors: Option<ContentErrors>,
        source: String,
        area: Rect,
    ) -> App {
        let mut app = App::unopened(notebook, errors, source, area);
        app.refresh_doc();
        app
    }

    fn unopened(
        notebook: Notebook,
        errors: Option<ContentErrors>,
        source: String,
        area: Rect,
    ) -> App {
        App {
            notebook,
            first_look: false,
            errors,
            source,
            entry: 0,
            focus: Pane::Doc,
            area,
            doc_scroll: 0,
            overlay: None,
            toc: layout::TocMode::Auto,
            help_scroll: 0,
            search: Search::default(),
            search_index: std::cell::OnceCell::new(),
            math: MathSettings::default(),
            doc: DocLayout::default(),
            panels: BTreeMap::new(),
            job: None,
            next_job_id: 0,
            message: None,
            theme: Theme::default(),
            history: history::History::default(),
            link: None,
            outline: None,
            exam: None,
            remember: Remember::default(),
        }
    }

    pub fn current(&self) -> Option<EntryRef> {
        self.notebook.entries.get(self.entry).copied()
    }

    /// Name of the panel paired with the current entry.
    pub fn panel_name(&self) -> Option<&str> {
        self.current()
            .and_then(|e| self.notebook.part(e))
            .and_then(|p| p.panel.as_deref())
    }

    /// Id of the current part, when it has a panel: the key of its panel
    /// state in [`App::panels`] and of the jobs it runs.
    pub fn panel_owner(&self) -> Option<&str> {
        self.current()
            .and_then(|e| self.notebook.part(e))
            .filter(|p| p.panel.is_some())
            .map(|p| p.id.as_str())
    }

    /// Whether the current panel has its own prompt open (Problem 1's
    /// architecture editor): the key map then sends every key to it.
    pub fn panel_prompt_open(&self) -> bool {
        self.current_panel().is_some_and(|p| p.prompt_open())
    }

    pub fn current_panel(&self) -> Option<&dyn Panel> {
        self.panel_owner()
            .and_then(|id| self.panels.get(id))
            .map(|p| p.as_ref())
    }

    pub fn rects(&self) -> PaneRects {
        let panel_width = self.panel_name().map(|_| {
            self.current_panel()
                .map_or(layout::PANEL_DEFAULT_WIDTH, |p| p.preferred_width())
        });
        layout::panes(
            self.area,
            layout::LayoutInput {
                focus: self.focus,
                panel_width,
                toc: self.toc,
            },
        )
    }

    /// Move to `entry` (used by `render --part`); returns the panel's jobs.
    pub fn open(&mut self, entry: usize) -> Effect {
        self.go_to(entry)
    }

    pub fn update(&mut self, action: Action) -> Effect {
        if !matches!(action, Action::Tick | Action::Resize { .. }) {
            self.message = None;
        }
        if self.overlay.is_some()
            && let Some(delta) = self.help_delta(action)
        {
            let max = self.help_rows().len().saturating_sub(self.help_page()) as isize;
            self.help_scroll = (self.help_scroll as isize)
                .saturating_add(delta)
                .clamp(0, max) as usize;
            return Effect::None;
        }
        let effect = match action {
            Action::Quit => return Effect::Quit,
            Action::NextEntry => self.go_to(self.entry.saturating_add(1)),
            Action::PrevEntry => self.go_to(self.entry.saturating_sub(1)),
            Action::JumpProblem(n) => {
                match self.notebook.problems.iter().position(|p| p.number == n) {
                    Some(pi) => {
                        let target = self
                            .notebook
                            .entries
                            .iter()
                            .position(|e| *e == EntryRef::Statement { problem: pi });
                        self.go_to(target.unwrap_or(self.entry))
                    }
                    None => {
                        self.message = Some(format!("there is no problem {n}"));
                        Effect::None
                    }
                }
            }
            Action::FocusNext => {
                self.focus = self.cycle_focus(1);
                Effect::None
            }
            Action::FocusPrev => {
                self.focus = self.cycle_focus(-1);
                Effect::None
            }
            Action::TogglePanelView => {
                if self.panel_name().is_none() {
                    self.message = Some("this part has no live panel".into());
                } else {
                    self.focus = if self.focus == Pane::Panel {
                        Pane::Doc
                    } else {
                        Pane::Panel
                    };
                }
                Effect::None
            }
            Action::Scroll(n) => self.scroll_focused(n as isize),
            Action::Page(n) => {
                let page = self
                    .rects()
                    .get(self.focus)
                    .map(|r| layout::inner(r).height.saturating_sub(1).max(1))
                    .unwrap_or(1);
                self.scroll_focused(n as isize * page as isize)
            }
            Action::Top if self.focus == Pane::Panel => self.panel_key(panels::PanelKey::Top),
            Action::Bottom if self.focus == Pane::Panel => self.panel_key(panels::PanelKey::Bottom),
            Action::Top => self.scroll_focused(isize::MIN / 2),
            Action::Bottom => self.scroll_focused(isize::MAX / 2),
            Action::ToggleHelp => {
                self.help_scroll = 0;
                self.overlay = if self.overlay.is_some() {
                    None
                } else {
                    Some(Overlay::Help)
                };
                Effect::None
            }
            Action::CloseOverlay => {
                self.overlay = None;
                Effect::None
            }
            Action::Search => {
                self.search = Search {
                    prompt: Some(tui_input::Input::default()),
                    origin: (self.entry, self.doc_scroll),
                    ..Search::default()
                };
                Effect::None
            }
            // A panel's open prompt takes the keys the key map sends to a prompt.
            Action::SearchEdit(key) if self.panel_prompt_open() => {
                self.panel_key(panels::PanelKey::Input(key))
            }
            Action::SearchEdit(key) => self.search_edit(key),
            Action::SearchNext(forward) => self.search_step(forward),
            Action::ToggleMath => {
                self.math.rendered = !self.math.rendered;
                self.message = Some(
                    if self.math.rendered {
                        "math: rendered"
                    } else {
                        "math: LaTeX source"
                    }
                    .into(),
                );
                Effect::None
            }
            Action::CycleGlyphs => {
                self.math.glyphs = self.math.glyphs.next();
                self.message = Some(format!("math glyphs: {}", self.math.glyphs.name()));
                Effect::None
            }
            Action::ToggleContents => {
                let shown = self.rects().toc.is_some();
                self.toc = self.toc.toggled(shown);
                if self.focus == Pane::Toc && shown {
                    self.focus = Pane::Doc;
                }
                Effect::None
            }
            Action::Panel(key) => self.panel_key(key),
            Action::ResetPanel => self.reset_panel(),
            Action::CycleTheme => {
                let next = self.theme.name.next();
                self.set_theme(self.theme.with_name(next));
                self.remember.theme = Some(next);
                self.remember.dirty = true;
                self.message = Some(if self.theme.no_color {
                    format!("theme: {} (NO_COLOR is set: attributes only)", next.name())
                } else {
                    format!("theme: {}", next.name())
                });
                Effect::None
            }
            Action::Mark(mark) => {
                // From the text, a letter the panel uses is the panel's (the
                // derivations say "press b"); in the contents it always marks.
                let letter = match mark {
                    crate::state::Mark::Studied => 'd',
                    crate::state::Mark::Flagged => 'b',
                };
                if self.focus == Pane::Doc && self.panel_uses(letter) {
                    self.panel_key(panels::PanelKey::Char(letter))
                } else {
                    self.toggle_mark(mark);
                    Effect::None
                }
            }
            Action::Wheel { col, row, down } => {
                let delta = if down { 3 } else { -3 };
                match self.rects().pane_at(col, row) {
                    Some(Pane::Toc) if self.outline.is_some() => {
                        self.outline_move(if down { 1 } else { -1 });
                        Effect::None
                    }
                    Some(Pane::Toc) => self.go_to(if down {
                        self.entry + 1
                    } else {
                        self.entry.saturating_sub(1)
                    }),
                    Some(Pane::Doc) => {
                        self.scroll_doc(delta);
                        Effect::None
                    }
                    Some(Pane::Panel) => self.panel_key(if down {
                        panels::PanelKey::Down
                    } else {
                        panels::PanelKey::Up
                    }),
                    None => Effect::None,
                }
            }
            Action::Click { col, row } => self.click(col, row),
            Action::Resize { width, height } => {
                self.area = Rect::new(0, 0, width, height);
                Effect::None
            }
            Action::ToggleOutline => self.toggle_outline(),
            Action::OutlineJump => self.outline_jump(),
            Action::LinkMode => self.toggle_link_mode(),
            Action::LinkStep(forward) => self.link_step(forward),
            Action::FollowLink => self.follow_link(),
            Action::Back => self.history_step(false),
            Action::Forward => self.history_step(true),
            Action::ToggleExam => self.toggle_exam(),
            Action::Reveal { all } => self.reveal(all),
            Action::Copy => self.copy(),
            Action::Tick => {
                if let Some(owner) = self.panel_owner().map(str::to_string)
                    && let Some(panel) = self.panels.get_mut(&owner)
                    && panel.animating()
                {
                    panel.tick();
                }
                Effect::None
            }
        };
        self.refresh_doc();
        effect
    }

    /// The help overlay's rows: a heading, then (key, what it does), for the
    /// notebook and the current panel. `None` keys are headings or blanks.
    pub fn help_rows(&self) -> Vec<(Option<&'static str>, String)> {
        let mut rows = vec![(None, "Notebook".to_string())];
        rows.extend(
            action::GLOBAL_KEYS
                .iter()
                .map(|(k, w)| (Some(*k), w.to_string())),
        );
        if let Some(panel) = self.current_panel() {
            rows.push((None, String::new()));
            rows.push((
                None,
                format!("Live panel: {} (Tab to focus it)", panel.title()),
            ));
            rows.extend(panel.keys().iter().map(|(k, w)| (Some(*k), w.to_string())));
        }
        // The text quotes `nnbook compute …`; after `cargo run --release` the
        // binary is not on the PATH, so say how to run those commands.
        rows.push((None, String::new()));
        rows.push((None, "Commands in the text (nnbook compute …)".to_string()));
        rows.push((
            Some("installed"),
            "cargo install --path . puts nnbook on PATH".into(),
        ));
        rows.push((Some("or"), "cargo run --release -- compute NAME".into()));
        rows
    }

    fn help_page(&self) -> usize {
        layout::help_visible_rows(layout::help_rect(self.area, self.help_rows().len())).max(1)
    }

    /// How far a scrolling action moves the help overlay, if it is one.
    fn help_delta(&self, action: Action) -> Option<isize> {
        let page = self.help_page() as isize;
        Some(match action {
            Action::Scroll(n) => n as isize,
            Action::Page(n) => n as isize * page,
            Action::Top => isize::MIN / 2,
            Action::Bottom => isize::MAX / 2,
            _ => return None,
        })
    }

    /// Use another colour theme; the derivation is laid out again in it.
    pub fn set_theme(&mut self, theme: Theme) {
        self.theme = theme;
        self.doc.key = None;
        self.refresh_doc();
    }

    pub fn set_math(&mut self, math: MathSettings) {
        self.math = math;
        self.refresh_doc();
    }

    /// Whether the loop should send `Tick`s.
    pub fn animating(&self) -> bool {
        self.current_panel().is_some_and(|p| p.animating())
    }

    /// A key typed while the search prompt is open: editing keys go to the
    /// input line, Enter keeps the hits for `n`/`N`, Esc goes back.
    fn search_edit(&mut self, key: ratatui::crossterm::event::KeyEvent) -> Effect {
        use ratatui::crossterm::event::{Event, KeyCode};
        use tui_input::backend::crossterm::EventHandler;
        match key.code {
            KeyCode::Esc if self.search.prompt.is_none() => {
                // After Enter, Esc only clears the hits (n is next part again).
                self.search = Search::default();
                return Effect::None;
            }
            KeyCode::Esc => {
                let (entry, scroll) = self.search.origin;
                self.search = Search::default();
                let effect = self.go_to(entry);
                self.refresh_doc();
                self.doc_scroll = scroll.min(self.max_doc_scroll());
                return effect;
            }
            KeyCode::Enter => {
                self.search.prompt = None;
                if self.search.hits.is_empty() {
                    self.message = Some(format!("no match for “{}”", self.search.query));
                    self.search = Search::default();
                }
                return Effect::None;
            }
            _ => {}
        }
        let Some(prompt) = self.search.prompt.as_mut() else {
            return Effect::None;
        };
        prompt.handle_event(&Event::Key(key));
        let query = prompt.value().to_string();
        if query == self.search.query {
            return Effect::None;
        }
        let index = self
            .search_index
            .get_or_init(|| crate::search::Index::new(&self.notebook));
        self.search.hits = index.find(&query);
        self.search.query = query;
        // Incremental: show the first hit at or after where the search began.
        let (origin, _) = self.search.origin;
        let first = self.search.hits.iter().position(|h| h.entry >= origin).or(
            if self.search.hits.is_empty() {
                None
            } else {
                Some(0)
            },
        );
        self.search.current = first;
        match first {
            Some(i) => self.show_hit(i),
            None => Effect::None,
        }
    }

    /// `n` / `N` with hits shown: the next or previous hit, across parts.
    fn search_step(&mut self, forward: bool) -> Effect {
        let n = self.search.hits.len();
        if n == 0 {
            return Effect::None;
        }
        let i = match self.search.current {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None => 0,
        };
        self.search.current = Some(i);
        self.show_hit(i)
    }

    /// Open the hit's entry and scroll so its block is in view.
    fn show_hit(&mut self, i: usize) -> Effect {
        let Some(hit) = self.search.hits.get(i).cloned() else {
            return Effect::None;
        };
        let effect = self.go_to(hit.entry);
        self.refresh_doc();
        let line = hit
            .block
            .and_then(|b| self.doc.starts.get(b).copied())
            .unwrap_or(0);
        // A little context above the hit.
        self.doc_scroll = line.saturating_sub(2).min(self.max_doc_scroll());
        effect
    }

    /// "match 3 of 17 · 4b" for the status line, while hits are shown.
    pub fn search_status(&self) -> Option<String> {
        let i = self.search.current?;
        let hit = self.search.hits.get(i)?;
        let id = self
            .notebook
            .entries
            .get(hit.entry)
            .map(|e| self.notebook.entry_id(*e))
            .unwrap_or_default();
        Some(format!(
            "match {} of {} · {id}",
            i + 1,
            self.search.hits.len()
        ))
    }

    fn cycle_focus(&self, step: i32) -> Pane {
        let mut order = vec![Pane::Toc, Pane::Doc];
        if self.panel_name().is_some() {
            order.push(Pane::Panel);
        }
        let i = order.iter().position(|p| *p == self.focus).unwrap_or(1) as i32;
        order[(i + step).rem_euclid(order.len() as i32) as usize]
    }

    /// What the key map needs to know about the app's modes.
    pub fn key_context(&self) -> action::KeyContext {
        action::KeyContext {
            focus: self.focus,
            overlay_open: self.overlay.is_some(),
            // A panel's own prompt (Problem 1's editor) takes every key too.
            prompt_open: self.search.prompt.is_some() || self.panel_prompt_open(),
            searching: !self.search.hits.is_empty(),
            link_mode: self.link.is_some(),
            outline: self.outline.is_some(),
        }
    }

    fn go_to(&mut self, entry: usize) -> Effect {
        let last = self.notebook.entries.len().saturating_sub(1);
        let entry = entry.min(last);
        if entry != self.entry {
            self.leave_entry();
            self.entry = entry;
            self.doc_scroll = 0;
            // Link numbers and outline rows belong to the entry left behind.
            self.link = None;
            self.outline_entry_changed();
            self.refresh_doc();
            self.arrive_entry();
        }
        if self.focus == Pane::Panel && self.panel_name().is_none() {
            self.focus = Pane::Doc;
        }
        self.refresh_doc();
        self.ensure_panel()
    }

    /// Create the current part's panel on first visit, in the state the part
    /// declares; it may ask for a job.
    fn ensure_panel(&mut self) -> Effect {
        let Some(part) = self.current().and_then(|e| self.notebook.part(e)) else {
            return Effect::None;
        };
        let Some(name) = &part.panel else {
            return Effect::None;
        };
        if self.panels.contains_key(&part.id) {
            return Effect::None;
        }
        let Some(mut panel) = panels::create_in(name, &part.panel_state) else {
            return Effect::None;
        };
        let owner = part.id.clone();
        let name = name.clone();
        self.apply_remembered_panel(&owner, &name, panel.as_mut());
        let job = panel.initial_job();
        self.panels.insert(owner.clone(), panel);
        match job {
            Some(request) => Effect::Jobs(vec![(owner, request)]),
            None => Effect::None,
        }
    }

    /// Put the current part's panel back in the state the part opens it in.
    fn reset_panel(&mut self) -> Effect {
        let Some(owner) = self.panel_owner().map(str::to_string) else {
            self.message = Some("this part has no live panel".into());
            return Effect::None;
        };
        self.panels.remove(&owner);
        if self.job.as_ref().is_some_and(|j| j.panel == owner) {
            // Its result would belong to the panel just thrown away.
            self.job = None;
        }
        self.message = Some("panel reset to this part's opening state".into());
        self.ensure_panel()
    }

    fn panel_key(&mut self, key: panels::PanelKey) -> Effect {
        let Some(owner) = self.panel_owner().map(str::to_string) else {
            if let panels::PanelKey::Char(c) = key {
                self.message = Some(format!("`{c}` does nothing here (? lists the keys)"));
            }
            return Effect::None;
        };
        let Some(panel) = self.panels.get_mut(&owner) else {
            return Effect::None;
        };
        let effect = panel.handle(key);
        if matches!(effect, PanelEffect::Ignored) {
            if let panels::PanelKey::Char(c) = key {
                self.message = Some(format!("`{c}` does nothing here (? lists the keys)"));
            }
        } else if self.rects().panel.is_none() {
            self.message = Some("the panel changed: press v to see it".into());
        }
        match effect {
            PanelEffect::Ignored | PanelEffect::Redraw => Effect::None,
            PanelEffect::Run(request) => Effect::Jobs(vec![(owner, request)]),
        }
    }

    fn click(&mut self, col: u16, row: u16) -> Effect {
        let rects = self.rects();
        let Some(pane) = rects.pane_at(col, row) else {
            return Effect::None;
        };
        let was = std::mem::replace(&mut self.focus, pane);
        if pane == Pane::Toc
            && self.outline.is_some()
            && let Some(rect) = rects.toc
        {
            let inner = layout::inner(rect);
            // The row drawn selected: the cursor when focused, else the heading read.
            let cursor = if was == Pane::Toc {
                self.outline.map_or(0, |o| o.cursor)
            } else {
                self.outline_reading().unwrap_or(0)
            };
            if let Some(o) = self.outline.as_mut() {
                o.cursor = cursor;
            }
            let offset = layout::scroll_offset(cursor, inner.height as usize);
            let clicked = offset + row.saturating_sub(inner.y) as usize;
            if row >= inner.y && clicked < self.outline_items().len() {
                self.outline_move(clicked as isize - cursor as isize);
                return self.outline_jump();
            }
            return Effect::None;
        }
        if pane == Pane::Doc
            && let Some(rect) = rects.doc
            && let Some(i) = self.link_at(rect, col, row)
        {
            self.link = Some(i);
            return self.follow_link();
        }
        if pane == Pane::Toc
            && let Some(rect) = rects.toc
        {
            let inner = layout::inner(rect);
            let offset = layout::scroll_offset(self.entry, inner.height as usize);
            let clicked = offset + row.saturating_sub(inner.y) as usize;
            if row >= inner.y && clicked < self.notebook.entries.len() {
                return self.go_to(clicked);
            }
        }
        Effect::None
    }

    fn scroll_focused(&mut self, delta: isize) -> Effect {
        match self.focus {
            Pane::Doc => {
                self.scroll_doc(delta);
                Effect::None
            }
            Pane::Toc if self.outline.is_some() => {
                self.outline_move(delta);
                Effect::None
            }
            Pane::Toc => {
                let target =
                    (self.entry as isize + delta).clamp(0, self.notebook.entries.len() as isize);
                self.go_to(target as usize)
            }
            Pane::Panel => {
                let key = if delta > 0 {
                    panels::PanelKey::Down
                } else {
                    panels::PanelKey::Up
                };
                self.panel_key(key)
            }
        }
    }

    fn scroll_doc(&mut self, delta: isize) {
        let max = self.max_doc_scroll();
        self.doc_scroll = (self.doc_scroll as isize)
            .saturating_add(delta)
            .clamp(0, max as isize) as usize;
    }

    pub fn doc_height(&self) -> usize {
        self.rects()
            .doc
            .map(|r| layout::inner(r).height as usize)
            .unwrap_or(0)
    }

    fn max_doc_scroll(&self) -> usize {
        self.doc_shown_len().saturating_sub(self.doc_height())
    }

    /// Lay the derivation out again if the entry, width or math setting changed,
    /// and keep the scroll position inside it.
    fn refresh_doc(&mut self) {
        let Some(entry) = self.current() else {
            self.doc = DocLayout::default();
            return;
        };
        let rects = self.rects();
        // In single-pane mode the derivation may be hidden; lay it out for the
        // width it will have when shown, so switching back is instant.
        let doc_rect = rects.doc.or(rects.panel).or(rects.toc).unwrap_or_default();
        let width = layout::doc_text_width(doc_rect);
        let key = Some((self.entry, width, self.math));
        if self.doc.key != key {
            let generation = highlight::generation();
            let l = doc::layout_entry(&self.notebook, entry, width, self.math, &self.theme);
            let awaiting_highlight = highlight::layout_waiting().then_some(generation);
            self.doc = DocLayout {
                key,
                lines: l.lines,
                starts: l.starts,
                awaiting_highlight,
                items: l.items,
                links: l.links,
            };
        }
        self.doc_scroll = self.doc_scroll.min(self.max_doc_scroll());
    }

    /// The highlighting worker finished blocks: lay the derivation out again if
    /// it showed one of them plain. Returns whether anything changed (so the
    /// loop draws).
    pub fn highlights_landed(&mut self) -> bool {
        match self.doc.awaiting_highlight {
            Some(seen) if seen != highlight::generation() => {
                self.doc.key = None;
                self.refresh_doc();
                true
            }
            _ => false,
        }
    }

    /// Record a job the loop has started for a panel (cancelling is the loop's job).
    pub fn job_started(&mut self, panel: String, label: String) -> u64 {
        self.next_job_id += 1;
        self.job = Some(RunningJob {
            id: self.next_job_id,
            panel,
            label,
            progress: None,
            started: Instant::now(),
            elapsed: Duration::ZERO,
        });
        self.next_job_id
    }

    pub fn job_progress(&mut self, id: u64, progress: Progress) {
        if let Some(job) = self.job.as_mut().filter(|j| j.id == id) {
            job.progress = Some(progress);
            job.elapsed = job.started.elapsed();
        }
    }

    /// A job ended: hand its result to its panel, unless a newer job replaced it.
    pub fn job_done(&mut self, id: u64, result: JobResult) {
        let Some(job) = self.job.take_if(|j| j.id == id) else {
            return;
        };
        if let Some(panel) = self.panels.get_mut(&job.panel) {
            panel.job_finished(result);
        }
    }

    /// Run jobs to completion on this thread (headless rendering and tests).
    pub fn run_inline(&mut self, effect: Effect) {
        if let Effect::Jobs(jobs) = effect {
            for (name, request) in jobs {
                let result = request.run_inline();
                if let Some(panel) = self.panels.get_mut(&name) {
                    panel.job_finished(result);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(width: u16, height: u16) -> App {
        App::load(&Source::Embedded, Rect::new(0, 0, width, height))
    }

    #[test]
    fn navigation_moves_through_entries_and_clamps() {
        let mut a = app(160, 48);
        a.update(Action::PrevEntry);
        assert_eq!(a.entry, 0);
        a.update(Action::NextEntry);
        assert_eq!(a.notebook.entry_id(a.current().unwrap()), "1a");
        a.update(Action::JumpProblem(6));
        assert_eq!(a.notebook.entry_id(a.current().unwrap()), "p6");
        for _ in 0..50 {
            a.update(Action::NextEntry);
        }
        assert_eq!(a.entry, a.notebook.entries.len() - 1);
        a.update(Action::JumpProblem(9));
        assert!(a.message.as_deref().unwrap_or("").contains("no problem 9"));
    }

    #[test]
    fn focus_skips_the_panel_when_a_part_has_none() {
        let mut a = app(160, 48);
        assert_eq!(a.focus, Pane::Doc);
        a.update(Action::FocusNext);
        assert_eq!(a.focus, Pane::Toc, "statement has no panel: doc -> toc");
        let entry = a.notebook.find_entry("1a").unwrap();
        a.open(entry);
        a.focus = Pane::Doc;
        a.update(Action::FocusNext);
        assert_eq!(a.focus, Pane::Panel);
        a.update(Action::JumpProblem(3));
        assert_eq!(a.focus, Pane::Doc, "focus leaves a panel that is gone");
    }

    #[test]
    fn doc_scroll_is_clamped_and_reset_per_entry() {
        let mut a = app(80, 12);
        a.update(Action::Bottom);
        let bottom = a.doc_scroll;
        assert_eq!(bottom, a.doc.lines.len() - a.doc_height());
        a.update(Action::Scroll(5));
        assert_eq!(a.doc_scroll, bottom);
        a.update(Action::Top);
        assert_eq!(a.doc_scroll, 0);
        a.update(Action::Bottom);
        a.update(Action::NextEntry);
        assert_eq!(a.doc_scroll, 0);
    }

    #[test]
    fn resizing_reflows_the_derivation() {
        let mut a = app(160, 48);
        let wide = a.doc.lines.len();
        a.update(Action::Resize {
            width: 60,
            height: 48,
        });
        assert!(a.doc.lines.len() > wide, "narrower pane, more lines");
        assert!(a.doc.lines.iter().all(|l| l.width() <= 60));
    }

    #[test]
    fn toggling_math_relays_out_and_help_opens_and_closes() {
        let mut a = app(160, 48);
        a.update(Action::ToggleMath);
        let text: String = a
            .doc
            .lines
            .iter()
            .flat_map(|l| l.spans.iter().map(|s| s.content.to_string()))
            .collect();
        assert!(
            text.contains("$32 \\times 32 \\times 3$"),
            "source mode shows delimiters"
        );
        a.update(Action::ToggleHelp);
        assert_eq!(a.overlay, Some(Overlay::Help));
        a.update(Action::CloseOverlay);
        assert_eq!(a.overlay, None);
    }

    #[test]
    fn narrow_terminals_toggle_the_panel_with_v() {
        let mut a = app(80, 24);
        let entry = a.notebook.find_entry("1a").unwrap();
        a.open(entry);
        a.update(Action::TogglePanelView);
        assert_eq!(a.focus, Pane::Panel);
        assert!(a.rects().panel.is_some() && a.rects().doc.is_none());
        a.update(Action::TogglePanelView);
        assert_eq!(a.focus, Pane::Doc);
    }

    #[test]
    fn a_running_job_estimates_what_is_left_from_measured_progress() {
        let mut job = RunningJob {
            id: 1,
            panel: "activations".into(),
            label: "experiment".into(),
            progress: None,
            started: Instant::now(),
            elapsed: Duration::from_secs(1),
        };
        assert_eq!(job.remaining(), None, "nothing reported yet");
        job.progress = Some(Progress {
            done: 0,
            total: 300,
            label: "relu".into(),
        });
        assert_eq!(job.remaining(), None, "nothing done yet");
        job.progress = Some(Progress {
            done: 100,
            total: 300,
            label: "relu".into(),
        });
        let left = job.remaining().expect("an estimate").as_secs_f64();
        assert!((left - 2.0).abs() < 1e-9, "{left}");
    }
}
