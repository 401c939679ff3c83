//! Live panels: the right-hand pane paired with a part of the notebook.
//!
//! A panel owns its own UI state (cursor, step, knobs) and the latest result of
//! its computation. It draws from `&self` only; anything that changes state goes
//! through [`Panel::handle`], and anything slow is handed back to the app as a
//! [`JobRequest`] so it runs off the draw loop.

pub mod activations;
pub mod bptt;
pub mod canvas;
pub mod layer_table;
pub mod rnn2d;
pub mod seqnorm;
pub mod stepper;
pub mod widen;

use std::any::Any;
use std::ops::ControlFlow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::compute::{Progress, ProgressFn};
use crate::ui::theme::Theme;

/// Input a focused panel may react to. Global keys (quit, part navigation, focus,
/// help) never reach a panel; the rest arrive here first, and a panel returns
/// [`PanelEffect::Ignored`] to let the app use them (for scrolling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelKey {
    Char(char),
    Up,
    Down,
    Left,
    Right,
    Enter,
    /// `g` / Home with the panel focused: its first row or step.
    Top,
    /// `G` / End with the panel focused: its last row or step.
    Bottom,
    /// Any key, while the panel's own prompt is open ([`Panel::prompt_open`]):
    /// the panel edits its input line with it.
    Input(ratatui::crossterm::event::KeyEvent),
}

/// Slow work a panel asks the app to run on a worker thread.
pub struct JobRequest {
    /// Shown with the progress bar while it runs.
    pub label: String,
    pub work: Box<dyn FnOnce(&mut ProgressFn<'_>) -> JobResult + Send>,
}

/// What a job produced: the panel downcasts the output to the type it asked for.
pub type JobResult = Result<Box<dyn Any + Send>, String>;

impl JobRequest {
    pub fn new<T, F>(label: impl Into<String>, work: F) -> Self
    where
        T: Any + Send,
        F: FnOnce(&mut ProgressFn<'_>) -> Result<T, String> + Send + 'static,
    {
        JobRequest {
            label: label.into(),
            work: Box::new(move |progress| {
                work(progress).map(|t| Box::new(t) as Box<dyn Any + Send>)
            }),
        }
    }

    /// Run on the current thread: for tests, `render` and the CLI.
    pub fn run_inline(self) -> JobResult {
        (self.work)(&mut |_: Progress| ControlFlow::Continue(()))
    }
}

/// What handling a key asks of the app.
pub enum PanelEffect {
    /// The key was not for this panel.
    Ignored,
    /// State changed; draw again.
    Redraw,
    /// Start this job (cancelling the panel's previous one, if any).
    Run(JobRequest),
}

/// Read-only facts the app passes when drawing a panel.
pub struct PanelContext<'a> {
    pub theme: &'a Theme,
    pub focused: bool,
    /// Progress of this panel's running job, if one is running.
    pub job: Option<&'a Progress>,
    /// How the notebook shows math (`m`, `u`): the stepper draws a step's
    /// equation the same way.
    pub math: crate::ui::doc::MathSettings,
}

pub trait Panel {
    /// Title for the pane border, e.g. "Layer table · all scalar ops".
    fn title(&self) -> String;

    /// Keys this panel understands, as (key, what it does), for the help overlay
    /// and the panel's own hint line.
    fn keys(&self) -> &'static [(&'static str, &'static str)];

    fn handle(&mut self, key: PanelKey) -> PanelEffect;

    /// Draw into `area`. Must not panic for any size, including 0x0.
    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>);

    /// Columns the panel reads best at; the layout gives it this much when
    /// the derivation keeps a readable measure, and narrows it otherwise.
    fn preferred_width(&self) -> u16 {
        crate::layout::PANEL_DEFAULT_WIDTH
    }

    /// Height the panel needs to show everything at this width (for `render --full`).
    fn full_height(&self, _width: u16) -> u16 {
        40
    }

    /// A job started with [`PanelEffect::Run`] finished.
    fn job_finished(&mut self, _result: JobResult) {}

    /// Whether the panel animates (e.g. play mode) and wants [`Panel::tick`] calls.
    fn animating(&self) -> bool {
        false
    }

    /// Advance an animation by one frame; returns whether anything changed.
    fn tick(&mut self) -> bool {
        false
    }

    /// Work to start as soon as the panel is created (e.g. a default experiment).
    fn initial_job(&mut self) -> Option<JobRequest> {
        None
    }

    /// Set one key of the state a part opens the panel in (`panel_state` in its
    /// front matter). Called on a fresh panel, before [`Panel::initial_job`],
    /// with pairs [`check_state`] accepted against this kind's
    /// [`PanelKind::states`]; anything else is ignored.
    fn apply_state(&mut self, _key: &str, _value: &str) {}

    /// Exam mode revealed one more step of the text: advance the panel one
    /// step with it (a panel with no steps ignores it).
    fn exam_step(&mut self) -> PanelEffect {
        PanelEffect::Ignored
    }

    /// The current value of a `panel_state` key, written as `panel_state`
    /// writes it (so a test can check a panel opened as its part declares).
    fn state_value(&self, _key: &str) -> Option<String> {
        None
    }

    /// Whether the panel's own input line is open: every key (Ctrl-C
    /// aside) then reaches it as [`PanelKey::Input`], none runs a command.
    fn prompt_open(&self) -> bool {
        false
    }
}

/// One key a part may set in `panel_state`, and the values it takes.
pub struct StateKey {
    pub key: &'static str,
    pub values: StateValues,
}

pub enum StateValues {
    /// One of these names.
    OneOf(&'static [&'static str]),
    /// A whole number in this range (inclusive).
    Int { min: i64, max: i64 },
}

impl StateValues {
    fn check(&self, value: &str) -> Result<(), String> {
        match self {
            StateValues::OneOf(names) if names.contains(&value) => Ok(()),
            StateValues::OneOf(names) => Err(format!(
                "`{value}` is not one of {}{}",
                names.join(", "),
                crate::suggest::hint(value, names.iter().copied())
            )),
            StateValues::Int { min, max } => match value.parse::<i64>() {
                Ok(v) if (*min..=*max).contains(&v) => Ok(()),
                _ => Err(format!(
                    "`{value}` is not a whole number from {min} to {max}"
                )),
            },
        }
    }
}

/// Check one `panel_state` entry of a part whose panel is `panel` (the
/// loader's check, so a typo is a content error with file and line).
pub fn check_state(panel: &str, key: &str, value: &str) -> Result<(), String> {
    let kind = kinds()
        .iter()
        .find(|k| k.name == panel)
        .ok_or_else(|| format!("unknown panel `{panel}`"))?;
    let keys = || kind.states.iter().map(|s| s.key);
    let state = kind.states.iter().find(|s| s.key == key).ok_or_else(|| {
        if kind.states.is_empty() {
            format!("panel `{panel}` has no state to set (unknown key `{key}`)")
        } else {
            format!(
                "panel `{panel}` has no state key `{key}`{} (keys: {})",
                crate::suggest::hint(key, keys()),
                keys().collect::<Vec<_>>().join(", ")
            )
        }
    })?;
    state
        .values
        .check(value)
        .map_err(|why| format!("{key}: {why}"))
}

/// A panel of kind `name` in the opening state `state` (validated pairs).
pub fn create_in(name: &str, state: &[(String, String)]) -> Option<Box<dyn Panel>> {
    let mut panel = create(name)?;
    for (key, value) in state {
        panel.apply_state(key, value);
    }
    Some(panel)
}

/// [`create_in`], with the panel's [`Panel::initial_job`] run to completion
/// on this thread: the panel as a student sees it once its first result is in
/// (for tests, the CLI and headless rendering; the app runs that job off the
/// draw loop instead).
pub fn create_ready(name: &str, state: &[(String, String)]) -> Option<Box<dyn Panel>> {
    let mut panel = create_in(name, state)?;
    if let Some(job) = panel.initial_job() {
        panel.job_finished(job.run_inline());
    }
    Some(panel)
}

/// Every panel name a content file may use, with its constructor.
pub struct PanelKind {
    pub name: &'static str,
    pub summary: &'static str,
    pub create: fn() -> Box<dyn Panel>,
    /// What a part may set in `panel_state` (see [`Panel::apply_state`]).
    pub states: &'static [StateKey],
}

pub fn kinds() -> &'static [PanelKind] {
    static KINDS: &[PanelKind] = &[
        layer_table::KIND,
        activations::KIND,
        widen::KIND,
        seqnorm::KIND,
        bptt::KIND,
        rnn2d::KIND,
    ];
    KINDS
}

pub fn names() -> Vec<&'static str> {
    kinds().iter().map(|k| k.name).collect()
}

pub fn create(name: &str) -> Option<Box<dyn Panel>> {
    kinds()
        .iter()
        .find(|k| k.name == name)
        .map(|k| (k.create)())
}
