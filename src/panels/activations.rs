//! Problem 2's panel: what batch norm feeds each activation (histogram of u with
//! act(u) over it), what comes back (histogram of act'(u)), the verdicts, and the
//! deep-stack experiment (gradient norm by depth, training loss) as a job.
//!
//! The statistics recompute synchronously on every knob (well under a
//! millisecond). The experiment takes around a second of CPU in release (more on a busy
//! machine: the status line shows its measured progress), so it
//! runs as a job, started with `e` rather than through [`Panel::initial_job`]:
//! the frame runs initial jobs inline for `nnbook render` and in its snapshot
//! and size tests, where a second per render in release (half a minute in a
//! debug build) would be paid by every test that opens this part.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Chart, Dataset, GraphType, Paragraph, Widget, Wrap,
};

use super::stepper::Stepper;
use super::{
    JobRequest, JobResult, Panel, PanelContext, PanelEffect, PanelKey, PanelKind, StateKey,
    StateValues,
};
use crate::compute::activations::experiment::{self, Experiment, ExperimentConfig};
use crate::compute::activations::functions::ALL;
use crate::compute::activations::network_checks;
use crate::compute::activations::stats::{self, Statistics, StatsConfig, r2_text};
use crate::compute::activations::trace::{self as block_trace, BlockSpec};
use crate::compute::gradcheck::GradCheck;
use crate::ui::theme::Theme;

pub const KIND: PanelKind = PanelKind {
    name: "activations",
    summary: "Problem 2: batch norm into five activations, and a deep-stack experiment",
    create: || Box::new(ActivationsPanel::new()),
    states: &[
        StateKey {
            // The midterm's numbering, (1) to (5).
            key: "option",
            values: StateValues::Int { min: 1, max: 5 },
        },
        // Steps done in the block's trace (clamped to its length); applied
        // after `option`, which chooses the activation the trace runs.
        StateKey {
            key: "step",
            values: StateValues::Int { min: 0, max: 100 },
        },
    ],
};

const GAMMA_STEP: f64 = 0.25;
const GAMMA_RANGE: f64 = 4.0;
const BETA_STEP: f64 = 0.5;
const BETA_RANGE: f64 = 12.0;
const SHIFT_STEP: f64 = 1.0;
const SHIFT_RANGE: f64 = 12.0;
/// Live checks at or below this relative error get a ✓.
const CHECK_OK: f64 = 1e-6;
/// Columns from which the experiment goes to a second column.
const TWO_COLUMNS: u16 = 100;

/// What the experiment job hands back.
pub struct ExperimentOutcome {
    pub experiment: Experiment,
    pub checks: Vec<GradCheck>,
}

pub struct ActivationsPanel {
    config: StatsConfig,
    selected: usize,
    stats: Statistics,
    /// max |logit difference| between a min(0, x) network and the ReLU network
    /// with γ, β and the next weights negated (0 up to rounding).
    equivalence: f64,
    outcome: Option<ExperimentOutcome>,
    job_error: Option<String>,
    scroll: u16,
    /// Experiment settings other than γ, β, c and seed (taken from `config`).
    experiment_base: ExperimentConfig,
    /// One Linear → BN → act block, forward and backward, at the knobs.
    stepper: Stepper,
}

impl Default for ActivationsPanel {
    fn default() -> Self {
        Self::new()
    }
}

impl ActivationsPanel {
    pub fn new() -> Self {
        Self::with_experiment(ExperimentConfig::default())
    }

    /// A panel whose experiment uses `base` (its γ, β, c and seed seed the
    /// knobs); tests use a small one.
    pub fn with_experiment(base: ExperimentConfig) -> Self {
        let config = StatsConfig {
            seed: base.seed,
            batch: base.batch,
            width: base.width,
            gamma: base.gamma,
            beta: base.beta,
            shift: base.shift,
        };
        ActivationsPanel {
            config,
            selected: 2,
            stats: stats::compute(config),
            equivalence: experiment::min_zero_relu_equivalence(config.seed),
            outcome: None,
            job_error: None,
            scroll: 0,
            experiment_base: base,
            stepper: Stepper::new(block_trace::record(&block_spec(config, 2))),
        }
    }

    /// The stepper over one block's trace (for tests and the exam hook).
    pub fn stepper(&self) -> &Stepper {
        &self.stepper
    }

    /// Advance the block's trace one step (exam mode's hook).
    pub fn advance_step(&mut self) -> bool {
        self.stepper.advance()
    }

    fn retrace(&mut self) {
        self.stepper
            .set_trace(block_trace::record(&block_spec(self.config, self.selected)));
    }

    /// The trace section's lines (empty before the first step).
    fn trace_lines(
        &self,
        width: u16,
        t: &Theme,
        m: crate::ui::doc::MathSettings,
    ) -> Vec<Line<'static>> {
        if self.stepper.position().0 == 0 {
            return Vec::new();
        }
        let mut lines = vec![Line::styled(
            format!(
                "One block, {}×{} → {} features:",
                block_trace::DEFAULT_N,
                block_trace::DEFAULT_D,
                block_trace::DEFAULT_F
            ),
            t.strong,
        )];
        // A step whose every output is 0 passes no gradient on.
        let zero = |s: &crate::compute::trace::Step| {
            s.phase == crate::compute::trace::Phase::Backward
                && s.outputs
                    .iter()
                    .all(|v| v.value.data.iter().all(|x| *x == 0.0))
        };
        lines.extend(self.stepper.map_lines(zero, width, t));
        lines.extend(self.stepper.lines(width, true, t, m));
        lines.push(Line::raw(""));
        lines
    }

    pub fn statistics(&self) -> &Statistics {
        &self.stats
    }

    pub fn outcome(&self) -> Option<&ExperimentOutcome> {
        self.outcome.as_ref()
    }

    fn recompute(&mut self) -> PanelEffect {
        self.retrace();
        self.stats = stats::compute(self.config);
        self.equivalence = experiment::min_zero_relu_equivalence(self.config.seed);
        PanelEffect::Redraw
    }

    fn experiment_job(&self) -> JobRequest {
        let c = ExperimentConfig {
            seed: self.config.seed,
            gamma: self.config.gamma,
            beta: self.config.beta,
            shift: self.config.shift,
            ..self.experiment_base
        };
        JobRequest::new("deep-stack experiment", move |progress| {
            let experiment = experiment::run(c, progress).map_err(|e| e.to_string())?;
            let checks = network_checks(&c);
            Ok(ExperimentOutcome { experiment, checks })
        })
    }

    fn adjust(value: &mut f64, delta: f64, range: f64) -> PanelEffect {
        // round to the step grid so repeated presses never drift
        *value = ((*value + delta) * 100.0).round() / 100.0;
        *value = value.clamp(-range, range);
        PanelEffect::Redraw
    }
}

impl Panel for ActivationsPanel {
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
        format!(
            "Activations after BN · {}",
            ALL[self.selected].name(self.config.shift)
        )
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("c", "cycle the activation (1)-(5)"),
            (
                "space/l/→ h/←",
                "step through one block's forward and backward",
            ),
            ("g/G", "first / last step"),
            ("B", "start of the backward pass"),
            ("a", "play / pause"),
            ("r", "reset the trace"),
            ("[ ]", "γ ∓"),
            ("{ }", "β ∓"),
            ("< >", "shift c ∓"),
            ("e", "run experiment"),
            ("s", "new seed"),
            ("↑↓", "scroll"),
        ]
    }

    fn handle(&mut self, key: PanelKey) -> PanelEffect {
        if let Some(effect) = self.stepper.handle(key) {
            // The trace is drawn at the top of the page.
            self.scroll = 0;
            return effect;
        }
        let c = &mut self.config;
        let effect = match key {
            PanelKey::Char('c') => {
                self.selected = (self.selected + 1) % ALL.len();
                self.retrace();
                return PanelEffect::Redraw;
            }
            PanelKey::Char('[') => Self::adjust(&mut c.gamma, -GAMMA_STEP, GAMMA_RANGE),
            PanelKey::Char(']') => Self::adjust(&mut c.gamma, GAMMA_STEP, GAMMA_RANGE),
            PanelKey::Char('{') => Self::adjust(&mut c.beta, -BETA_STEP, BETA_RANGE),
            PanelKey::Char('}') => Self::adjust(&mut c.beta, BETA_STEP, BETA_RANGE),
            PanelKey::Char('<') => Self::adjust(&mut c.shift, -SHIFT_STEP, SHIFT_RANGE),
            PanelKey::Char('>') => Self::adjust(&mut c.shift, SHIFT_STEP, SHIFT_RANGE),
            PanelKey::Char('s') => {
                c.seed = c.seed.wrapping_add(1);
                PanelEffect::Redraw
            }
            PanelKey::Char('e') => {
                self.job_error = None;
                return PanelEffect::Run(self.experiment_job());
            }
            PanelKey::Up => {
                self.scroll = self.scroll.saturating_sub(1);
                return PanelEffect::Redraw;
            }
            PanelKey::Down => {
                let max = self.full_height(40);
                self.scroll = (self.scroll + 1).min(max);
                return PanelEffect::Redraw;
            }
            _ => return PanelEffect::Ignored,
        };
        match effect {
            PanelEffect::Redraw => self.recompute(),
            other => other,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let content_h = area.height.saturating_sub(1);
        let full = self.full_height(area.width);
        let scroll = self.scroll.min(full.saturating_sub(content_h));
        // Draw everything onto a page as tall as the content, then show the
        // scrolled window of it: sections never need to know about scrolling.
        let page_area = Rect::new(0, 0, area.width, full.max(1));
        let mut page = Buffer::empty(page_area);
        self.draw_page(page_area, &mut page, ctx);
        for y in 0..content_h {
            let src_y = y + scroll;
            if src_y >= full {
                break;
            }
            for x in 0..area.width {
                if let (Some(src), Some(dst)) = (
                    page.cell((x, src_y)),
                    buf.cell_mut((area.x + x, area.y + y)),
                ) {
                    *dst = src.clone();
                }
            }
        }
        let hint = Rect::new(area.x, area.y + content_h, area.width, 1);
        let scrolls = full > content_h;
        let hint_text = match (area.width >= 66, area.width >= 56, scrolls) {
            (true, _, true) => "c act  space/B step  [ ] γ  { } β  < > shift  e run  s seed  ↑↓",
            (true, _, false) => "c act  space/B step  [ ] γ  { } β  < > shift  e run  s seed",
            (false, true, true) => "c act  space step  []γ {}β <>c  e run  s seed  ↑↓",
            (false, true, false) => "c act  space step  []γ {}β <>c  e run  s seed",
            (false, false, true) => "c spc []γ {}β <>shift e s ↑↓",
            (false, false, false) => "c spc []γ {}β <>shift e run s",
        };
        super::canvas::put_line(buf, hint, &Line::styled(hint_text, ctx.theme.dim));
    }

    fn full_height(&self, width: u16) -> u16 {
        let trace = self
            .trace_lines(
                width,
                &Theme::default(),
                crate::ui::doc::MathSettings::default(),
            )
            .len() as u16;
        trace
            + if width >= TWO_COLUMNS {
                let (l, r) = split(width);
                self.left_height(l).max(self.right_height(r)) + 1
            } else {
                self.left_height(width) + self.right_height(width) + 1
            }
    }

    fn state_value(&self, key: &str) -> Option<String> {
        match key {
            "option" => Some((self.selected + 1).to_string()),
            "step" => Some(self.stepper.position().0.to_string()),
            _ => None,
        }
    }

    fn apply_state(&mut self, key: &str, value: &str) {
        match (key, value.parse::<usize>()) {
            ("option", Ok(n @ 1..=5)) => {
                self.selected = n - 1;
                self.retrace();
            }
            ("step", Ok(n)) => self.stepper.set_position(n),
            _ => {}
        }
    }

    fn animating(&self) -> bool {
        self.stepper.playing()
    }

    fn tick(&mut self) -> bool {
        self.stepper.tick()
    }

    fn job_finished(&mut self, result: JobResult) {
        match result {
            Ok(any) => match any.downcast::<ExperimentOutcome>() {
                Ok(outcome) => {
                    self.outcome = Some(*outcome);
                    self.job_error = None;
                }
                Err(_) => self.job_error = Some("unexpected job result".into()),
            },
            Err(e) => self.job_error = Some(e),
        }
    }
}

fn split(width: u16) -> (u16, u16) {
    let left = width / 2;
    (left, width - left - 1)
}

const HIST_H: u16 = 11;
const GRAD_H: u16 = 8;
const CHART_H: u16 = 11;

/// Rows a paragraph of `text` needs when wrapped at `width` (one spare row for
/// word-boundary slack).
fn wrapped_rows(text: &str, width: u16) -> u16 {
    let w = unicode_width::UnicodeWidthStr::width(text) as u16;
    if width == 0 {
        return 1;
    }
    w.div_ceil(width).max(1) + u16::from(w > width)
}

impl ActivationsPanel {
    fn verdict_text(&self) -> String {
        let a = &self.stats.acts[self.selected];
        // The reason starts with the verdict word (poor reasons name the failure).
        if a.verdict.poor {
            format!("poor: {}", a.verdict.reason)
        } else {
            a.verdict.reason.clone()
        }
    }

    fn left_height(&self, width: u16) -> u16 {
        // header, verdict, blank, table head + 5 rows, 3 check lines, blank, charts
        1 + wrapped_rows(&self.verdict_text(), width) + 1 + 6 + 3 + 1 + HIST_H + GRAD_H
    }

    fn right_height(&self, width: u16) -> u16 {
        let legend = if width >= 44 { 1 } else { 2 };
        // status (2), depth chart, loss chart, legend, table head + 5, check line, equivalence
        2 + CHART_H + CHART_H + legend + 6 + 2
    }

    fn draw_page(&self, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        let trace = self.trace_lines(area.width, ctx.theme, ctx.math);
        for (i, line) in trace.iter().enumerate() {
            let r = Rect::new(area.x, area.y + i as u16, area.width, 1);
            if r.y < area.bottom() {
                super::canvas::put_line(buf, r, line);
            }
        }
        let used = (trace.len() as u16).min(area.height);
        let area = Rect::new(area.x, area.y + used, area.width, area.height - used);
        if area.width >= TWO_COLUMNS {
            let (l, r) = split(area.width);
            self.draw_left(Rect::new(area.x, area.y, l, area.height), buf, ctx);
            self.draw_right(Rect::new(area.x + l + 1, area.y, r, area.height), buf, ctx);
        } else if self.outcome.is_some() {
            // One column: once the experiment has results they come first, so
            // they are on screen without scrolling; the statistics follow.
            let rh = self.right_height(area.width).min(area.height);
            self.draw_right(Rect::new(area.x, area.y, area.width, rh), buf, ctx);
            let rest = Rect::new(
                area.x,
                area.y + rh,
                area.width,
                area.height.saturating_sub(rh),
            );
            self.draw_left(rest, buf, ctx);
        } else {
            let lh = self.left_height(area.width).min(area.height);
            self.draw_left(Rect::new(area.x, area.y, area.width, lh), buf, ctx);
            let rest = Rect::new(
                area.x,
                area.y + lh,
                area.width,
                area.height.saturating_sub(lh),
            );
            self.draw_right(rest, buf, ctx);
        }
    }

    fn draw_left(&self, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        let t = ctx.theme;
        let c = self.config;
        let a = &self.stats.acts[self.selected];
        let mut rows = Rows::new(area);
        rows.line(
            buf,
            Line::from(vec![
                Span::styled(format!("({}) {}", self.selected + 1, a.name), t.strong),
                Span::styled(
                    format!("  γ {} β {} c {} seed {}", c.gamma, c.beta, c.shift, c.seed),
                    t.dim,
                ),
            ]),
        );
        let vt = self.verdict_text();
        let vh = wrapped_rows(&vt, area.width);
        let style = if a.verdict.poor { t.bad } else { t.good };
        if let Some(r) = rows.take(vh) {
            Paragraph::new(Line::styled(vt, style))
                .wrap(Wrap { trim: true })
                .render(r, buf);
        }
        rows.skip(1);
        let wide = area.width >= 56;
        let head = if wide {
            format!(
                "{:<11}{:>7}{:>7}{:>7}{:>7}{:>7} ",
                "  act", "mean", "std", "zero'", "|act'|", "R²"
            )
        } else {
            format!("{:<11}{:>7}{:>7}{:>7} ", "  act", "zero'", "|act'|", "R²")
        };
        rows.line(buf, Line::styled(head, t.table_header));
        for (i, s) in self.stats.acts.iter().enumerate() {
            let mark = if i == self.selected { "▶" } else { " " };
            let name = format!("{mark}({}) {}", i + 1, ALL[i].short());
            let nums = if wide {
                format!(
                    "{:>7.3}{:>7.3}{:>6.1}%{:>7.3}{:>7} ",
                    no_negative_zero(s.out_mean, 3),
                    s.out_std,
                    100.0 * s.zero_grad_fraction,
                    s.mean_abs_grad,
                    r2_text(s.linearity_r2, 3)
                )
            } else {
                format!(
                    "{:>6.1}%{:>7.3}{:>7} ",
                    100.0 * s.zero_grad_fraction,
                    s.mean_abs_grad,
                    r2_text(s.linearity_r2, 3)
                )
            };
            let tag = s.verdict.word();
            let tag_style = match tag {
                "poor" => t.bad,
                "debated" => t.warning,
                _ => t.good,
            };
            let row_style = if i == self.selected {
                t.current
            } else {
                t.text
            };
            rows.line(
                buf,
                Line::from(vec![
                    Span::styled(format!("{name:<11}"), row_style),
                    Span::styled(nums, t.text),
                    Span::styled(tag, tag_style),
                ]),
            );
        }
        let chk = self.stats.bn_check;
        rows.line(buf, check_line("BN grad check", &chk, t));
        rows.line(
            buf,
            Line::styled(
                format!(
                    "max |u| {:.2} ≤ √(N−1) = {:.2}, N = {}",
                    stats::max_abs(&self.stats.u),
                    ((c.batch.max(1) - 1) as f64).sqrt(),
                    c.batch
                ),
                t.dim,
            ),
        );
        rows.line(
            buf,
            Line::styled(
                format!(
                    "min(0,x) net = ReLU net with −γ,−β,−W: max |Δ| {:.1e}",
                    self.equivalence
                ),
                t.dim,
            ),
        );
        rows.skip(1);
        if let Some(r) = rows.take(HIST_H) {
            self.draw_input_histogram(r, buf, t);
        }
        if let Some(r) = rows.take(GRAD_H) {
            self.draw_grad_histogram(r, buf, t);
        }
    }

    /// Histogram of u = BN(z) (filled) with act(u) drawn over it on the same x axis.
    fn draw_input_histogram(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let act = ALL[self.selected];
        let shift = self.config.shift;
        let (mut lo, mut hi) = self
            .stats
            .u
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        if !lo.is_finite() || !hi.is_finite() {
            (lo, hi) = (-1.0, 1.0);
        }
        if act == crate::compute::activations::functions::Act::ShiftedRelu && shift.abs() <= 15.0 {
            // show where the kink is, even when no input gets near it
            lo = lo.min(shift - 1.0);
            hi = hi.max(shift + 1.0);
        }
        if hi - lo < 1e-9 {
            lo -= 1.0;
            hi += 1.0;
        }
        let curve: Vec<(f64, f64)> = (0..=120)
            .map(|i| {
                let x = lo + (hi - lo) * i as f64 / 120.0;
                (x, act.apply(x, shift))
            })
            .collect();
        let (mut ya, mut yb) = curve
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                (l.min(p.1), h.max(p.1))
            });
        if yb - ya < 1e-9 {
            ya -= 0.5;
            yb += 0.5;
        }
        let pad = 0.05 * (yb - ya);
        let (ya, yb) = (ya - pad, yb + pad);
        let bins = 30;
        let counts = stats::histogram(self.stats.u.iter().copied(), lo, hi, bins);
        let peak = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
        let bw = (hi - lo) / bins as f64;
        let steps: Vec<(f64, f64)> = counts
            .iter()
            .enumerate()
            .flat_map(|(i, &n)| {
                let y = ya + 0.85 * (yb - ya) * n as f64 / peak;
                let x0 = lo + bw * i as f64;
                [(x0, y), (x0 + bw, y)]
            })
            .collect();
        let datasets = vec![
            Dataset::default()
                .graph_type(GraphType::Area)
                .fill_to_y(ya)
                .marker(Marker::Braille)
                .style(t.dim)
                .data(&steps),
            Dataset::default()
                .graph_type(GraphType::Line)
                .marker(Marker::Braille)
                .style(t.accent)
                .data(&curve),
        ];
        Chart::new(datasets)
            .block(titled(format!("u = BN(z) histogram · {}", act.short()), t))
            .x_axis(
                Axis::default()
                    .bounds([lo, hi])
                    .labels([fmt_num(lo), fmt_num(hi)])
                    .style(t.dim),
            )
            .y_axis(
                Axis::default()
                    .bounds([ya, yb])
                    .labels([fmt_num(ya + pad), fmt_num(yb - pad)])
                    .style(t.dim),
            )
            .render(area, buf);
    }

    /// Histogram of act'(u): the exact zeros get their own bar.
    fn draw_grad_histogram(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let act = ALL[self.selected];
        let shift = self.config.shift;
        let grads: Vec<f64> = self
            .stats
            .u
            .iter()
            .map(|&u| act.derivative(u, shift))
            .collect();
        let total = grads.len().max(1) as f64;
        let zero = grads
            .iter()
            .filter(|g| g.abs() <= stats::thresholds::ZERO_GRAD)
            .count();
        let gmax = grads.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        let nbins = 6;
        let top = if gmax > 0.0 { gmax } else { 1.0 };
        let counts = stats::histogram(
            grads
                .iter()
                .copied()
                .filter(|g| g.abs() > stats::thresholds::ZERO_GRAD),
            0.0,
            top * (1.0 + 1e-9),
            nbins,
        );
        let pct = |n: usize| format!("{:.0}%", 100.0 * n as f64 / total);
        let mut bars = vec![
            Bar::default()
                .value(zero as u64)
                .text_value(pct(zero))
                .label(Line::from("=0"))
                .style(t.bad),
        ];
        for (i, &n) in counts.iter().enumerate() {
            let upper = top * (i + 1) as f64 / nbins as f64;
            bars.push(
                Bar::default()
                    .value(n)
                    .text_value(pct(n as usize))
                    .label(Line::from(fmt_short(upper)))
                    .style(t.accent),
            );
        }
        BarChart::default()
            .block(titled(
                format!("act'(u), {} units (bins ≤ edge)", grads.len()),
                t,
            ))
            .data(BarGroup::default().bars(&bars))
            .bar_width(4)
            .bar_gap(1)
            .value_style(t.strong)
            .label_style(t.dim)
            .render(area, buf);
    }

    fn draw_right(&self, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        let t = ctx.theme;
        let mut rows = Rows::new(area);
        let status = match (ctx.job, &self.outcome, &self.job_error) {
            (Some(p), _, _) => Line::styled(
                format!(
                    "running: {} {}/{} steps {}",
                    p.label,
                    p.done,
                    p.total,
                    progress_bar(p.done, p.total, 12)
                ),
                t.warning,
            ),
            (None, _, Some(e)) => Line::styled(format!("experiment: {e} (e: rerun)"), t.bad),
            (None, Some(o), None) => {
                let c = &o.experiment.config;
                Line::styled(
                    format!(
                        "deep stack: {} blocks × {}, {} Adam steps, γ {} β {} c {} seed {}",
                        c.depth, c.width, c.steps, c.gamma, c.beta, c.shift, c.seed
                    ),
                    t.strong,
                )
            }
            (None, None, None) => Line::styled(
                "deep stack: press e to train it (5 activations; time and progress on the status line)",
                t.dim,
            ),
        };
        if let Some(r) = rows.take(2) {
            Paragraph::new(status)
                .wrap(Wrap { trim: true })
                .render(r, buf);
        }
        let Some(o) = &self.outcome else {
            return;
        };
        let e = &o.experiment;
        let styles = series_styles(t);
        // gradient norms on a log10 axis; exact zeros (dead or step units) sit on the floor
        let logs: Vec<Vec<f64>> = e
            .runs
            .iter()
            .map(|r| {
                r.grad_norm_by_depth
                    .iter()
                    .map(|&g| {
                        if g > 0.0 {
                            g.log10()
                        } else {
                            f64::NEG_INFINITY
                        }
                    })
                    .collect()
            })
            .collect();
        let finite = logs.iter().flatten().copied().filter(|v| v.is_finite());
        let (mut ya, mut yb) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
        if !ya.is_finite() {
            (ya, yb) = (-1.0, 1.0);
        }
        let floor = ya.floor() - 1.0;
        let top = yb.ceil().max(floor + 1.0);
        let depth_data: Vec<Vec<(f64, f64)>> = logs
            .iter()
            .map(|l| {
                l.iter()
                    .enumerate()
                    .map(|(i, &v)| ((i + 1) as f64, if v.is_finite() { v } else { floor }))
                    .collect()
            })
            .collect();
        let depth = e.config.depth.max(1) as f64;
        let datasets = depth_data
            .iter()
            .zip(&styles)
            .map(|(d, s)| {
                Dataset::default()
                    .graph_type(GraphType::Line)
                    .marker(Marker::Braille)
                    .style(*s)
                    .data(d)
            })
            .collect();
        if let Some(r) = rows.take(CHART_H) {
            Chart::new(datasets)
                .block(titled(
                    "log10 ‖dW‖ by block at init (floor = 0)".to_string(),
                    t,
                ))
                .x_axis(
                    Axis::default()
                        .bounds([1.0, depth.max(2.0)])
                        .labels(["1".to_string(), format!("{}", e.config.depth)])
                        .style(t.dim),
                )
                .y_axis(
                    Axis::default()
                        .bounds([floor, top])
                        .labels([format!("{floor:.0}"), format!("{top:.0}")])
                        .style(t.dim),
                )
                .render(r, buf);
        }
        let loss_data: Vec<Vec<(f64, f64)>> = e
            .runs
            .iter()
            .map(|r| {
                r.loss_curve
                    .iter()
                    .enumerate()
                    .map(|(i, &l)| (i as f64, l))
                    .collect()
            })
            .collect();
        let lmax = e
            .runs
            .iter()
            .flat_map(|r| r.loss_curve.iter().copied())
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max)
            .max(1e-3);
        let datasets = loss_data
            .iter()
            .zip(&styles)
            .map(|(d, s)| {
                Dataset::default()
                    .graph_type(GraphType::Line)
                    .marker(Marker::Braille)
                    .style(*s)
                    .data(d)
            })
            .collect();
        if let Some(r) = rows.take(CHART_H) {
            Chart::new(datasets)
                .block(titled("training loss (mini-batch BCE)".to_string(), t))
                .x_axis(
                    Axis::default()
                        .bounds([0.0, (e.config.steps.max(2) - 1) as f64])
                        .labels(["0".to_string(), format!("{}", e.config.steps)])
                        .style(t.dim),
                )
                .y_axis(
                    Axis::default()
                        .bounds([0.0, lmax])
                        .labels(["0".to_string(), format!("{lmax:.2}")])
                        .style(t.dim),
                )
                .render(r, buf);
        }
        let legend_rows = if area.width >= 44 { 1 } else { 2 };
        if let Some(r) = rows.take(legend_rows) {
            let spans: Vec<Span> = ALL
                .iter()
                .zip(&styles)
                .flat_map(|(a, s)| {
                    [
                        Span::styled("━━", *s),
                        Span::styled(format!(" ({}) {}  ", index_of(*a) + 1, a.short()), t.text),
                    ]
                })
                .collect();
            Paragraph::new(Line::from(spans))
                .wrap(Wrap { trim: true })
                .render(r, buf);
        }
        rows.line(
            buf,
            Line::styled(
                format!(
                    "{:<12}{:>7}{:>9}{:>8}{:>9}",
                    "  act", "acc", "‖dW₁‖", "Δβ", "‖dβ‖"
                ),
                t.table_header,
            ),
        );
        for (i, r) in e.runs.iter().enumerate() {
            let first = r.grad_norm_by_depth.first().copied().unwrap_or(0.0);
            rows.line(
                buf,
                Line::from(vec![
                    Span::styled(format!(" ({}) {:<7}", i + 1, ALL[i].short()), styles[i]),
                    Span::styled(
                        format!(
                            "{:>6.1}%{:>9.1e}{:>8.3}{:>9.1e}",
                            100.0 * r.final_train_accuracy,
                            first,
                            r.beta_max_change,
                            r.beta_grad_norm_at_init
                        ),
                        t.text,
                    ),
                ]),
            );
        }
        let worst = o.checks.iter().fold(GradCheck::NONE, |a, b| a.merge(*b));
        rows.line(buf, check_line("net grad check", &worst, t));
        rows.line(
            buf,
            Line::styled(
                format!(
                    "{} spiral points, batch {}, lr {}",
                    e.data.y.len(),
                    e.config.batch,
                    e.config.learning_rate
                ),
                t.dim,
            ),
        );
    }
}

/// `v`, or 0 if it would print as "-0.000" at `digits` decimals.
fn no_negative_zero(v: f64, digits: i32) -> f64 {
    if v.abs() < 0.5 * 10f64.powi(-digits) {
        0.0
    } else {
        v
    }
}

fn index_of(a: crate::compute::activations::functions::Act) -> usize {
    ALL.iter().position(|&b| b == a).unwrap_or(0)
}

fn series_styles(t: &Theme) -> [Style; 5] {
    [t.good, t.warning, t.bad, t.accent, t.math]
}

fn check_line(what: &str, c: &GradCheck, t: &Theme) -> Line<'static> {
    let ok = c.max_rel_error <= CHECK_OK;
    Line::from(vec![
        Span::styled(
            format!("{what}: max rel err {:.1e} ", c.max_rel_error),
            t.text,
        ),
        Span::styled(if ok { "✓" } else { "✗" }, if ok { t.good } else { t.bad }),
        Span::styled(format!(" ({} entries)", c.checked), t.dim),
    ])
}

fn titled(title: String, t: &Theme) -> ratatui::widgets::Block<'static> {
    ratatui::widgets::Block::default()
        .title(Line::styled(title, t.dim))
        .borders(ratatui::widgets::Borders::TOP)
        .border_style(t.border)
}

fn progress_bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        width
    } else {
        ((done.min(total) as f64 / total as f64) * width as f64).round() as usize
    };
    format!(
        "[{}{}]",
        "#".repeat(filled),
        " ".repeat(width - filled.min(width))
    )
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn fmt_short(v: f64) -> String {
    let s = format!("{v:.2}");
    s.strip_prefix("0").map(str::to_string).unwrap_or(s)
}

/// Hands out consecutive rows of an area; empty once the area is used up.
struct Rows {
    area: Rect,
    next: u16,
}

impl Rows {
    fn new(area: Rect) -> Self {
        Rows { area, next: 0 }
    }

    fn take(&mut self, h: u16) -> Option<Rect> {
        let left = self.area.height.saturating_sub(self.next);
        if left == 0 || self.area.width == 0 {
            return None;
        }
        let h = h.min(left);
        let r = Rect::new(self.area.x, self.area.y + self.next, self.area.width, h);
        self.next += h;
        Some(r)
    }

    fn skip(&mut self, h: u16) {
        self.next = self.next.saturating_add(h);
    }

    /// One line of text, wrapped at spaces onto more rows if it is wider
    /// than the area (so no number is cut at the edge).
    fn line(&mut self, buf: &mut Buffer, line: Line<'_>) {
        let pieces: Vec<(String, ratatui::style::Style)> = line
            .spans
            .iter()
            .map(|s| (s.content.to_string(), line.style.patch(s.style)))
            .collect();
        for row in super::canvas::wrap_styled(&pieces, self.area.width) {
            let Some(r) = self.take(1) else { return };
            let spans: Vec<Span<'_>> = row.into_iter().map(|(t, s)| Span::styled(t, s)).collect();
            super::canvas::put_line(buf, r, &Line::from(spans));
        }
    }
}

/// The traced block at the panel's knobs and activation.
fn block_spec(c: StatsConfig, selected: usize) -> BlockSpec {
    BlockSpec::small(ALL[selected], c.gamma, c.beta, c.shift, c.seed)
}
