//! Problem 6's panel: step through the 2D RNN module cell by cell, forwards and
//! backwards, see an output's receptive field measured from the Jacobian, the FLOP
//! comparison with a 3×3 conv, and the live gradient check.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::stepper::Stepper;
use super::{
    JobRequest, JobResult, Panel, PanelContext, PanelEffect, PanelKey, PanelKind, StateKey,
    StateValues,
};
use crate::compute::rnn2d::flops::{self, FlopCount};
use crate::compute::rnn2d::receptive::{self, Measured};
use crate::compute::rnn2d::trace::{self, Trace};
use crate::compute::rnn2d::{self, GradCheckReport, Problem, Rnn};
use crate::ui::theme::Theme;

pub const KIND: PanelKind = PanelKind {
    name: "rnn2d",
    summary: "Problem 6: step through the 2D RNN module forwards and backwards",
    create: || Box::new(Rnn2dPanel::new()),
    states: &[
        StateKey {
            key: "mode",
            values: StateValues::OneOf(&["forward", "backward", "receptive-field"]),
        },
        // Steps done in the trace of `mode` (clamped to its length); keys are
        // applied in name order, so `mode` is set first.
        StateKey {
            key: "step",
            values: StateValues::Int {
                min: 0,
                max: 10_000,
            },
        },
    ],
};

/// Bounds on the panel's sizes: the grid fits 40 columns and the gradient check
/// (every entry, two forward passes each) stays a few milliseconds.
pub const MAX_HW: usize = 10;
pub const MAX_C: usize = 4;
/// Play mode advances one step every this many ticks (~100 ms each).
pub const TICKS_PER_STEP: u32 = super::stepper::TICKS_PER_STEP;

const KEYS: &[(&str, &str)] = &[
    ("space/l", "step forward"),
    ("h", "step back"),
    ("r", "restart"),
    ("f", "forward trace"),
    ("b", "backward trace"),
    ("a", "play / pause"),
    ("x", "select H, W or C"),
    ("+/-", "grow / shrink the selected size"),
    ("s", "new seed"),
    ("c", "cycle: forward / backward / receptive field"),
    ("g/G", "first / last step"),
    ("B", "start of the backward pass"),
    (
        "arrows",
        "step (in a trace) / choose the output cell (receptive field)",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Forward,
    Backward,
    Receptive,
}

/// Everything computed for the current sizes and seed.
struct Data {
    problem: Problem,
    /// The cell-by-cell record the grid is drawn from.
    trace: Trace,
    counted: (FlopCount, FlopCount),
    receptive: Measured,
}

pub struct Rnn2dPanel {
    /// [H, W, C]
    dims: [usize; 3],
    /// Which of `dims` the +/- keys change.
    selected: usize,
    seed: u64,
    mode: Mode,
    /// The trace mode to return to when leaving receptive-field mode.
    last_trace: Mode,
    /// The forward then the backward pass as common steps: owns the position
    /// (forward steps 1..=F, then backward) and play.
    stepper: Stepper,
    /// Output cell whose receptive field is shown.
    rf_cell: (usize, usize),
    data: Data,
    /// Bumped on every recompute, so a stale grad-check job is ignored.
    generation: u64,
    grad_check: Option<Result<GradCheckReport, String>>,
}

impl Default for Rnn2dPanel {
    fn default() -> Self {
        Self::new()
    }
}

impl Rnn2dPanel {
    pub fn new() -> Self {
        let (h, w, c) = rnn2d::DEFAULT_DIMS;
        Self::with(h, w, c, rnn2d::DEFAULT_SEED)
    }

    /// A panel at the given sizes (clamped to the panel's bounds) and seed.
    pub fn with(h: usize, w: usize, c: usize, seed: u64) -> Self {
        let dims = [h.clamp(1, MAX_HW), w.clamp(1, MAX_HW), c.clamp(1, MAX_C)];
        let rf_cell = (dims[0] - 1, dims[1] - 1);
        let mut panel = Rnn2dPanel {
            dims,
            selected: 0,
            seed,
            mode: Mode::Forward,
            last_trace: Mode::Forward,
            stepper: Stepper::default(),
            rf_cell,
            data: compute(dims, seed, rf_cell),
            generation: 0,
            grad_check: None,
        };
        panel.retrace();
        panel
    }

    fn retrace(&mut self) {
        self.stepper
            .set_trace(trace::to_common(&self.data.trace, &self.data.problem));
    }

    pub fn stepper(&self) -> &Stepper {
        &self.stepper
    }

    /// Advance the trace one step (exam mode's hook).
    pub fn advance_step(&mut self) -> bool {
        let moved = self.stepper.advance();
        self.follow_stepper();
        moved
    }

    /// Forward steps in the trace (the backward pass starts after them).
    fn forward_len(&self) -> usize {
        self.data.trace.forward.len()
    }

    /// Show the pass the stepper is in (at the boundary, keep the mode).
    fn follow_stepper(&mut self) {
        let (pos, _) = self.stepper.position();
        let f = self.forward_len();
        if pos < f {
            self.mode = Mode::Forward;
        } else if pos > f {
            self.mode = Mode::Backward;
        }
        if self.mode != Mode::Receptive {
            self.last_trace = self.mode;
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Steps completed in the pass being shown, and its length.
    pub fn position(&self) -> (usize, usize) {
        let (pos, _) = self.stepper.position();
        let f = self.forward_len();
        match self.mode {
            Mode::Backward => (pos.saturating_sub(f), self.data.trace.backward.len()),
            _ => (pos.min(f), f),
        }
    }

    /// Set the position within the pass being shown.
    fn set_position(&mut self, pos: usize) {
        let f = self.forward_len();
        match self.mode {
            Mode::Backward => self
                .stepper
                .set_position(f + pos.min(self.data.trace.backward.len())),
            _ => self.stepper.set_position(pos.min(f)),
        }
    }

    /// The grad-check job for the current data.
    fn grad_check_job(&mut self) -> JobRequest {
        self.grad_check = None;
        let generation = self.generation;
        let problem = self.data.problem.clone();
        JobRequest::new("grad check", move |progress| {
            let f = rnn2d::module::forward(&problem.x, &problem.weights);
            let g = rnn2d::module::backward(&problem.x, &problem.weights, &f, &problem.g);
            rnn2d::grad_check(&problem, &g, None, progress)
                .map(|r| (generation, r))
                .map_err(|e| e.to_string())
        })
    }

    fn recompute(&mut self) -> PanelEffect {
        self.rf_cell = (
            self.rf_cell.0.min(self.dims[0] - 1),
            self.rf_cell.1.min(self.dims[1] - 1),
        );
        self.data = compute(self.dims, self.seed, self.rf_cell);
        self.stepper = Stepper::default();
        self.retrace();
        if self.mode == Mode::Backward {
            self.set_position(0);
        }
        self.generation += 1;
        PanelEffect::Run(self.grad_check_job())
    }

    fn resize(&mut self, grow: bool) -> PanelEffect {
        let max = if self.selected == 2 { MAX_C } else { MAX_HW };
        let v = self.dims[self.selected];
        let next = if grow {
            (v + 1).min(max)
        } else {
            v.saturating_sub(1).max(1)
        };
        if next == v {
            return PanelEffect::Redraw;
        }
        self.dims[self.selected] = next;
        self.recompute()
    }

    fn move_rf(&mut self, di: isize, dj: isize) -> PanelEffect {
        let (i, j) = self.rf_cell;
        let i = i.saturating_add_signed(di).min(self.dims[0] - 1);
        let j = j.saturating_add_signed(dj).min(self.dims[1] - 1);
        if (i, j) != self.rf_cell {
            self.rf_cell = (i, j);
            self.data.receptive = receptive::measured(&self.data.problem, i, j);
        }
        PanelEffect::Redraw
    }
}

fn compute(dims: [usize; 3], seed: u64, rf: (usize, usize)) -> Data {
    let problem = Problem::random(dims[0], dims[1], dims[2], seed);
    let (_, _, trace) = trace::record(&problem);
    let counted = flops::counted(&problem);
    let receptive = receptive::measured(&problem, rf.0, rf.1);
    Data {
        problem,
        trace,
        counted,
        receptive,
    }
}

impl Panel for Rnn2dPanel {
    /// One cell further through the trace shown (forward or backward); the
    /// receptive-field view has no steps.
    fn exam_step(&mut self) -> PanelEffect {
        if self.mode == Mode::Receptive {
            return PanelEffect::Ignored;
        }
        if self.advance_step() {
            PanelEffect::Redraw
        } else {
            PanelEffect::Ignored
        }
    }

    fn title(&self) -> String {
        let [h, w, c] = self.dims;
        let what = match self.mode {
            Mode::Forward => "forward",
            Mode::Backward => "backward",
            Mode::Receptive => "receptive field",
        };
        format!("2D RNN · {what} · {h}×{w}×{c}")
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        KEYS
    }

    fn handle(&mut self, key: PanelKey) -> PanelEffect {
        let in_trace = self.mode != Mode::Receptive;
        if in_trace && let Some(effect) = self.stepper.handle(key) {
            self.follow_stepper();
            return effect;
        }
        match key {
            PanelKey::Char('r') => {
                self.stepper.set_position(0);
                if let Mode::Receptive = self.mode {
                    self.last_trace = Mode::Forward;
                }
                PanelEffect::Redraw
            }
            PanelKey::Char('f') => {
                self.mode = Mode::Forward;
                self.last_trace = Mode::Forward;
                self.set_position(0);
                PanelEffect::Redraw
            }
            PanelKey::Char('b') => {
                self.mode = Mode::Backward;
                self.last_trace = Mode::Backward;
                self.set_position(0);
                PanelEffect::Redraw
            }
            PanelKey::Char('c') => {
                self.mode = match self.mode {
                    Mode::Forward => Mode::Backward,
                    Mode::Backward => Mode::Receptive,
                    Mode::Receptive => Mode::Forward,
                };
                if self.mode != Mode::Receptive {
                    self.last_trace = self.mode;
                    self.set_position(0);
                }
                PanelEffect::Redraw
            }
            PanelKey::Char('x') => {
                self.selected = (self.selected + 1) % 3;
                PanelEffect::Redraw
            }
            PanelKey::Char('+' | '=') => self.resize(true),
            PanelKey::Char('-' | '_') => self.resize(false),
            PanelKey::Char('s') => {
                self.seed = self.seed.wrapping_add(1);
                self.recompute()
            }
            PanelKey::Up if !in_trace => self.move_rf(-1, 0),
            PanelKey::Down if !in_trace => self.move_rf(1, 0),
            PanelKey::Left if !in_trace => self.move_rf(0, -1),
            PanelKey::Right if !in_trace => self.move_rf(0, 1),
            _ => PanelEffect::Ignored,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let t = ctx.theme;
        let hint_rows = u16::from(area.height >= 3);
        let mut lines = self.body(
            area.width,
            Some(usize::from(area.height - hint_rows)),
            t,
            ctx.math,
        );
        if let Some(p) = ctx.job {
            lines.insert(
                1,
                Line::styled(format!("{} {}/{}", p.label, p.done, p.total), t.warning),
            );
        }
        let body = Rect {
            height: area.height - hint_rows,
            ..area
        };
        for (row, line) in lines.iter().take(usize::from(body.height)).enumerate() {
            let r = Rect {
                y: body.y + row as u16,
                height: 1,
                ..body
            };
            super::canvas::put_line(buf, r, line);
        }
        if hint_rows == 1 {
            let hint = Rect {
                y: area.y + area.height - 1,
                height: 1,
                ..area
            };
            super::canvas::put_line(buf, hint, &Line::styled(self.hint(area.width), t.dim));
        }
    }

    fn full_height(&self, width: u16) -> u16 {
        self.body(
            width,
            None,
            &Theme::default(),
            crate::ui::doc::MathSettings::default(),
        )
        .len() as u16
            + 1
    }

    fn state_value(&self, key: &str) -> Option<String> {
        let mode = match self.mode {
            Mode::Forward => "forward",
            Mode::Backward => "backward",
            Mode::Receptive => "receptive-field",
        };
        match key {
            "mode" => Some(mode.to_string()),
            "step" => Some(self.position().0.to_string()),
            _ => None,
        }
    }

    fn apply_state(&mut self, key: &str, value: &str) {
        if key == "step" {
            if let Ok(step) = value.parse::<usize>() {
                self.set_position(step);
            }
            return;
        }
        let mode = match (key, value) {
            ("mode", "forward") => Mode::Forward,
            ("mode", "backward") => Mode::Backward,
            ("mode", "receptive-field") => Mode::Receptive,
            _ => return,
        };
        self.mode = mode;
        if mode != Mode::Receptive {
            self.last_trace = mode;
        }
    }

    fn job_finished(&mut self, result: JobResult) {
        self.grad_check = Some(match result {
            Ok(any) => match any.downcast::<(u64, GradCheckReport)>() {
                Ok(r) if r.0 == self.generation => Ok(r.1),
                Ok(_) => return,
                Err(_) => Err("unexpected job result".into()),
            },
            Err(e) => Err(e),
        });
    }

    fn animating(&self) -> bool {
        self.stepper.playing()
    }

    fn tick(&mut self) -> bool {
        let changed = self.stepper.tick();
        self.follow_stepper();
        changed
    }

    fn initial_job(&mut self) -> Option<JobRequest> {
        Some(self.grad_check_job())
    }
}

/// What a grid cell shows.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Pending,
    Done(char),
    Current(char),
    Field,
    Output,
    /// Where the current backward step sends dh_prev.
    Flow(char),
}

impl Rnn2dPanel {
    /// The longest key hint that fits the width.
    fn hint(&self, width: u16) -> &'static str {
        let options: &[&str] = if self.mode == Mode::Receptive {
            &[
                "arrows choose output cell · c/f/b back to a trace · x select, +/- size · s seed",
                "arrows cell · c/f/b trace · x +/- size · s seed",
                "arrows · c/f/b · x +/- · s",
            ]
        } else {
            &[
                "space/l step · h back · r restart · c mode · a play · x +/- size · s seed",
                "spc/l step·h back·r restart·c mode·a play·x +/- size·s seed",
                "spc/l h step·r·c mode·a play·x +/-·s",
            ]
        };
        let fits = |o: &&&str| o.chars().count() <= usize::from(width);
        options
            .iter()
            .find(fits)
            .copied()
            .unwrap_or(options[options.len() - 1])
    }

    fn size_line(&self, t: &Theme) -> Line<'static> {
        let names = ["H", "W", "C"];
        let mut spans = vec![Span::styled("size ", t.dim)];
        for (k, (name, value)) in names.iter().zip(self.dims).enumerate() {
            let style = if k == self.selected {
                t.selected
            } else {
                t.text
            };
            spans.push(Span::styled(format!("{name}={value}"), style));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(format!("seed {}", self.seed), t.dim));
        if self.stepper.playing() {
            spans.push(Span::styled(" ▶ playing", t.accent));
        }
        Line::from(spans)
    }

    fn grad_check_line(&self, narrow: bool, t: &Theme) -> Line<'static> {
        match &self.grad_check {
            None => Line::styled("grad check: running…", t.warning),
            Some(Err(e)) => Line::styled(format!("grad check failed: {e}"), t.bad),
            Some(Ok(r)) => {
                let (mark, style) = if r.passed() {
                    ("✓", t.good)
                } else {
                    ("✗", t.bad)
                };
                let (label, entries) = if narrow {
                    ("grad check", format!(" ({})", r.checked))
                } else {
                    (
                        "grad check: max rel err",
                        format!(" ({} entries)", r.checked),
                    )
                };
                Line::from(vec![
                    Span::styled(format!("{label} {:.1e} ", r.max_rel_error), t.text),
                    Span::styled(mark, style),
                    Span::styled(entries, t.dim),
                ])
            }
        }
    }

    /// Rows of the grid around `focus`, at most `budget` of them (all when None);
    /// a hidden range is summarised in one line.
    fn grid(
        &self,
        marks: &[Vec<Mark>],
        focus: usize,
        budget: Option<usize>,
        t: &Theme,
    ) -> Vec<Line<'static>> {
        let [_, w, _] = self.dims;
        let mut head = vec![Span::styled("    j→", t.dim)];
        for j in 0..w {
            head.push(Span::styled(format!("{j:>2}"), t.dim));
        }
        let mut lines = vec![Line::from(head)];
        let rows = marks.len();
        let shown = budget.unwrap_or(rows).clamp(1, rows.max(1));
        let first = focus
            .saturating_sub(shown / 2)
            .min(rows.saturating_sub(shown));
        let window = first..(first + shown).min(rows);
        for (i, row) in marks.iter().enumerate() {
            if !window.contains(&i) {
                continue;
            }
            let label = if i == 0 {
                format!(" i↓{i:>2} ")
            } else {
                format!("   {i:>2} ")
            };
            let mut spans = vec![Span::styled(label, t.dim)];
            // The current cell is bracketed (visible without colour): "A[A]· ·".
            let is_current = |m: &Mark| matches!(m, Mark::Current(_) | Mark::Output);
            let mut after_current = false;
            for m in row {
                let (text, style): (String, Style) = match *m {
                    Mark::Pending => ("·".into(), t.dim),
                    Mark::Done(c) => (c.to_string(), t.text),
                    Mark::Current(c) => (c.to_string(), t.selected),
                    Mark::Field => ("█".into(), t.accent),
                    Mark::Output => ("◎".into(), t.selected),
                    Mark::Flow(c) => (c.to_string(), t.accent),
                };
                let sep = if is_current(m) {
                    "["
                } else if after_current {
                    "]"
                } else {
                    " "
                };
                spans.push(Span::styled(sep, t.current));
                spans.push(Span::styled(text, style));
                after_current = is_current(m);
            }
            if after_current {
                spans.push(Span::styled("]", t.current));
            }
            lines.push(Line::from(spans));
        }
        if shown < rows {
            lines.push(Line::styled(
                format!(
                    "   ⋮ rows {}–{} of {rows} shown",
                    window.start,
                    window.end - 1
                ),
                t.dim,
            ));
        }
        lines
    }

    /// The panel's lines; with `height`, grid rows are dropped around the focus
    /// cell so the equation and the FLOP table still fit.
    fn body(
        &self,
        width: u16,
        height: Option<usize>,
        t: &Theme,
        m: crate::ui::doc::MathSettings,
    ) -> Vec<Line<'static>> {
        // The step's rows: what the height leaves beside the other sections
        // (head, size, check, legend, done, blank, FLOP table: 11) and three
        // grid rows; the stepper drops detail to fit.
        let eq_rows = height.map_or(usize::MAX, |h| h.saturating_sub(14).max(4));
        let full = self.body_with(width, None, eq_rows, t, m);
        let rows = self.dims[0];
        match height {
            Some(h) if full.len() > h && rows > 2 => {
                let excess = full.len() - h;
                // One line more for the "rows shown" summary.
                let budget = rows.saturating_sub(excess + 1).max(2);
                self.body_with(width, Some(budget), eq_rows, t, m)
            }
            _ => full,
        }
    }

    fn body_with(
        &self,
        width: u16,
        budget: Option<usize>,
        eq_rows: usize,
        t: &Theme,
        m: crate::ui::doc::MathSettings,
    ) -> Vec<Line<'static>> {
        let narrow = width < 56;
        let mut lines = Vec::new();
        let [h, w, _] = self.dims;
        match self.mode {
            Mode::Forward | Mode::Backward => {
                let (pos, len) = self.position();
                let pass = if self.mode == Mode::Forward {
                    "Forward"
                } else {
                    "Backward"
                };
                let current = pos.checked_sub(1);
                let focus = current.map_or(0, |k| match self.mode {
                    Mode::Forward => self.data.trace.forward[k].i,
                    _ => self.data.trace.backward[k].i,
                });
                let mut marks = vec![vec![Mark::Pending; w]; h];
                let mut head = if narrow {
                    format!(
                        "{} {pos}/{len}",
                        if self.mode == Mode::Forward {
                            "Fwd"
                        } else {
                            "Bwd"
                        }
                    )
                } else {
                    format!("{pass} step {pos}/{len}")
                };
                if self.mode == Mode::Forward {
                    for (k, s) in self.data.trace.forward[..pos].iter().enumerate() {
                        let c = if s.rnn == Rnn::A { 'A' } else { 'B' };
                        marks[s.i][s.j] = if Some(k) == current {
                            Mark::Current(c)
                        } else {
                            Mark::Done(c)
                        };
                    }
                } else {
                    for (k, s) in self.data.trace.backward[..pos].iter().enumerate() {
                        let c = if s.rnn == Rnn::B { 'b' } else { 'a' };
                        marks[s.i][s.j] = if Some(k) == current {
                            Mark::Current(c)
                        } else {
                            Mark::Done(c)
                        };
                    }
                    // Where this step's dh_prev flows: up the column for B, left
                    // along the row for A.
                    if let Some(s) = current.map(|k| &self.data.trace.backward[k]) {
                        let target = match s.rnn {
                            Rnn::B => s.i.checked_sub(1).map(|i| (i, s.j, '↑')),
                            Rnn::A => s.j.checked_sub(1).map(|j| (s.i, j, '←')),
                        };
                        if let Some((i, j, arrow)) = target {
                            marks[i][j] = Mark::Flow(arrow);
                        }
                    }
                }
                if let Some(k) = current {
                    let (rnn, i, j) = match self.mode {
                        Mode::Forward => {
                            let s = &self.data.trace.forward[k];
                            (s.rnn, s.i, s.j)
                        }
                        _ => {
                            let s = &self.data.trace.backward[k];
                            (s.rnn, s.i, s.j)
                        }
                    };
                    // The direction the scan moves in this pass.
                    let arrow = match (rnn, self.mode == Mode::Forward) {
                        (Rnn::A, true) => '→',
                        (Rnn::A, false) => '←',
                        (Rnn::B, true) => '↓',
                        (Rnn::B, false) => '↑',
                    };
                    let dir = match (rnn, narrow) {
                        (Rnn::A, false) => format!("RNN A {arrow} row {i}"),
                        (Rnn::B, false) => format!("RNN B {arrow} column {j}"),
                        (Rnn::A, true) => format!("A {arrow} row {i}"),
                        (Rnn::B, true) => format!("B {arrow} col {j}"),
                    };
                    head += &if narrow {
                        format!(" · {dir} · ({i},{j})")
                    } else {
                        format!(" · {dir} · cell ({i},{j})")
                    };
                }
                lines.push(Line::styled(head, t.current));
                lines.push(self.size_line(t));
                lines.push(self.grad_check_line(narrow, t));
                lines.extend(self.grid(&marks, focus, budget, t));
                let legend = match (self.mode == Mode::Forward, narrow) {
                    (true, false) => "A: H^A done  B: H^B done  (A rows →, then B columns ↓)",
                    (false, false) => "b: dY done  a: dX done  ↑←: dh_prev goes there next",
                    (true, true) => "A/B: H^A/H^B done (rows →, cols ↓)",
                    (false, true) => "b/a: dY/dX done  ↑←: dh_prev next",
                };
                lines.push(Line::styled(legend, t.dim));
                match (self.mode, current) {
                    (_, None) => lines.push(Line::styled(
                        "press space or l to run the first step",
                        t.dim,
                    )),
                    // The common stepper draws the step (its current step is this one).
                    (_, Some(_)) => {
                        // The head line already says where the step is.
                        lines.extend(self.stepper.lines_within_opt(width, eq_rows, false, t, m))
                    }
                }
                if pos == len && len > 0 {
                    let done = match (self.mode == Mode::Forward, width >= 46) {
                        (true, true) => "forward done: H^B is the module's output",
                        (true, false) => "forward done: H^B is the output",
                        (false, true) => "backward done: dX and all four dW accumulated",
                        (false, false) => "backward done: dX, all four dW",
                    };
                    lines.push(Line::styled(done, t.good));
                }
            }
            Mode::Receptive => {
                let (i, j) = self.rf_cell;
                lines.push(Line::styled(
                    format!("Receptive field of output H^B[{i},{j}]"),
                    t.current,
                ));
                lines.push(self.size_line(t));
                lines.push(self.grad_check_line(narrow, t));
                let m = &self.data.receptive;
                let mut marks = vec![vec![Mark::Pending; w]; h];
                for ((p, q), &on) in m.mask.indexed_iter() {
                    if on {
                        marks[p][q] = Mark::Field;
                    }
                }
                if i < h && j < w {
                    marks[i][j] = Mark::Output;
                }
                lines.extend(self.grid(&marks, i, budget, t));
                let measured = m.positions();
                let formula = receptive::structural_size(i, j);
                let c = self.dims[2];
                lines.push(Line::styled(
                    format!("Jacobian dH^B[{i},{j}]/dX non-zero at:"),
                    t.text,
                ));
                lines.push(Line::styled(
                    format!(
                        " {measured} positions, {} of {} entries",
                        m.nonzero_entries,
                        h * w * c
                    ),
                    t.text,
                ));
                let (mark, style) =
                    if measured == formula && m.mask == receptive::structural(h, w, i, j) {
                        ("✓ agree", t.good)
                    } else {
                        ("✗ differ", t.bad)
                    };
                lines.push(Line::from(vec![
                    Span::styled(
                        format!(" formula (i+1)(j+1) = {}·{} = {formula} ", i + 1, j + 1),
                        t.text,
                    ),
                    Span::styled(mark, style),
                ]));
                lines.push(Line::styled(
                    if narrow {
                        " rows 0..=i of columns 0..=j"
                    } else {
                        " rows 0..=i, columns 0..=j: A brings a row in, B a column"
                    },
                    t.dim,
                ));
            }
        }
        lines.push(Line::raw(""));
        lines.extend(self.flop_table(narrow, t));
        lines
    }

    fn flop_table(&self, narrow: bool, t: &Theme) -> Vec<Line<'static>> {
        let [h, w, c] = self.dims.map(|d| d as u64);
        let fwd = flops::forward(h, w, c).total();
        let bwd = flops::backward(h, w, c).total();
        let conv = flops::conv3x3(h, w, c);
        let check = |formula: u64, counted: FlopCount| {
            if formula == counted.total() {
                Span::styled(" ✓", t.good)
            } else {
                Span::styled(format!(" ✗ {}", counted.total()), t.bad)
            }
        };
        let (fl, bl, cl) = if narrow {
            ("fwd  8HWC²", "bwd  HW(16C²+4C)", "conv 18HWC²")
        } else {
            (
                "module forward   8HWC²",
                "module backward  HW(16C²+4C)",
                "3×3 conv + bias  18HWC²",
            )
        };
        let pad = if narrow { 17 } else { 30 };
        vec![
            Line::styled(
                format!("{:<pad$}{:>8}  counted", "FLOPs", "formula"),
                t.table_header,
            ),
            Line::from(vec![
                Span::styled(format!("{fl:<pad$}{fwd:>8}"), t.text),
                check(fwd, self.data.counted.0),
            ]),
            Line::from(vec![
                Span::styled(format!("{bl:<pad$}{bwd:>8}"), t.text),
                check(bwd, self.data.counted.1),
            ]),
            Line::styled(format!("{cl:<pad$}{conv:>8}"), t.text),
            Line::styled(
                format!(
                    "fwd/conv = {:.3} (4/9 for every C)",
                    fwd as f64 / conv as f64
                ),
                t.text,
            ),
        ]
    }
}
