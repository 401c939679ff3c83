//! Problem 5's panel: a checkpointing schedule played step by step on a
//! timeline of the states `h_0 … h_T` (which are stored, which was just
//! recomputed, which are backpropagated), with its counters, the comparison
//! with the baseline gradients and the live grad check, a chart of the
//! forward steps against the memory `M`, and a table comparing schedules at
//! equal memory for larger `T`.
//!
//! Everything is computed in `compute::bptt` when a key changes the settings
//! (the trace and a numeric run at `T ≤ 64` take well under a millisecond in
//! release); `render` only draws.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthStr;

use super::canvas::Canvas;
use super::canvas::pick_hint;
use super::stepper::Stepper;
use super::{Panel, PanelContext, PanelEffect, PanelKey, PanelKind, StateKey, StateValues};
use crate::compute::bptt::schedule::{self, Frame, Op, Schedule};
use crate::compute::bptt::trace;
use crate::compute::bptt::{
    self as bptt, Comparison, CostPoint, DEFAULT_C, DEFAULT_K, DEFAULT_M, DEFAULT_SEED, DEFAULT_T,
    Numeric, Problem, compare, cost_versus_memory, fmt_ratio, ratio,
};
use crate::compute::layer_table::thousands;
use crate::compute::no_progress;

/// Opens on the recursive halving at its deepest point (5(a)); a part may
/// open it on another schedule and budget (5(b): `schedule = "optimal"`,
/// `memory = 4`).
pub const KIND: PanelKind = PanelKind {
    name: "bptt",
    summary: "Problem 5: checkpointed BPTT schedules step by step, cost against memory",
    create: || Box::new(BpttPanel::new()),
    states: &[
        StateKey {
            key: "schedule",
            values: StateValues::OneOf(Schedule::NAMES),
        },
        StateKey {
            key: "memory",
            values: StateValues::Int { min: 1, max: 64 },
        },
        // Actions done (clamped to the trace); applied after schedule and
        // memory, which make the trace.
        StateKey {
            key: "step",
            values: StateValues::Int {
                min: 0,
                max: 100_000,
            },
        },
    ],
};

/// Sequence lengths `+`/`-` step through.
pub const T_VALUES: [u64; 8] = [4, 8, 12, 16, 24, 32, 48, 64];
/// Budgets `[`/`]` step through for the fixed and optimal schedules (up to `T`).
pub const M_RANGE: std::ops::RangeInclusive<u64> = 1..=64;
/// Ticks (~100 ms each) between animation steps.
const TICKS_PER_STEP: u32 = 2;

const KEYS: &[(&str, &str)] = &[
    ("space/l", "next action"),
    ("h", "previous action"),
    ("a", "play / pause"),
    ("r g", "restart (first action)"),
    ("G", "jump to the end"),
    (
        "c",
        "cycle the schedule: store-all / recursive / fixed M / optimal M",
    ),
    ("+/-", "sequence length T"),
    ("[/]", "memory M of the fixed and optimal schedules"),
    ("↑/↓", "scroll"),
];

pub struct BpttPanel {
    schedule: Schedule,
    t: u64,
    /// Budget of the fixed and optimal schedules.
    m: u64,
    /// The schedule's actions as a common trace: owns the position (frames
    /// applied so far, 0 = before the first action) and play.
    stepper: Stepper,
    scroll: u16,
    view: Result<View, String>,
}

/// What the panel shows for the current settings.
struct View {
    t: u64,
    slots: u64,
    frames: Vec<Frame>,
    numeric: Numeric,
    /// Count table rows: `T`, then the larger reference lengths.
    table: Vec<Comparison>,
    /// Forward steps against `M` at the panel's `T`.
    chart: Vec<CostPoint>,
}

impl BpttPanel {
    /// 5(a): the recursive halving at `T = 16`.
    pub fn new() -> Self {
        Self::opened(Schedule::Recursive, DEFAULT_M)
    }

    fn opened(schedule: Schedule, m: u64) -> Self {
        let mut panel = BpttPanel {
            schedule,
            t: DEFAULT_T,
            m,
            stepper: Stepper::default().with_pace(TICKS_PER_STEP),
            scroll: 0,
            view: Err(String::new()),
        };
        panel.recompute();
        // Open just before the first backward step: the deepest point, where
        // every checkpoint of the descent and the freshly computed h_T are
        // held at once.
        panel.stepper.set_position(panel.first_backward());
        panel
    }

    fn slots(&self) -> u64 {
        if self.schedule.takes_budget() {
            self.m
        } else {
            self.schedule.slots_needed(self.t, self.m)
        }
    }

    fn recompute(&mut self) {
        let slots = self.slots();
        let (schedule, t) = (self.schedule, self.t);
        // The grad check depends on T only (same seeded problem for every
        // schedule), so a schedule or M change reuses it: most of the cost.
        let cached = match &self.view {
            Ok(v) if v.t == t => Some(v.numeric.grad_check),
            _ => None,
        };
        self.view = schedule::trace(schedule, t, slots).and_then(|frames| {
            let p = Problem::seeded(DEFAULT_SEED, t as usize, DEFAULT_K, DEFAULT_C);
            let base = bptt::baseline(&p);
            let (grads, counts) = bptt::run_schedule(&p, schedule, slots, &mut no_progress)
                .map_err(|e| e.to_string())?;
            let numeric = Numeric {
                max_abs_diff_to_baseline: grads.max_abs_diff(&base),
                grad_check: cached.unwrap_or_else(|| bptt::grad_check(&p, &base)),
                grads,
                counts,
            };
            let mut lengths = vec![t, 1024, 1_000_000];
            lengths.dedup();
            let table = lengths.into_iter().map(|n| compare(n, self.m)).collect();
            Ok(View {
                t,
                slots,
                frames,
                numeric,
                table,
                chart: cost_versus_memory(t),
            })
        });
        let trace = match &self.view {
            Ok(v) => trace::to_common(&v.frames, v.t),
            Err(_) => crate::compute::trace::Trace::default(),
        };
        self.stepper.set_trace(trace);
    }

    /// Frames applied so far.
    fn pos(&self) -> usize {
        self.stepper.position().0
    }

    pub fn stepper(&self) -> &Stepper {
        &self.stepper
    }

    /// Advance the schedule one action (exam mode's hook).
    pub fn advance_step(&mut self) -> bool {
        self.stepper.advance()
    }

    fn first_backward(&self) -> usize {
        self.view.as_ref().map_or(0, |v| {
            v.frames
                .iter()
                .position(|f| matches!(f.op, Op::Backward { .. }))
                .unwrap_or(0)
        })
    }

    fn step_t(&mut self, up: bool) {
        let i = T_VALUES.iter().position(|v| *v == self.t).unwrap_or(3);
        let i = if up {
            (i + 1).min(T_VALUES.len() - 1)
        } else {
            i.saturating_sub(1)
        };
        self.t = T_VALUES[i];
        self.m = self.m.min(self.t);
    }
}

impl Default for BpttPanel {
    fn default() -> Self {
        Self::new()
    }
}

impl Panel for BpttPanel {
    /// One action further through the schedule.
    fn exam_step(&mut self) -> PanelEffect {
        if self.advance_step() {
            PanelEffect::Redraw
        } else {
            PanelEffect::Ignored
        }
    }

    fn title(&self) -> String {
        format!(
            "BPTT · {} · T={} · M={}",
            self.schedule.name(),
            self.t,
            self.slots()
        )
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        KEYS
    }

    fn handle(&mut self, key: PanelKey) -> PanelEffect {
        if let Some(effect) = self.stepper.handle(key) {
            return effect;
        }
        match key {
            PanelKey::Char('c') => self.schedule = self.schedule.next(),
            PanelKey::Char('+' | '=') => self.step_t(true),
            PanelKey::Char('-' | '_') => self.step_t(false),
            PanelKey::Char(']') => self.m = (self.m + 1).min(*M_RANGE.end()).min(self.t),
            PanelKey::Char('[') => self.m = self.m.saturating_sub(1).max(*M_RANGE.start()),
            PanelKey::Up => {
                self.scroll = self.scroll.saturating_sub(1);
                return PanelEffect::Redraw;
            }
            PanelKey::Down => {
                self.scroll = self.scroll.saturating_add(1);
                return PanelEffect::Redraw;
            }
            _ => return PanelEffect::Ignored,
        }
        // Settings changed: a new trace, played from the start.
        self.stepper.set_position(0);
        self.recompute();
        PanelEffect::Redraw
    }

    fn animating(&self) -> bool {
        self.stepper.playing()
    }

    fn apply_state(&mut self, key: &str, value: &str) {
        if key == "step" {
            if let Ok(n) = value.parse::<usize>() {
                self.stepper.set_position(n);
            }
            return;
        }
        match key {
            "schedule" => match Schedule::parse(value) {
                Some(s) => self.schedule = s,
                None => return,
            },
            "memory" => match value.parse::<u64>() {
                Ok(m) if M_RANGE.contains(&m) => self.m = m.min(self.t),
                _ => return,
            },
            _ => return,
        }
        self.recompute();
        self.stepper.set_position(self.first_backward());
    }

    fn state_value(&self, key: &str) -> Option<String> {
        match key {
            "schedule" => Some(self.schedule.name().to_string()),
            "memory" => Some(self.m.to_string()),
            "step" => Some(self.pos().to_string()),
            _ => None,
        }
    }

    fn tick(&mut self) -> bool {
        self.stepper.tick()
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let theme = ctx.theme;
        let mut c = Canvas { buf, area };
        let view = match &self.view {
            Ok(v) => v,
            Err(e) => {
                c.put(0, 0, e, theme.bad);
                return;
            }
        };
        let w = area.width;
        let lines = self.lines(view, w, ctx);
        let body = area.height.saturating_sub(1);
        // Scrolled with ↑/↓ when the panel is shorter than its content.
        let max_scroll = (lines.len() as u16).saturating_sub(body);
        let scroll = self.scroll.min(max_scroll) as usize;
        for (y, line) in lines.iter().skip(scroll).take(body as usize).enumerate() {
            let mut x = 0u16;
            for (text, style) in line {
                c.put(y as u16, x, text, *style);
                x = x.saturating_add(text.width() as u16);
            }
        }
        c.put(area.height - 1, 0, hint(w, max_scroll > 0), theme.dim);
    }

    fn full_height(&self, width: u16) -> u16 {
        let ctx_theme = crate::ui::theme::Theme::default();
        let ctx = PanelContext {
            theme: &ctx_theme,
            focused: false,
            job: None,
            math: Default::default(),
        };
        match &self.view {
            Ok(v) => self.lines(v, width, &ctx).len() as u16 + 1,
            Err(_) => 2,
        }
    }
}

type Line = Vec<(String, Style)>;

impl BpttPanel {
    /// The state after `pos` frames (before any: nothing held).
    fn frame<'a>(&self, view: &'a View) -> Option<&'a Frame> {
        self.pos().checked_sub(1).and_then(|i| view.frames.get(i))
    }

    fn lines(&self, view: &View, width: u16, ctx: &PanelContext<'_>) -> Vec<Line> {
        let theme = ctx.theme;
        let w = width as usize;
        let mut out: Vec<Line> = Vec::new();
        let one = |s: String, st: Style| vec![(s, st)];
        let frame = self.frame(view);
        let t = self.t;
        let counts = frame.map(|f| f.counts).unwrap_or_default();
        let next_backward = if counts.backward_steps == 0 {
            t + 1
        } else {
            t + 1 - counts.backward_steps
        };
        let what = match self.schedule {
            Schedule::StoreAll => "store-all (baseline)".to_string(),
            Schedule::Recursive => "recursive halving (5a)".to_string(),
            Schedule::Fixed => format!("evenly spaced M={} (5b)", view.slots),
            Schedule::Optimal => format!("optimal M={} (5b)", view.slots),
        };
        out.push(one(
            format!("{what} · T={t} · {} slots", view.slots),
            theme.strong,
        ));
        // Timeline: one cell (two when there is room) per state h_0 … h_T.
        let n = t as usize + 1;
        let cell = if 2 * n + 3 <= w { 2 } else { 1 };
        let per_row = (w.saturating_sub(3) / cell).max(1);
        let op_t = frame.map(|f| match f.op {
            Op::Forward { to, .. } => to,
            Op::Store { t } | Op::Free { t } | Op::Backward { t } => t,
        });
        for start in (0..n).step_by(per_row) {
            let end = (start + per_row).min(n);
            let mut line: Line = vec![(if start == 0 { "h " } else { "  " }.into(), theme.dim)];
            let mut marks: Line = vec![("  ".into(), theme.dim)];
            for s in start..end {
                let s64 = s as u64;
                let held = frame.is_some_and(|f| f.stored.contains(&s64));
                let cursor = frame.is_some_and(|f| f.cursor == Some(s64));
                let (glyph, style) = if s == 0 {
                    ("○", theme.dim)
                } else if held {
                    ("■", theme.accent)
                } else if cursor {
                    ("▲", theme.warning)
                } else if s64 >= next_backward {
                    ("─", theme.good)
                } else {
                    ("·", theme.dim)
                };
                let pad = " ".repeat(cell - 1);
                line.push((format!("{glyph}{pad}"), style));
                let mark = if op_t == Some(s64) { "^" } else { " " };
                marks.push((format!("{mark}{pad}"), theme.strong));
            }
            out.push(line);
            out.push(marks);
        }
        // The current action and the counters.
        let action = match frame.map(|f| f.op) {
            None => "start: nothing computed yet".to_string(),
            Some(Op::Forward { from, to }) => {
                let again = if self.recomputing(view) {
                    " (recompute)"
                } else {
                    ""
                };
                format!("forward h{from}→h{to}{again}")
            }
            Some(Op::Store { t }) => format!("store checkpoint h{t}"),
            Some(Op::Free { t }) => format!("free checkpoint h{t}"),
            Some(Op::Backward { t }) => format!("backward step {t}"),
        };
        out.push(vec![
            (format!("{}/{} ", self.pos(), view.frames.len()), theme.dim),
            (action, theme.strong),
        ]);
        // The action's equation, drawn by the common stepper.
        for l in self.stepper.equation(width, theme, ctx.math) {
            out.push(
                l.spans
                    .iter()
                    .map(|s| (s.content.to_string(), l.style.patch(s.style)))
                    .collect(),
            );
        }
        let total_fwd = view.numeric.counts.forward_steps;
        let narrow = w < 48;
        let (fwd, bwd, base, mem, legend) = if narrow {
            ("fwd", "bwd", "base", "mem", "○h₀ ■stored ▲new ─done ^now")
        } else {
            (
                "forward",
                "backward",
                "baseline",
                "memory now",
                "○ h₀=0 free  ■ stored  ▲ computed  ─ done  ^ now",
            )
        };
        out.push(one(
            format!(
                "{fwd} {}/{} ({base} {t}) · {bwd} {}/{t}",
                counts.forward_steps, total_fwd, counts.backward_steps
            ),
            theme.text,
        ));
        out.push(one(
            format!(
                "{mem} {} · peak {} · budget {}",
                counts.memory, counts.peak_memory, view.slots
            ),
            theme.text,
        ));
        out.push(one(legend.into(), theme.dim));
        // Final comparison with the baseline, and the live grad check.
        let nm = &view.numeric;
        let done = self.pos() >= view.frames.len();
        let same = nm.max_abs_diff_to_baseline == 0.0;
        let verdict = if same {
            "bit-identical".to_string()
        } else {
            format!("max|Δ| {:.1e}", nm.max_abs_diff_to_baseline)
        };
        let lead = match (done, narrow) {
            (true, false) => "done: grads vs baseline ",
            (false, false) => "at the end: grads vs baseline ",
            (true, true) => "done: vs baseline ",
            (false, true) => "end: vs baseline ",
        };
        out.push(vec![
            (lead.into(), theme.text),
            (verdict, if same { theme.good } else { theme.bad }),
        ]);
        let gc = &nm.grad_check;
        let ok = gc.max_rel_error < 1e-6;
        let mark = if ok { "✓" } else { "✗" };
        out.push(one(
            if narrow {
                format!(
                    "grad check: rel err {:.1e} {mark} ({})",
                    gc.max_rel_error, gc.checked
                )
            } else {
                format!(
                    "grad check: max rel err {:.1e} {mark} ({} entries)",
                    gc.max_rel_error, gc.checked
                )
            },
            if ok { theme.good } else { theme.bad },
        ));
        out.push(Vec::new());
        out.extend(self.chart_lines(view, w, ctx));
        out.push(Vec::new());
        out.extend(self.table_lines(view, w, ctx));
        out
    }

    /// Whether the current forward step recomputes a state computed before.
    fn recomputing(&self, view: &View) -> bool {
        let Some(Op::Forward { to, .. }) = self.frame(view).map(|f| f.op) else {
            return false;
        };
        view.frames[..self.pos().saturating_sub(1)]
            .iter()
            .any(|f| matches!(f.op, Op::Forward { to: t2, .. } if t2 == to))
    }

    /// Forward steps ÷ T against M at the panel's T, on a log scale: █ up to
    /// the optimum, ░ on to the evenly spaced schedule at the same M.
    fn chart_lines(&self, view: &View, w: usize, ctx: &PanelContext<'_>) -> Vec<Line> {
        let theme = ctx.theme;
        let t = view.t;
        let mut out: Vec<Line> = vec![
            vec![(
                if w >= 48 {
                    format!("forward steps ÷ T against memory M, T={t}:")
                } else {
                    format!("fwd ÷ T against M, T={t}:")
                },
                theme.dim,
            )],
            vec![
                ("█".into(), theme.good),
                (" optimal  ".into(), theme.dim),
                ("░".into(), theme.warning),
                (
                    if w >= 40 {
                        " evenly spaced  (log scale)"
                    } else {
                        " evenly spaced"
                    }
                    .into(),
                    theme.dim,
                ),
            ],
        ];
        let label_w = 4usize;
        let nums = |p: &CostPoint| {
            format!(
                "{:>6} {:>6}",
                fmt_ratio(ratio(p.optimal, t)),
                fmt_ratio(ratio(p.fixed, t))
            )
        };
        let num_w = 13usize;
        // Wide panels keep the bars short enough to read across to the numbers.
        let bar_w = w.saturating_sub(label_w + num_w + 2).clamp(1, 40);
        out.push(vec![(
            format!(
                "{:>3} {} {:>6} {:>6}",
                "M",
                " ".repeat(bar_w),
                "opt",
                "even"
            ),
            theme.table_header,
        )]);
        let top = view
            .chart
            .iter()
            .map(|p| ratio(p.fixed, t))
            .fold(1.0, f64::max)
            .ln()
            .max(f64::MIN_POSITIVE);
        let cells = |r: f64| ((r.ln() / top) * bar_w as f64).round() as usize;
        let rec_m = schedule::recursive_peak(t);
        for p in &view.chart {
            let opt = cells(ratio(p.optimal, t)).min(bar_w);
            let fix = cells(ratio(p.fixed, t)).clamp(opt, bar_w);
            let current = self.schedule.takes_budget() && p.memory == view.slots
                || self.schedule == Schedule::Recursive && p.memory == rec_m;
            let label_style = if current { theme.accent } else { theme.text };
            // ▸ marks the panel's own M (also without colour).
            let mark = if current { "▸" } else { " " };
            out.push(vec![
                (format!("{mark}{:>2} ", p.memory), label_style),
                ("█".repeat(opt), theme.good),
                ("░".repeat(fix - opt), theme.warning),
                (" ".repeat(bar_w - fix), theme.text),
                (format!(" {}", nums(p)), label_style),
            ]);
        }
        out
    }

    /// Counts at larger T, each schedule beside the optimum at the memory it
    /// uses: the log-memory recursion against the optimum at 1+⌈log₂T⌉ slots,
    /// and the constant-M schedules against the optimum at M.
    fn table_lines(&self, view: &View, w: usize, ctx: &PanelContext<'_>) -> Vec<Line> {
        let theme = ctx.theme;
        let m = self.m;
        let t_label = |t: u64| {
            if w >= 48 || t < 1_000_000 {
                short(t)
            } else {
                format!("{:.0e}", t as f64)
            }
        };
        let cell = |steps: Option<u64>, t: u64| match steps {
            None => "—".to_string(),
            Some(s) => format!("×{}", fmt_ratio(ratio(s, t))),
        };
        let log_rows: Vec<[String; 4]> = view
            .table
            .iter()
            .map(|c| {
                [
                    t_label(c.t),
                    c.recursive_peak.to_string(),
                    cell(Some(c.recursive), c.t),
                    cell(c.optimal_at_log, c.t),
                ]
            })
            .collect();
        let const_rows: Vec<[String; 4]> = view
            .table
            .iter()
            .map(|c| {
                [
                    t_label(c.t),
                    cell(Some(c.fixed), c.t),
                    cell(c.optimal, c.t),
                    cell(c.classic_revolve, c.t),
                ]
            })
            .collect();
        let log_header = [
            "T".to_string(),
            "M".into(),
            "recursive".into(),
            "optimal".into(),
        ];
        let const_header = [
            "T".to_string(),
            if w >= 44 { "evenly" } else { "even" }.into(),
            "optimal".into(),
            "classic†".into(),
        ];
        let widths: Vec<usize> = (0..4)
            .map(|i| {
                log_rows
                    .iter()
                    .chain(&const_rows)
                    .map(|r| r[i].width())
                    .chain([log_header[i].width(), const_header[i].width()])
                    .max()
                    .unwrap_or(1)
            })
            .collect();
        let join = |cells: &[String; 4]| {
            let mut s = String::new();
            for (i, text) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(text.width());
                if i == 0 {
                    s += text;
                    s += &" ".repeat(pad);
                } else {
                    s += "  ";
                    s += &" ".repeat(pad);
                    s += text;
                }
            }
            s
        };
        let row_style = |c: &Comparison| {
            if c.t == self.t {
                theme.accent
            } else {
                theme.text
            }
        };
        const TITLES: [&str; 3] = [
            "forward steps ÷ T at equal memory, M = 1+⌈log₂T⌉:",
            "fwd ÷ T at equal memory, M = 1+⌈log₂T⌉:",
            "fwd ÷ T, M = 1+⌈log₂T⌉",
        ];
        let mut out: Vec<Line> = vec![vec![(pick_hint(&TITLES, w as u16).into(), theme.dim)]];
        out.push(vec![(join(&log_header), theme.table_header)]);
        for (r, c) in log_rows.iter().zip(&view.table) {
            out.push(vec![(join(r), row_style(c))]);
        }
        out.push(vec![(
            if w >= 30 {
                format!("constant memory: M = {m} slots")
            } else {
                format!("constant M = {m}")
            },
            theme.dim,
        )]);
        out.push(vec![(join(&const_header), theme.table_header)]);
        for (r, c) in const_rows.iter().zip(&view.table) {
            out.push(vec![(join(r), row_style(c))]);
        }
        const FOOTNOTES: [&str; 3] = [
            "† revolve's classic model: each reverse step re-evaluates its step",
            "† classic model: reverse re-evaluates",
            "† classic model",
        ];
        out.push(vec![(pick_hint(&FOOTNOTES, w as u16).into(), theme.dim)]);
        out
    }
}

/// `12,345` up to ten million, then `1.2e9`-style.
fn short(n: u64) -> String {
    if n <= 9_999_999 {
        thousands(n)
    } else {
        format!("{:.2e}", n as f64)
    }
}

fn hint(width: u16, scrolls: bool) -> &'static str {
    const HINTS: [&str; 3] = [
        "␣/l step  h back  a play  r restart  c schedule  +/- T  [/] M",
        "␣ step h back a play c sched +/- T [/] M",
        "␣ h a r c +- []",
    ];
    const SCROLL_HINTS: [&str; 3] = [
        "␣/l step  h back  a play  r restart  c schedule  +/- T  [/] M  ↑↓ scroll",
        "␣ step h back a play c sched +- T [] M ↑↓",
        "␣ h a r c +- [] ↑↓",
    ];
    pick_hint(if scrolls { &SCROLL_HINTS } else { &HINTS }, width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::bptt::PANEL_5B_M;

    #[test]
    fn opens_at_the_deepest_point() {
        let p = BpttPanel::new();
        let view = p.view.as_ref().unwrap();
        let f = p.frame(view).unwrap();
        assert_eq!(f.op, Op::Forward { from: 15, to: 16 });
        assert_eq!(f.stored, vec![8, 12, 14, 15]);
        assert_eq!(f.cursor, Some(16));
        assert_eq!((f.counts.memory, f.counts.peak_memory), (5, 5));
    }

    #[test]
    fn keys_change_the_state() {
        let mut p = BpttPanel::new();
        let at = p.pos();
        p.handle(PanelKey::Char(' '));
        assert_eq!(p.pos(), at + 1);
        p.handle(PanelKey::Char('h'));
        assert_eq!(p.pos(), at);
        p.handle(PanelKey::Char('c'));
        assert_eq!(p.schedule, Schedule::Fixed);
        assert_eq!(p.pos(), 0);
        p.handle(PanelKey::Char('['));
        assert_eq!(p.slots(), DEFAULT_M - 1);
        for _ in 0..20 {
            p.handle(PanelKey::Char('['));
            p.handle(PanelKey::Char('+'));
        }
        assert_eq!((p.m, p.t), (1, 64));
        p.handle(PanelKey::Char('c'));
        assert_eq!(p.schedule, Schedule::Optimal);
        for _ in 0..70 {
            p.handle(PanelKey::Char(']'));
        }
        // M stops at T; there the optimum is store-all's T steps.
        assert_eq!(p.slots(), 64);
        assert_eq!(p.view.as_ref().unwrap().numeric.counts.forward_steps, 64);
        // The cached grad check is the one of the current T.
        let problem = Problem::seeded(DEFAULT_SEED, 64, DEFAULT_K, DEFAULT_C);
        let fresh = bptt::grad_check(&problem, &bptt::baseline(&problem));
        assert_eq!(p.view.as_ref().unwrap().numeric.grad_check, fresh);
        p.handle(PanelKey::Bottom);
        assert_eq!(p.pos(), p.stepper.position().1);
        assert!(matches!(
            p.handle(PanelKey::Char('x')),
            PanelEffect::Ignored
        ));
    }

    #[test]
    fn the_5b_panel_opens_on_the_optimum() {
        let mut p = BpttPanel::new();
        p.apply_state("schedule", "optimal");
        p.apply_state("memory", &PANEL_5B_M.to_string());
        assert_eq!(p.state_value("schedule").as_deref(), Some("optimal"));
        assert_eq!((p.schedule, p.slots()), (Schedule::Optimal, PANEL_5B_M));
        let view = p.view.as_ref().unwrap();
        assert_eq!(view.numeric.max_abs_diff_to_baseline, 0.0);
        assert_eq!(
            Some(view.numeric.counts.forward_steps),
            schedule::optimal_forward(DEFAULT_T, PANEL_5B_M)
        );
        // The chart's points are the closed forms at the panel's T.
        for c in &view.chart {
            assert_eq!(
                Some(c.optimal),
                schedule::optimal_forward(DEFAULT_T, c.memory)
            );
            assert!(c.optimal <= c.fixed);
        }
    }

    #[test]
    fn play_runs_to_the_end_and_stops() {
        let mut p = BpttPanel::new();
        p.handle(PanelKey::Char('r'));
        p.handle(PanelKey::Char('a'));
        assert!(p.animating());
        let mut ticks = 0;
        while p.animating() && ticks < 10_000 {
            p.tick();
            ticks += 1;
        }
        assert_eq!(p.pos(), p.stepper.position().1);
        assert_eq!(ticks, p.stepper.position().1 * TICKS_PER_STEP as usize);
    }
}
