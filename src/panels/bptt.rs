//! Problem 5's panel: a checkpointing schedule played step by step on a
//! timeline of the states `h_0 … h_T` (which are stored, which was just
//! recomputed, which are backpropagated), with its counters, the comparison
//! with the baseline gradients and the live grad check, and a table of
//! forward-step counts for every schedule at larger `T`.
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
use super::{Panel, PanelContext, PanelEffect, PanelKey, PanelKind};
use crate::compute::bptt::schedule::{self, Frame, Op, Schedule};
use crate::compute::bptt::{
    self as bptt, Comparison, DEFAULT_C, DEFAULT_K, DEFAULT_M, DEFAULT_SEED, DEFAULT_T, Numeric,
    Problem, compare, ratio,
};
use crate::compute::layer_table::thousands;
use crate::compute::no_progress;

pub const KIND: PanelKind = PanelKind {
    name: "bptt",
    summary: "Problem 5: checkpointed BPTT schedules, step by step",
    create: || Box::new(BpttPanel::new()),
    states: &[],
};

/// Sequence lengths `+`/`-` step through.
pub const T_VALUES: [u64; 8] = [4, 8, 12, 16, 24, 32, 48, 64];
/// Budgets `[`/`]` step through for the fixed schedule.
pub const M_RANGE: std::ops::RangeInclusive<u64> = 2..=16;
/// Ticks (~100 ms each) between animation steps.
const TICKS_PER_STEP: u8 = 2;

const KEYS: &[(&str, &str)] = &[
    ("space/l", "next action"),
    ("h", "previous action"),
    ("a", "play / pause"),
    ("r", "restart"),
    ("e", "jump to the end"),
    ("s", "schedule: store-all / recursive / fixed M"),
    ("+/-", "sequence length T"),
    ("[/]", "memory M of the fixed schedule"),
];

pub struct BpttPanel {
    schedule: Schedule,
    t: u64,
    /// Budget of the fixed schedule.
    m: u64,
    /// Frames applied so far (0 = before the first action).
    pos: usize,
    playing: bool,
    ticks: u8,
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
}

impl BpttPanel {
    pub fn new() -> Self {
        let mut panel = BpttPanel {
            schedule: Schedule::Recursive,
            t: DEFAULT_T,
            m: DEFAULT_M,
            pos: 0,
            playing: false,
            ticks: 0,
            view: Err(String::new()),
        };
        panel.recompute();
        // Open at the deepest point of the recursion, just before the first
        // backward step: every checkpoint of the descent and the recomputed
        // h_T are held at once.
        panel.pos = panel.first_backward();
        panel
    }

    fn slots(&self) -> u64 {
        match self.schedule {
            Schedule::Fixed => self.m,
            other => other.slots_needed(self.t, self.m),
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
            })
        });
        self.pos = self.pos.min(self.len());
    }

    fn len(&self) -> usize {
        self.view.as_ref().map_or(0, |v| v.frames.len())
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
    }
}

impl Default for BpttPanel {
    fn default() -> Self {
        Self::new()
    }
}

impl Panel for BpttPanel {
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
        let len = self.len();
        match key {
            PanelKey::Char(' ' | 'l') | PanelKey::Right => {
                self.pos = (self.pos + 1).min(len);
                return PanelEffect::Redraw;
            }
            PanelKey::Char('h') | PanelKey::Left => {
                self.pos = self.pos.saturating_sub(1);
                self.playing = false;
                return PanelEffect::Redraw;
            }
            PanelKey::Char('a') => {
                if self.pos >= len {
                    self.pos = 0;
                }
                self.playing = !self.playing;
                self.ticks = 0;
                return PanelEffect::Redraw;
            }
            PanelKey::Char('r') => {
                self.pos = 0;
                return PanelEffect::Redraw;
            }
            PanelKey::Char('e') => {
                self.pos = len;
                self.playing = false;
                return PanelEffect::Redraw;
            }
            PanelKey::Char('s') => self.schedule = self.schedule.next(),
            PanelKey::Char('+' | '=') => self.step_t(true),
            PanelKey::Char('-' | '_') => self.step_t(false),
            PanelKey::Char(']') => self.m = (self.m + 1).min(*M_RANGE.end()),
            PanelKey::Char('[') => self.m = (self.m - 1).max(*M_RANGE.start()),
            _ => return PanelEffect::Ignored,
        }
        // Settings changed: a new trace, played from the start.
        self.pos = 0;
        self.recompute();
        PanelEffect::Redraw
    }

    fn animating(&self) -> bool {
        self.playing
    }

    fn tick(&mut self) -> bool {
        if !self.playing {
            return false;
        }
        self.ticks += 1;
        if self.ticks < TICKS_PER_STEP {
            return false;
        }
        self.ticks = 0;
        let len = self.len();
        // Long traces (fixed M=2 at T=64) move several actions per step.
        self.pos = (self.pos + (len / 200).max(1)).min(len);
        if self.pos >= len {
            self.playing = false;
        }
        true
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
        for (y, line) in lines.iter().take(body as usize).enumerate() {
            let mut x = 0u16;
            for (text, style) in line {
                c.put(y as u16, x, text, *style);
                x = x.saturating_add(text.width() as u16);
            }
        }
        c.put(area.height - 1, 0, hint(w), theme.dim);
    }

    fn full_height(&self, width: u16) -> u16 {
        let ctx_theme = crate::ui::theme::Theme::default();
        let ctx = PanelContext {
            theme: &ctx_theme,
            focused: false,
            job: None,
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
        self.pos.checked_sub(1).and_then(|i| view.frames.get(i))
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
            Schedule::Fixed => format!("fixed M={} (5b)", view.slots),
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
            (format!("{}/{} ", self.pos, view.frames.len()), theme.dim),
            (action, theme.strong),
        ]);
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
        let done = self.pos >= view.frames.len();
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
        out.extend(self.table_lines(view, w, ctx));
        out
    }

    /// Whether the current forward step recomputes a state computed before.
    fn recomputing(&self, view: &View) -> bool {
        let Some(Op::Forward { to, .. }) = self.frame(view).map(|f| f.op) else {
            return false;
        };
        view.frames[..self.pos.saturating_sub(1)]
            .iter()
            .any(|f| matches!(f.op, Op::Forward { to: t2, .. } if t2 == to))
    }

    fn table_lines(&self, view: &View, w: usize, ctx: &PanelContext<'_>) -> Vec<Line> {
        let theme = ctx.theme;
        let m = self.m;
        // Wide: counts and ratios; narrow: ratios to the baseline only.
        let wide = w >= 66;
        let cell = |steps: Option<u64>, t: u64| match steps {
            None => "—".to_string(),
            Some(s) if wide => format!("{} ×{}", short(s), fmt_ratio(ratio(s, t))),
            Some(s) => format!("×{}", fmt_ratio(ratio(s, t))),
        };
        let header = if w >= 48 {
            [
                "T".to_string(),
                "recursive".into(),
                format!("fixed M={m}"),
                format!("optimal M={m}"),
            ]
        } else {
            [
                "T".to_string(),
                "rec".into(),
                format!("fix{m}"),
                format!("opt{m}"),
            ]
        };
        let rows: Vec<[String; 4]> = view
            .table
            .iter()
            .map(|c| {
                [
                    if w >= 48 || c.t < 1_000_000 {
                        short(c.t)
                    } else {
                        format!("{:.0e}", c.t as f64)
                    },
                    cell(Some(c.recursive), c.t),
                    cell(Some(c.fixed), c.t),
                    cell(c.revolve, c.t),
                ]
            })
            .collect();
        let widths: Vec<usize> = (0..4)
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].width())
                    .chain([header[i].width()])
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
        let mut out: Vec<Line> = vec![vec![("forward steps ÷ baseline T:".into(), theme.dim)]];
        out.push(vec![(join(&header), theme.table_header)]);
        for (r, c) in rows.iter().zip(&view.table) {
            let style = if c.t == self.t {
                theme.accent
            } else {
                theme.text
            };
            out.push(vec![(join(r), style)]);
        }
        let rec = view.table.first().map_or(0, |c| c.recursive_peak);
        out.push(vec![(
            if w >= 48 {
                format!("recursive uses 1+⌈log₂T⌉ slots ({rec} at T={})", self.t)
            } else {
                format!("rec: 1+⌈log₂T⌉ = {rec} slots")
            },
            theme.dim,
        )]);
        out
    }
}

/// `12,345` up to a million, then `1.2e9`-style.
fn short(n: u64) -> String {
    if n <= 9_999_999 {
        thousands(n)
    } else {
        format!("{:.2e}", n as f64)
    }
}

fn fmt_ratio(r: f64) -> String {
    if r < 100.0 {
        format!("{r:.1}")
    } else {
        format!("{}", r.round() as u64)
    }
}

fn hint(width: u16) -> &'static str {
    const HINTS: [&str; 3] = [
        "␣/l step  h back  a play  r restart  s schedule  +/- T  [/] M",
        "␣ step h back a play s sched +/- T [/] M",
        "␣ h a r s +- []",
    ];
    pick_hint(&HINTS, width)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let at = p.pos;
        p.handle(PanelKey::Char(' '));
        assert_eq!(p.pos, at + 1);
        p.handle(PanelKey::Char('h'));
        assert_eq!(p.pos, at);
        p.handle(PanelKey::Char('s'));
        assert_eq!(p.schedule, Schedule::Fixed);
        assert_eq!(p.pos, 0);
        p.handle(PanelKey::Char('['));
        assert_eq!(p.slots(), DEFAULT_M - 1);
        for _ in 0..20 {
            p.handle(PanelKey::Char('['));
            p.handle(PanelKey::Char('+'));
        }
        assert_eq!((p.m, p.t), (2, 64));
        // The cached grad check is the one of the current T.
        let problem = Problem::seeded(DEFAULT_SEED, 64, DEFAULT_K, DEFAULT_C);
        let fresh = bptt::grad_check(&problem, &bptt::baseline(&problem));
        assert_eq!(p.view.as_ref().unwrap().numeric.grad_check, fresh);
        p.handle(PanelKey::Char('e'));
        assert_eq!(p.pos, p.len());
        assert!(matches!(
            p.handle(PanelKey::Char('x')),
            PanelEffect::Ignored
        ));
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
        assert_eq!(p.pos, p.len());
        assert_eq!(ticks, p.len() * TICKS_PER_STEP as usize);
    }
}
