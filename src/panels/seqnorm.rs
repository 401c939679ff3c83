//! Problem 4's panel: one short sequence through the full (4a) and running
//! (4b) sequence norm, the three backward passes side by side with their live
//! grad checks, and which outputs move when one input step is perturbed.
//!
//! Everything shown is computed in `compute::seqnorm` when a key changes the
//! settings (T=8, K=3: well under a millisecond); `render` only draws.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthStr;

use super::canvas::Canvas;
use super::canvas::pick_hint;
use super::stepper::Stepper;
use super::{Panel, PanelContext, PanelEffect, PanelKey, PanelKind, StateKey, StateValues};
use crate::compute::seqnorm::{
    CHECK_TOLERANCE, Checks, DEFAULT_EPS, DEFAULT_K, DEFAULT_SEED, DEFAULT_T, Inputs, Rate,
    Solution, causality, sci, trace,
};

pub const KIND: PanelKind = PanelKind {
    name: "seqnorm",
    summary: "Problem 4: full and running sequence norm, backward passes, causality",
    create: || Box::new(SeqNormPanel::new()),
    states: &[
        StateKey {
            key: "view",
            values: StateValues::OneOf(Backward::NAMES),
        },
        // Steps done in the running layer's trace (forward then backward).
        StateKey {
            key: "step",
            values: StateValues::Int {
                min: 0,
                max: 2 * DEFAULT_T as i64,
            },
        },
    ],
};

const KEYS: &[(&str, &str)] = &[
    (
        "c",
        "cycle the view: full (4a) / running exact / running stop-gradient",
    ),
    ("f", "full (4a) ↔ running (4b)"),
    (
        "b",
        "backward: full / running exact / running stop-gradient",
    ),
    (
        "space/l/→ h/←",
        "step the running layer forward in time, then backward",
    ),
    ("g/G", "first / last step"),
    ("B", "start of the backward pass"),
    ("a", "play / pause"),
    ("r", "reset the trace"),
    ("< >", "move the perturbed step of the causality strip"),
    ("[ ]", "running rate α (down / up; last is 1/t)"),
    ("s", "new random sequence (seed)"),
];

/// The rates `[` and `]` step through; index 2 is the default α = 0.25.
const RATES: [Rate; 6] = [
    Rate::Ema { alpha: 0.05 },
    Rate::Ema { alpha: 0.1 },
    Rate::Ema { alpha: 0.25 },
    Rate::Ema { alpha: 0.5 },
    Rate::Ema { alpha: 0.8 },
    Rate::Cumulative,
];
const DEFAULT_RATE: usize = 2;

/// Which forward pass the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forward {
    Full,
    Running,
}

/// Which backward pass is selected. It also fixes the forward pass (the full
/// layer has one backward, the running layer two), so the panel cannot pair
/// one layer with the other layer's gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backward {
    Full,
    Exact,
    StopGrad,
}

impl Backward {
    const ALL: [Backward; 3] = [Backward::Full, Backward::Exact, Backward::StopGrad];
    /// Names for `panel_state = { view = ... }`, in the order of [`Backward::ALL`].
    const NAMES: &'static [&'static str] = &["full", "running-exact", "running-stop-grad"];

    fn forward(self) -> Forward {
        match self {
            Backward::Full => Forward::Full,
            Backward::Exact | Backward::StopGrad => Forward::Running,
        }
    }

    fn next(self) -> Backward {
        match self {
            Backward::Full => Backward::Exact,
            Backward::Exact => Backward::StopGrad,
            Backward::StopGrad => Backward::Full,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Backward::Full => "full",
            Backward::Exact => "exact",
            Backward::StopGrad => "stop-grad",
        }
    }
}

pub struct SeqNormPanel {
    seed: u64,
    rate: usize,
    /// The view: backward pass, and with it the forward pass.
    backward: Backward,
    /// 0-based perturbed step of the causality view.
    step: usize,
    solution: Solution,
    /// The running layer's forward and exact backward, step by step.
    stepper: Stepper,
}

impl SeqNormPanel {
    pub fn new() -> Self {
        let step = DEFAULT_T / 2;
        let inputs = Inputs::seeded(
            DEFAULT_SEED,
            DEFAULT_T,
            DEFAULT_K,
            DEFAULT_EPS,
            RATES[DEFAULT_RATE],
        );
        SeqNormPanel {
            seed: DEFAULT_SEED,
            rate: DEFAULT_RATE,
            backward: Backward::Exact,
            step,
            stepper: Stepper::new(trace::record(&inputs)),
            solution: Solution::new(inputs, step),
        }
    }

    fn recompute(&mut self) {
        let inputs = Inputs::seeded(
            self.seed,
            DEFAULT_T,
            DEFAULT_K,
            DEFAULT_EPS,
            RATES[self.rate],
        );
        self.stepper.set_trace(trace::record(&inputs));
        self.solution = Solution::new(inputs, self.step);
    }

    pub fn stepper(&self) -> &Stepper {
        &self.stepper
    }

    /// Advance the trace one step (exam mode's hook).
    pub fn advance_step(&mut self) -> bool {
        self.stepper.advance()
    }

    /// The 1-based time step of the trace's current step: forward steps run
    /// t = 1..T, backward steps t = T..1.
    pub fn trace_time(&self) -> Option<usize> {
        let k = self.stepper.current()?;
        let t = DEFAULT_T;
        Some(if k < t { k + 1 } else { 2 * t - k })
    }

    fn rate(&self) -> Rate {
        RATES[self.rate]
    }

    fn checks(&self, b: Backward) -> &Checks {
        match b {
            Backward::Full => &self.solution.full_check,
            Backward::Exact => &self.solution.exact_check,
            Backward::StopGrad => &self.solution.stop_check,
        }
    }

    fn dh(&self, b: Backward) -> &ndarray::Array2<f64> {
        match b {
            Backward::Full => &self.solution.full_grads.dh,
            Backward::Exact => &self.solution.exact.grads.dh,
            Backward::StopGrad => &self.solution.stop.grads.dh,
        }
    }

    fn forward_label(&self) -> String {
        match self.backward.forward() {
            Forward::Full => "full (4a)".into(),
            Forward::Running => format!("running {}", self.rate().label()),
        }
    }
}

impl Default for SeqNormPanel {
    fn default() -> Self {
        Self::new()
    }
}

impl Panel for SeqNormPanel {
    /// Exam mode revealed one more step of the text: one step further
    /// through the trace with it.
    fn exam_step(&mut self) -> PanelEffect {
        if self.advance_step() {
            PanelEffect::Redraw
        } else {
            PanelEffect::Ignored
        }
    }

    fn title(&self) -> String {
        format!("Sequence norm · {}", self.forward_label())
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        KEYS
    }

    fn handle(&mut self, key: PanelKey) -> PanelEffect {
        if let Some(effect) = self.stepper.handle(key) {
            return effect;
        }
        match key {
            PanelKey::Char('f') => {
                self.backward = match self.backward.forward() {
                    Forward::Full => Backward::Exact,
                    Forward::Running => Backward::Full,
                };
                return PanelEffect::Redraw;
            }
            PanelKey::Char('b' | 'c') => {
                self.backward = self.backward.next();
                return PanelEffect::Redraw;
            }
            PanelKey::Char('<') => {
                self.step = self.step.saturating_sub(1);
                self.solution.causality = causality(&self.solution.inputs, self.step, 1.0);
                return PanelEffect::Redraw;
            }
            PanelKey::Char('>') => {
                self.step = (self.step + 1).min(DEFAULT_T - 1);
                self.solution.causality = causality(&self.solution.inputs, self.step, 1.0);
                return PanelEffect::Redraw;
            }
            PanelKey::Char('[') => self.rate = self.rate.saturating_sub(1),
            PanelKey::Char(']') => self.rate = (self.rate + 1).min(RATES.len() - 1),
            PanelKey::Char('s') => self.seed = self.seed.wrapping_add(1),
            _ => return PanelEffect::Ignored,
        }
        self.recompute();
        PanelEffect::Redraw
    }

    fn state_value(&self, key: &str) -> Option<String> {
        if key == "step" {
            return Some(self.stepper.position().0.to_string());
        }
        let i = Backward::ALL.iter().position(|b| *b == self.backward)?;
        (key == "view").then(|| Backward::NAMES[i].to_string())
    }

    fn apply_state(&mut self, key: &str, value: &str) {
        if key == "step"
            && let Ok(n) = value.parse::<usize>()
        {
            self.stepper.set_position(n);
        }
        if key == "view"
            && let Some(i) = Backward::NAMES.iter().position(|n| *n == value)
        {
            self.backward = Backward::ALL[i];
        }
    }

    fn animating(&self) -> bool {
        self.stepper.playing()
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
        let h = area.height;
        c.put(0, 0, &self.settings_line(area.width), theme.dim);
        if h >= 2 {
            c.put(h - 1, 0, hint(area.width), theme.dim);
        }
        if h < 3 {
            return;
        }
        // Grad checks, then the table, then the causality strip; the table
        // loses rows first when the height is short.
        let mut y = 1;
        y += self.render_checks(&mut c, y, ctx);
        let bottom = h - 1;
        if self.stepper.position().0 > 0 {
            self.render_trace(&mut c, y, bottom, ctx);
            return;
        }
        let causal_h = 3u16;
        let table_h = (DEFAULT_T as u16 + 1).min(bottom.saturating_sub(y + causal_h).max(2));
        if y + table_h <= bottom {
            self.render_table(&mut c, y, table_h, ctx);
            y += table_h;
        }
        if y < bottom {
            self.render_causality(&mut c, y, bottom - y, ctx);
            y += causal_h;
        }
        // Parameters and the vector gradients, where there is room.
        if y + 2 <= bottom {
            self.render_details(&mut c, y + 1, bottom - y - 1, ctx);
        }
    }

    fn full_height(&self, _width: u16) -> u16 {
        // settings, checks (2), header + T rows, causality (3), a blank line,
        // the details, hint
        1 + 2 + 1 + DEFAULT_T as u16 + 3 + 1 + DETAIL_ROWS + 1
    }
}

impl SeqNormPanel {
    fn settings_line(&self, width: u16) -> String {
        if width < 56 {
            return format!("{} · seed {}", self.forward_label(), self.seed);
        }
        format!(
            "{} · ε={} · seed {} · T={} K={}",
            self.forward_label(),
            sci(DEFAULT_EPS),
            self.seed,
            DEFAULT_T,
            DEFAULT_K
        )
    }

    /// One line per backward at wide widths, else the selected one only.
    /// Returns the lines used.
    fn render_checks(&self, c: &mut Canvas<'_>, y: u16, ctx: &PanelContext<'_>) -> u16 {
        let theme = ctx.theme;
        let verdict = |ch: &Checks| -> (String, Style) {
            let m = ch.max();
            if m < CHECK_TOLERANCE {
                (format!("{} ✓", sci(m)), theme.good)
            } else {
                (
                    format!("{} ✗", if m < 100.0 { format!("{m:.2}") } else { sci(m) }),
                    theme.bad,
                )
            }
        };
        let wide = c.area.width >= 62;
        if wide {
            let mut x = c.put(y, 0, "grad check", theme.text);
            for b in Backward::ALL {
                let (v, style) = verdict(self.checks(b));
                let label_style = if b == self.backward {
                    theme.selected
                } else {
                    theme.text
                };
                x = c.put(y, x + 1, b.label(), label_style);
                x = c.put(y, x + 1, &v, style);
            }
        } else {
            let (v, style) = verdict(self.checks(self.backward));
            let x = c.put(
                y,
                0,
                &format!("grad check {}: ", self.backward.label()),
                theme.text,
            );
            c.put(y, x, &v, style);
        }
        let note = match self.backward {
            Backward::StopGrad => match self.solution.stop_grad_gap() {
                g if g.is_finite() => format!("μ_t, v_t held constant: ∂H off {:.0}%", 100.0 * g),
                _ => "μ_t, v_t held constant: exact ∂H is 0".into(),
            },
            Backward::Exact => "backprop through μ_t, v_t over time".into(),
            Backward::Full => "batch-norm backward along time".into(),
        };
        if c.area.height > 12 {
            c.put(y + 1, 0, &note, theme.dim);
            2
        } else {
            1
        }
    }

    fn render_table(&self, c: &mut Canvas<'_>, y: u16, height: u16, ctx: &PanelContext<'_>) {
        let theme = ctx.theme;
        let s = &self.solution;
        let running = self.backward.forward() == Forward::Running;
        let (mu, var, out) = if running {
            (
                s.running.mu.clone(),
                s.running.var.clone(),
                s.running.y.clone(),
            )
        } else {
            let t = DEFAULT_T;
            let rows = |v: &ndarray::Array1<f64>| {
                ndarray::Array2::from_shape_fn((t, v.len()), |(_, k)| v[k])
            };
            (rows(&s.full.mu), rows(&s.full.var), s.full.y.clone())
        };
        // Columns by priority, drawn in the logical order.
        let mut groups: Vec<Group<'_>> = vec![
            Group::new(0, "h_t", &s.inputs.h, theme.text),
            Group::new(1, if running { "μ_t" } else { "μ (all t)" }, &mu, theme.dim),
            Group::new(
                2,
                if running { "v_t" } else { "σ² (all t)" },
                &var,
                theme.dim,
            ),
            Group::new(3, "y_t", &out, theme.strong),
        ];
        for (i, b) in Backward::ALL.into_iter().enumerate() {
            let style = if b == self.backward {
                theme.accent
            } else {
                theme.text
            };
            groups.push(Group::new(4 + i, b.label(), self.dh(b), style));
        }
        let selected = 4 + Backward::ALL
            .iter()
            .position(|b| *b == self.backward)
            .unwrap_or(0);
        let priority = [3, selected, 0, 4, 5, 6, 1, 2];
        let avail = c.area.width.saturating_sub(3) as usize;
        let k = DEFAULT_K;
        let fits = |cw: usize, n: usize| n * (1 + k * cw) <= avail;
        let cw = if fits(6, 4) { 6 } else { 5 };
        let mut chosen: Vec<usize> = Vec::new();
        for p in priority {
            if fits(cw, chosen.len() + 1) && !chosen.contains(&p) {
                chosen.push(p);
            }
        }
        chosen.sort_unstable();
        groups.retain(|g| chosen.contains(&g.order));
        let gw = (k * cw) as u16;
        // Header: the dH groups are labelled "∂H …".
        let mut x = 3;
        for g in &groups {
            let label = if g.order >= 4 {
                format!("∂H {}", g.label)
            } else {
                g.label.to_string()
            };
            c.put(y, x + 1, &label, theme.table_header);
            x += gw + 1;
        }
        for row in 0..(height.saturating_sub(1) as usize).min(DEFAULT_T) {
            let ly = y + 1 + row as u16;
            // The trace's time step while stepping, else the perturbed step.
            let mark_row = self.trace_time().map_or(self.step, |t| t - 1);
            let marker = if row == mark_row { "▸" } else { " " };
            c.put(ly, 0, &format!("{marker}{:<2}", row + 1), theme.dim);
            let mut x = 3;
            for g in &groups {
                c.put(ly, x, "│", theme.border);
                let cells: String = g.data.row(row).iter().map(|v| cell(*v, cw)).collect();
                c.put(ly, x + 1, &cells, g.style);
                x += gw + 1;
            }
        }
    }

    fn render_causality(&self, c: &mut Canvas<'_>, y: u16, height: u16, ctx: &PanelContext<'_>) {
        let theme = ctx.theme;
        let cz = &self.solution.causality;
        let p = cz.step + 1;
        c.put(
            y,
            0,
            &if c.area.width >= 44 {
                format!("h_{p} += 1 (< >): max|Δy_t| for t = 1..{DEFAULT_T}")
            } else {
                format!("h_{p} += 1: change of y_1..{DEFAULT_T}")
            },
            theme.text,
        );
        let rows = [
            ("full", &cz.full, !cz.full_leaks),
            ("running", &cz.running, cz.running_causal),
        ];
        for (i, (name, deltas, ok)) in rows.into_iter().enumerate() {
            let ly = y + 1 + i as u16;
            if ly >= y + height {
                break;
            }
            let mut x = c.put(ly, 0, &format!("{name:<8}"), theme.text);
            let top = deltas.iter().fold(0.0, |m: f64, v| m.max(*v));
            for (t, d) in deltas.iter().enumerate() {
                let style = if t == cz.step {
                    theme.accent
                } else if *d == 0.0 {
                    theme.dim
                } else {
                    theme.warning
                };
                x = c.put(ly, x, &format!("{} ", bar(*d, top)), style);
            }
            let roomy = c.area.width >= x + 16;
            let verdict = match (p == 1, ok, roomy) {
                (true, _, _) => " no earlier step".to_string(),
                (false, true, true) => format!(" y_1..{} same ✓", p - 1),
                (false, false, true) => format!(" y_1..{} moved ✗", p - 1),
                (false, true, false) => format!(" y_1..{} ✓", p - 1),
                (false, false, false) => format!(" y_1..{} ✗", p - 1),
            };
            let style = if p == 1 {
                theme.dim
            } else if ok {
                theme.good
            } else {
                theme.bad
            };
            c.put(ly, x, &verdict, style);
        }
    }
}

/// Rows the stepper gets at least before the table is shown beside it.
const TRACE_MIN_ROWS: u16 = 16;

impl SeqNormPanel {
    /// The trace in rows `y..bottom`: the table (its ▸ row is the step's
    /// time) when there is room for it and the step, else a one-line time
    /// strip; then the step itself.
    fn render_trace(&self, c: &mut Canvas<'_>, y: u16, bottom: u16, ctx: &PanelContext<'_>) {
        let theme = ctx.theme;
        let mut y = y;
        let table_h = DEFAULT_T as u16 + 1;
        if bottom.saturating_sub(y) >= table_h + 1 + TRACE_MIN_ROWS {
            self.render_table(c, y, table_h, ctx);
            y += table_h + 1;
        } else if y < bottom {
            let backward = self.stepper.current_step().map(|s| s.phase)
                == Some(crate::compute::trace::Phase::Backward);
            let now = self.trace_time().unwrap_or(0);
            let mut x = c.put(y, 0, "t ", theme.dim);
            for t in 1..=DEFAULT_T {
                let done = if backward { t > now } else { t < now };
                let (text, style) = if t == now {
                    (format!("[{t}]"), theme.current)
                } else if done {
                    (format!(" {t} "), theme.text)
                } else {
                    (format!(" {t} "), theme.dim)
                };
                x = c.put(y, x, &text, style);
            }
            let dir = if backward {
                " ← carries from t+1"
            } else {
                " → forward in time"
            };
            c.put(y, x, dir, theme.dim);
            y += 1;
        }
        let rows = usize::from(bottom.saturating_sub(y));
        for (i, line) in self
            .stepper
            .lines_within(c.area.width, rows, theme, ctx.math)
            .iter()
            .enumerate()
        {
            let r = ratatui::layout::Rect {
                y: c.area.y + y + i as u16,
                height: 1,
                ..c.area
            };
            super::canvas::put_line(c.buf, r, line);
        }
    }
}

/// Lines of [`SeqNormPanel::render_details`].
const DETAIL_ROWS: u16 = 8;

impl SeqNormPanel {
    fn render_details(&self, c: &mut Canvas<'_>, y: u16, height: u16, ctx: &PanelContext<'_>) {
        let theme = ctx.theme;
        let s = &self.solution;
        let (grads, which) = match self.backward {
            Backward::Full => (&s.full_grads, "full"),
            Backward::Exact => (&s.exact.grads, "running"),
            Backward::StopGrad => (&s.stop.grads, "running"),
        };
        let last = DEFAULT_T - 1;
        let lines: [(String, Vec<f64>, Style); DETAIL_ROWS as usize] = [
            ("γ".into(), s.inputs.gamma.to_vec(), theme.text),
            ("β".into(), s.inputs.beta.to_vec(), theme.text),
            ("μ full".into(), s.full.mu.to_vec(), theme.dim),
            (
                format!("μ_{} running", DEFAULT_T),
                s.running.mu.row(last).to_vec(),
                theme.dim,
            ),
            ("σ² full".into(), s.full.var.to_vec(), theme.dim),
            (
                format!("v_{} running", DEFAULT_T),
                s.running.var.row(last).to_vec(),
                theme.dim,
            ),
            (
                format!("∂L/∂γ {which}"),
                grads.dgamma.to_vec(),
                theme.accent,
            ),
            ("∂L/∂μ_0 exact".into(), s.exact.dmu0.to_vec(), theme.accent),
        ];
        for (i, (label, values, style)) in lines.iter().take(height as usize).enumerate() {
            let ly = y + i as u16;
            let x = c.put(ly, 0, &format!("{label:<14}"), theme.text);
            let cells: String = values.iter().map(|v| cell(*v, 7)).collect();
            c.put(ly, x, &cells, *style);
        }
    }
}

/// One K-wide column group of the table.
struct Group<'a> {
    order: usize,
    label: &'a str,
    data: &'a ndarray::Array2<f64>,
    style: Style,
}

impl<'a> Group<'a> {
    fn new(order: usize, label: &'a str, data: &'a ndarray::Array2<f64>, style: Style) -> Self {
        Group {
            order,
            label,
            data,
            style,
        }
    }
}

/// A number in exactly `width` columns (5 to 7), right-aligned after at least
/// one space: with two decimals where they fit (width 6 and up), else one,
/// else none, else as a power of ten (−10 at width 5 is `-10`, not `-1e1`).
fn cell(v: f64, width: usize) -> String {
    // A value that rounds to zero is shown without a sign.
    let unsigned_zero = |s: String| {
        if s.trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            s.trim_start_matches('-').to_string()
        } else {
            s
        }
    };
    let two = (width >= 6).then(|| format!("{v:.2}"));
    let s = [two, Some(format!("{v:.1}")), Some(format!("{v:.0}"))]
        .into_iter()
        .flatten()
        .map(unsigned_zero)
        .find(|s| s.width() < width)
        .unwrap_or_else(|| format!("{v:.0e}"));
    format!("{s:>width$}")
}

/// How much an output moved, as one glyph: exactly zero is `·`.
fn bar(d: f64, top: f64) -> &'static str {
    if d == 0.0 {
        "·"
    } else if top <= 0.0 || d < 0.25 * top {
        "░"
    } else if d < 0.5 * top {
        "▒"
    } else if d < 0.75 * top {
        "▓"
    } else {
        "█"
    }
}

fn hint(width: u16) -> &'static str {
    const HINTS: [&str; 3] = [
        "c view  f full/running  space/B step  < > perturb  [ ] α  s seed",
        "c view f full spc/B step <> perturb [] α s",
        "c f spc <> [] s",
    ];
    pick_hint(&HINTS, width)
}

#[cfg(test)]
mod cell_tests {
    use super::cell;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn cells_keep_their_width_and_the_most_digits_that_fit() {
        for (v, width, shown) in [
            (-10.0, 5, "  -10"),
            (-9.96, 5, "  -10"),
            (1.23456, 5, "  1.2"),
            (1.23456, 6, "  1.23"),
            (-0.004, 6, "  0.00"),
            (123.4, 6, " 123.4"),
            (1234.5, 6, "  1234"),
            (-12345.0, 5, " -1e4"),
            (99.996, 6, " 100.0"),
        ] {
            assert_eq!(cell(v, width), shown, "{v} at {width}");
        }
        for k in -4000..4000 {
            let v = k as f64 * 0.37;
            for width in 5..=7 {
                assert_eq!(cell(v, width).width(), width, "{v} at {width}");
            }
        }
    }
}
