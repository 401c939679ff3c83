//! Problem 3's panel: widen the midterm's ReLU network from K to 2K with one
//! of four strategies and see, per weight matrix, which blocks are kept, zero,
//! random or copied, which of them receive gradient, the output change, the
//! live gradient check, and a short SGD run after widening.
//!
//! Everything shown comes from `compute::widen::experiment`. The panel opens
//! on a result computed at creation (about 2 ms at the default sizes in a
//! release build); a key that changes the settings starts the experiment as a
//! job (a 300-step run with its finite-difference check can take longer than a
//! frame on a loaded machine), and the previous result stays on screen, marked
//! as stale, until the new one arrives. `render` only formats and draws.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthStr;

use super::canvas::pick_hint;
use super::stepper::Stepper;
use super::{
    JobRequest, JobResult, Panel, PanelContext, PanelEffect, PanelKey, PanelKind, StateKey,
    StateValues,
};
use crate::compute::trace::Phase;
use crate::compute::widen::trace::{self as widen_trace, new_blocks_live};
use crate::compute::widen::{Config, Experiment, Init, Strategy, experiment, num, sci};
use crate::ui::theme::Theme;

pub const KIND: PanelKind = PanelKind {
    name: "widen",
    summary: "Problem 3: widening K → 2K, blocks, gradients of new units, training",
    create: || Box::new(WidenPanel::new()),
    states: &[
        StateKey {
            key: "strategy",
            values: StateValues::OneOf(Strategy::NAMES),
        },
        // Steps done in the widened network's trace (clamped to its length);
        // applied after `strategy`, which the trace depends on.
        StateKey {
            key: "step",
            values: StateValues::Int { min: 0, max: 100 },
        },
    ],
};

/// Training lengths the `t` key cycles through.
const STEPS: [usize; 3] = [30, 100, 300];

/// From this width two sections share a row.
const SIDE_BY_SIDE: u16 = 74;

const KEYS: &[(&str, &str)] = &[
    (
        "c",
        "cycle the strategy: zero / random-in zero-out / zero-in random-out / Net2Net",
    ),
    ("s", "new seed (weights, batch, targets, new blocks)"),
    ("t", "SGD steps after widening: 30 → 100 → 300"),
    ("z", "ReLU'(0): 0 ↔ 1"),
    ("j/k ↑/↓", "select weight matrix"),
    (
        "space/l/→ h/←",
        "step forward through the widened network, then backward matrix by matrix",
    ),
    ("g/G", "first / last step"),
    ("B", "start of the backward pass"),
    ("a", "play / pause"),
    ("r", "reset the trace"),
];

pub struct WidenPanel {
    /// The settings the keys have chosen (the running job's, if any).
    config: Config,
    selected: usize,
    /// The latest finished experiment (its own config may lag `config`).
    view: Result<Experiment, String>,
    /// The widened network's forward and backward on the batch, step by step.
    stepper: Stepper,
    /// A `panel_state` step that arrived before the experiment job (the
    /// trace is recorded from its result).
    pending_step: Option<usize>,
}

impl WidenPanel {
    pub fn new() -> Self {
        WidenPanel {
            config: Config::default(),
            // Open on W(1), the first matrix with all four kinds of block.
            selected: 1,
            // Filled by the initial job: the experiment trains the narrow and
            // the widened network (about 10 ms), too long for the frame that
            // opens the part.
            view: Err(String::new()),
            stepper: Stepper::default(),
            pending_step: None,
        }
    }

    pub fn stepper(&self) -> &Stepper {
        &self.stepper
    }

    /// Advance the trace one step (exam mode's hook).
    pub fn advance_step(&mut self) -> bool {
        self.stepper.advance()
    }

    /// Record the trace of the experiment on screen (microseconds at the
    /// largest sizes: K ≤ 16, depth ≤ 5, batch ≤ 16).
    fn retrace(&mut self) {
        if let Ok(e) = &self.view {
            self.stepper.set_trace(widen_trace::record(
                &e.wide,
                &e.setup.x,
                &e.setup.t,
                e.config.relu0,
            ));
            if let Some(n) = self.pending_step.take() {
                self.stepper.set_position(n);
            }
        }
    }

    /// The trace section: each matrix's blocks with ● (gradient) or ·
    /// (none) once its weight-gradient step is done, ? before; then the step.
    fn trace_lines(
        &self,
        width: u16,
        rows: usize,
        theme: &Theme,
        m: crate::ui::doc::MathSettings,
    ) -> Vec<Line> {
        let (pos, _) = self.stepper.position();
        let Ok(e) = &self.view else {
            return Vec::new();
        };
        if pos == 0 {
            return Vec::new();
        }
        let count = e.wide.blocks.len();
        let steps = &self.stepper.trace().steps[..pos];
        // Weight-gradient steps run from W(out) down to W(in).
        let grads: Vec<Option<ndarray::Array2<f64>>> = (0..count)
            .map(|l| {
                steps
                    .iter()
                    .filter(|s| s.op == "widen.dweight")
                    .nth(count - 1 - l)
                    .and_then(|s| s.output("∂L/∂W̃"))
                    .map(|t| t.matrix())
            })
            .collect();
        let current_matrix = self.stepper.current_step().and_then(|s| {
            (s.phase == Phase::Backward && s.op == "widen.dweight")
                .then(|| count - steps.iter().filter(|s| s.op == "widen.dweight").count())
        });
        let mut head: Line = vec![("∂W̃≠0 ".into(), theme.dim)];
        let mut rows_of: [Line; 2] = [
            vec![("      ".into(), theme.text)],
            vec![("      ".into(), theme.text)],
        ];
        for (l, bs) in e.wide.blocks.iter().enumerate() {
            let name = crate::compute::widen::matrix_name(l, count);
            let name = name
                .trim_start_matches("W(")
                .trim_end_matches(')')
                .to_string();
            let cols = bs.iter().map(|b| b.grid.1 + 1).max().unwrap_or(1);
            let w = (cols * 2).max(name.width()) + 1;
            let style = if current_matrix == Some(l) {
                theme.selected
            } else {
                theme.dim
            };
            head.push((format!("{name:<w$}"), style));
            for (r, row) in rows_of.iter_mut().enumerate() {
                let mut used = 0;
                for b in bs.iter().filter(|b| b.grid.0 == r) {
                    let (ch, st) = match &grads[l] {
                        None => ('?', theme.dim),
                        Some(g) => {
                            let live = crate::compute::widen::trace::block_live(g, b);
                            if live {
                                ('●', theme.good)
                            } else {
                                ('·', theme.dim)
                            }
                        }
                    };
                    row.push((format!("{ch} "), st));
                    used += 2;
                }
                row.push((" ".repeat(w - used), theme.text));
            }
        }
        let mut out = vec![head];
        out.extend(rows_of);
        let done_all = grads.iter().all(Option::is_some);
        if done_all {
            let any_new = grads
                .iter()
                .zip(&e.wide.blocks)
                .any(|(g, b)| g.as_ref().is_some_and(|g| new_blocks_live(g, b)));
            let (text, style) = if any_new {
                (
                    "some new block gets gradient: the new units can learn",
                    theme.good,
                )
            } else {
                (
                    "no new block gets any gradient: the new units never change",
                    theme.bad,
                )
            };
            for l in super::canvas::wrap_words(text, width) {
                out.push(vec![(l, style)]);
            }
        }
        let budget = rows.saturating_sub(out.len() + 1);
        for l in self.stepper.lines_within(width, budget, theme, m) {
            out.push(
                l.spans
                    .iter()
                    .map(|s| (s.content.to_string(), l.style.patch(s.style)))
                    .collect(),
            );
        }
        out.push(Vec::new());
        out
    }

    /// Run the experiment for the current settings off the draw loop.
    fn job(&self) -> JobRequest {
        let cfg = self.config;
        JobRequest::new(format!("widen: {}", cfg.strategy.name()), move |progress| {
            experiment(&cfg, progress).map_err(|e| e.to_string())
        })
    }

    /// Whether the result on screen is for other settings than the keys chose.
    fn stale(&self) -> bool {
        self.view.as_ref().is_ok_and(|e| e.config != self.config)
    }
}

impl Default for WidenPanel {
    fn default() -> Self {
        Self::new()
    }
}

impl Panel for WidenPanel {
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
            "Widen K={} → {} · {}",
            self.config.k,
            2 * self.config.k,
            self.config.strategy.label()
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
            PanelKey::Char('j') | PanelKey::Down => {
                self.selected = (self.selected + 1).min(self.config.depth);
                return PanelEffect::Redraw;
            }
            PanelKey::Char('k') | PanelKey::Up => {
                self.selected = self.selected.saturating_sub(1);
                return PanelEffect::Redraw;
            }
            PanelKey::Char('c') => self.config.strategy = self.config.strategy.next(),
            PanelKey::Char('s') => self.config.seed = self.config.seed.wrapping_add(1),
            PanelKey::Char('t') => {
                let i = STEPS.iter().position(|s| *s == self.config.steps);
                self.config.steps = STEPS[i.map_or(0, |i| (i + 1) % STEPS.len())];
            }
            PanelKey::Char('z') => {
                self.config.relu0 = if self.config.relu0 == 0.0 { 1.0 } else { 0.0 };
            }
            _ => return PanelEffect::Ignored,
        }
        PanelEffect::Run(self.job())
    }

    fn state_value(&self, key: &str) -> Option<String> {
        match key {
            "strategy" => Some(self.config.strategy.name().to_string()),
            "step" => Some(self.stepper.position().0.to_string()),
            _ => None,
        }
    }

    fn apply_state(&mut self, key: &str, value: &str) {
        if key == "step"
            && let Ok(n) = value.parse::<usize>()
        {
            self.stepper.set_position(n);
            self.pending_step = Some(n);
        }
        if key == "strategy"
            && let Some(strategy) = Strategy::from_name(value)
            && strategy != self.config.strategy
        {
            self.config.strategy = strategy;
        }
    }

    fn animating(&self) -> bool {
        self.stepper.playing()
    }

    fn tick(&mut self) -> bool {
        self.stepper.tick()
    }

    fn initial_job(&mut self) -> Option<JobRequest> {
        Some(self.job())
    }

    fn job_finished(&mut self, result: JobResult) {
        let result = result.and_then(|any| {
            any.downcast::<Experiment>()
                .map(|e| *e)
                .map_err(|_| "unexpected job result".to_string())
        });
        match result {
            // A result for settings changed since is dropped; its successor runs.
            Ok(e) if e.config != self.config => {}
            Ok(e) => {
                self.view = Ok(e);
                self.retrace();
            }
            Err(msg) => self.view = Err(msg),
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let theme = ctx.theme;
        let mut lines = match &self.view {
            Ok(e) => self.lines(e, area.width, theme),
            Err(msg) => vec![vec![(msg.clone(), theme.bad)]],
        };
        // While stepping, the trace goes first.
        let trace = self.trace_lines(
            area.width,
            usize::from(area.height.saturating_sub(2)),
            theme,
            ctx.math,
        );
        lines.splice(0..0, trace);
        if let Some(p) = ctx.job {
            let status = format!(
                "computing {} ({}/{})…",
                self.config.strategy.label(),
                p.done,
                p.total
            );
            lines.insert(0, vec![(status, theme.warning)]);
        } else if self.stale() {
            lines.insert(0, vec![("stale: settings changed".into(), theme.warning)]);
        }
        let body = area.height.saturating_sub(1);
        for (y, line) in lines.iter().take(body as usize).enumerate() {
            draw_line(buf, area, y as u16, line);
        }
        draw_line(
            buf,
            area,
            area.height - 1,
            &vec![(hint(area.width).to_string(), theme.dim)],
        );
    }

    fn full_height(&self, width: u16) -> u16 {
        let trace = self
            .trace_lines(
                width,
                200,
                &Theme::default(),
                crate::ui::doc::MathSettings::default(),
            )
            .len() as u16;
        trace
            + match &self.view {
                Ok(e) => self.lines(e, width, &Theme::default()).len() as u16 + 1,
                Err(_) => 2,
            }
    }
}

/// A line of styled runs.
type Line = Vec<(String, Style)>;

fn draw_line(buf: &mut Buffer, area: Rect, y: u16, line: &Line) {
    if y >= area.height {
        return;
    }
    let pieces: Vec<(&str, Style)> = line.iter().map(|(t, s)| (t.as_str(), *s)).collect();
    super::canvas::put_clipped(buf, area.x, area.y + y, usize::from(area.width), &pieces);
}

fn width(line: &Line) -> usize {
    line.iter().map(|(t, _)| t.width()).sum()
}

/// Two columns of lines, the left padded to `left_w`.
fn beside(left: Vec<Line>, right: Vec<Line>, left_w: usize, theme: &Theme) -> Vec<Line> {
    let rows = left.len().max(right.len());
    let mut out = Vec::with_capacity(rows);
    let mut left = left.into_iter();
    let mut right = right.into_iter();
    for _ in 0..rows {
        let mut line = left.next().unwrap_or_default();
        let pad = left_w.saturating_sub(width(&line));
        line.push((" ".repeat(pad), theme.text));
        line.extend(right.next().unwrap_or_default());
        out.push(line);
    }
    out
}

impl WidenPanel {
    /// Every line the panel shows at this width, most important first; the
    /// area's height cuts the tail.
    fn lines(&self, e: &Experiment, w: u16, theme: &Theme) -> Vec<Line> {
        let wide = w >= SIDE_BY_SIDE;
        let c = &e.config;
        let s = &e.snapshot;
        let mut out: Vec<Line> = Vec::new();
        out.push(vec![
            (c.strategy.label().to_string(), theme.strong),
            (
                format!(
                    "  seed {} · ReLU'(0)={}{}",
                    c.seed,
                    c.relu0,
                    if wide {
                        format!(" · C={} D={} n={} B={}", c.c, c.d, c.depth, c.batch)
                    } else {
                        String::new()
                    }
                ),
                theme.dim,
            ),
        ]);
        let preserved = s.max_diff < 1e-12;
        out.push(vec![
            (format!("max|ỹ−y| {} ", sci(s.max_diff)), theme.text),
            if preserved {
                ("✓ function preserved".into(), theme.good)
            } else {
                ("✗ function changed".into(), theme.bad)
            },
        ]);
        out.push(self.check_line(e, wide, theme));
        out.extend(self.grids(e, wide, theme));
        out.extend(self.training(e, w, theme));
        let table = self.layer_table(e, theme);
        let blocks = self.block_details(e, wide, theme);
        if wide {
            let left_w = table.iter().map(width).max().unwrap_or(0) + 3;
            out.extend(beside(table, blocks, left_w, theme));
        } else {
            out.extend(table);
            out.extend(blocks);
        }
        // Prose lines wrap at spaces rather than being cut mid-number.
        out.into_iter()
            .flat_map(|line| super::canvas::wrap_styled(&line, w))
            .collect()
    }

    fn check_line(&self, e: &Experiment, wide: bool, theme: &Theme) -> Line {
        let err = e.check_wide.max_rel_error;
        if e.check_at_kink() {
            // Finite differences straddle ReLU's kink here, so the error says
            // nothing: lead with "n/a" so it cannot read as a failed check.
            return vec![
                ("grad check: ".into(), theme.text),
                ("n/a".into(), theme.warning),
                (
                    format!(
                        " ({} pre-activations exactly 0, at ReLU's kink; max rel err {})",
                        e.snapshot.at_kink,
                        sci(err)
                    ),
                    theme.dim,
                ),
            ];
        }
        let mut line = vec![(format!("grad check: max rel err {} ", sci(err)), theme.text)];
        if err < crate::compute::widen::CHECK_TOLERANCE {
            line.push(("✓".into(), theme.good));
        } else {
            line.push(("✗".into(), theme.bad));
        }
        if wide {
            line.push((
                format!(
                    "  ({} entries; narrow net rel err {})",
                    e.check_wide.checked,
                    sci(e.check_narrow.max_rel_error)
                ),
                theme.dim,
            ));
        }
        line
    }

    /// The block grid of every matrix twice: how each block was initialised,
    /// and whether it gets gradient right after widening.
    fn grids(&self, e: &Experiment, wide: bool, theme: &Theme) -> Vec<Line> {
        let matrices = &e.snapshot.matrices;
        let names: Vec<String> = matrices
            .iter()
            .map(|m| {
                m.name
                    .trim_start_matches("W(")
                    .trim_end_matches(')')
                    .to_string()
            })
            .collect();
        // Each matrix is 1 or 2 blocks wide, 2 cells per block, at least as wide as its name.
        let widths: Vec<usize> = matrices
            .iter()
            .zip(&names)
            .map(|(m, n)| {
                let cols = m
                    .blocks
                    .iter()
                    .map(|b| b.block.grid.1 + 1)
                    .max()
                    .unwrap_or(1);
                (cols * 2).max(n.width())
            })
            .collect();
        let grid = |label: &str, grad: bool| -> Vec<Line> {
            let mut rows: Vec<Line> = ["", label, ""]
                .iter()
                .map(|l| vec![(format!("{l:<5}"), theme.dim)])
                .collect();
            for (l, (m, w)) in matrices.iter().zip(&widths).enumerate() {
                let sel = l == self.selected;
                let name_style = if sel { theme.selected } else { theme.dim };
                rows[0].push((format!("{:<w$}", names[l]), name_style));
                for (r, row) in rows.iter_mut().enumerate().skip(1) {
                    let mut used = 0;
                    for b in m.blocks.iter().filter(|b| b.block.grid.0 + 1 == r) {
                        let (ch, style) = if grad {
                            if b.grad_norm != 0.0 {
                                ('●', theme.good)
                            } else {
                                ('·', theme.dim)
                            }
                        } else {
                            init_cell(b.block.init, theme)
                        };
                        row.push((format!("{ch} "), style));
                        used += 2;
                    }
                    row.push((" ".repeat(w.saturating_sub(used)), theme.text));
                }
                for row in &mut rows {
                    row.push(("  ".into(), theme.text));
                }
            }
            rows
        };
        let init = grid("init", false);
        let grad = grid("∇≠0", true);
        let legend: Line = vec![(
            if wide {
                "W kept 0 zero R random = copy S split · ● gets gradient"
            } else {
                "W kept 0 zero R rand = copy S split ●∇"
            }
            .into(),
            theme.dim,
        )];
        let mut out = vec![legend];
        if wide {
            let left_w = init.iter().map(width).max().unwrap_or(0) + 2;
            out.extend(beside(init, grad, left_w, theme));
        } else {
            out.extend(init);
            out.extend(grad.into_iter().skip(1));
        }
        out
    }

    fn training(&self, e: &Experiment, w: u16, theme: &Theme) -> Vec<Line> {
        let tr = &e.training;
        let last = tr.loss.len().saturating_sub(1);
        let spark_w = (w as usize).saturating_sub(16).clamp(4, 60);
        let moved = tr.new_moved[last];
        let first_in = tr.in_grad.iter().position(|g| *g != 0.0);
        vec![
            vec![(
                if w >= SIDE_BY_SIDE {
                    format!(
                        "SGD {} steps lr {}: loss {} → {} (narrow net {})",
                        tr.steps,
                        tr.lr,
                        num(tr.loss[0]),
                        num(tr.loss[last]),
                        num(tr.narrow_loss[last])
                    )
                } else {
                    format!(
                        "SGD {} steps: loss {} → {}",
                        tr.steps,
                        num(tr.loss[0]),
                        num(tr.loss[last])
                    )
                },
                theme.text,
            )],
            vec![
                ("loss  ".into(), theme.dim),
                (sparkline(&tr.loss, spark_w), theme.accent),
            ],
            vec![
                ("moved ".into(), theme.dim),
                (sparkline(&tr.new_moved, spark_w), theme.accent),
                (
                    format!(" {}", sci(moved)),
                    if moved == 0.0 { theme.bad } else { theme.good },
                ),
            ],
            vec![(
                match first_in {
                    Some(0) => "∇ old→new ≠ 0 from the start".into(),
                    Some(1) => "∇ old→new ≠ 0 after 1 SGD step".into(),
                    Some(step) => format!("∇ old→new ≠ 0 after {step} SGD steps"),
                    None => "∇ old→new = 0 at every step: never trains".into(),
                },
                if first_in.is_some() {
                    theme.dim
                } else {
                    theme.bad
                },
            )],
        ]
    }

    fn layer_table(&self, e: &Experiment, theme: &Theme) -> Vec<Line> {
        let mut out = vec![vec![(
            format!("  {:<7}{:>9} {:>9}", "matrix", "‖∇old‖", "‖∇new‖"),
            theme.table_header,
        )]];
        for (l, m) in e.snapshot.matrices.iter().enumerate() {
            let sel = l == self.selected;
            let style = if sel { theme.selected } else { theme.text };
            out.push(vec![
                (if sel { "▸ " } else { "  " }.into(), style),
                (format!("{:<7}{:>9} ", m.name, sci(m.old_grad_norm)), style),
                (
                    format!("{:>9}", sci(m.new_grad_norm)),
                    if m.new_grad_norm == 0.0 {
                        theme.dim.patch(style)
                    } else {
                        theme.good.patch(style)
                    },
                ),
            ]);
        }
        out
    }

    fn block_details(&self, e: &Experiment, wide: bool, theme: &Theme) -> Vec<Line> {
        let Some(m) = e.snapshot.matrices.get(self.selected) else {
            return Vec::new();
        };
        let mut out = vec![vec![(
            format!(
                "{} {}x{}: block  init  ‖W‖  ‖∇‖",
                m.name, m.shape.0, m.shape.1
            ),
            theme.table_header,
        )]];
        for b in &m.blocks {
            let (ch, style) = init_cell(b.block.init, theme);
            let mut line = vec![
                (format!("{ch} "), style),
                (
                    format!("{:<8}{:<7}", b.block.role.label(), b.block.init.label()),
                    theme.text,
                ),
            ];
            if wide {
                line.push((format!("{:>8} ", sci(b.norm)), theme.text));
            }
            line.push((
                format!("{:>8}", sci(b.grad_norm)),
                if b.grad_norm == 0.0 {
                    theme.dim
                } else {
                    theme.good
                },
            ));
            out.push(line);
        }
        if !wide && let Some(h) = out.first_mut() {
            *h = vec![(
                format!("{} {}x{}: block init ‖∇‖", m.name, m.shape.0, m.shape.1),
                theme.table_header,
            )];
        }
        out
    }
}

fn init_cell(init: Init, theme: &Theme) -> (char, Style) {
    let style = match init {
        Init::Kept => theme.strong,
        Init::Zero => theme.dim,
        Init::Random => theme.accent,
        Init::Copy | Init::Split => theme.warning,
    };
    (init.letter(), style)
}

/// `values` resampled to `width` cells of ▁…█, scaled to their own maximum;
/// all-zero values draw as the lowest bar.
fn sparkline(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let max = values.iter().copied().fold(0.0, f64::max);
    let cells = width.min(values.len());
    (0..cells)
        .map(|i| {
            let v = values[i * (values.len() - 1) / (cells - 1).max(1)];
            if max <= 0.0 || !v.is_finite() {
                BARS[0]
            } else {
                BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

fn hint(width: u16) -> &'static str {
    const HINTS: [&str; 4] = [
        "c strategy  s seed  t steps  z ReLU'(0)  j/k matrix  space/B step",
        "c strategy  s seed  t steps  z ReLU'(0)  j/k matrix",
        "c strat s seed t steps z relu' j/k spc",
        "c s t z j/k spc",
    ];
    pick_hint(&HINTS, width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::widen::Strategy;

    #[test]
    fn sparkline_scales_and_resamples() {
        assert_eq!(sparkline(&[0.0, 0.0, 0.0], 3), "▁▁▁");
        assert_eq!(sparkline(&[1.0, 0.5, 0.0], 3), "█▅▁");
        assert_eq!(sparkline(&[1.0; 100], 5).chars().count(), 5);
        assert_eq!(sparkline(&[], 5), "");
    }

    fn press(p: &mut WidenPanel, key: PanelKey) -> bool {
        match p.handle(key) {
            PanelEffect::Run(job) => {
                p.job_finished(job.run_inline());
                true
            }
            PanelEffect::Redraw => true,
            PanelEffect::Ignored => false,
        }
    }

    #[test]
    fn keys_change_the_view() {
        let mut p = WidenPanel::new();
        assert_eq!(p.config.strategy, Strategy::RandomInZeroOut);
        press(&mut p, PanelKey::Char('c'));
        assert_eq!(p.config.strategy, Strategy::ZeroInRandomOut);
        press(&mut p, PanelKey::Char('z'));
        assert_eq!(p.config.relu0, 1.0);
        press(&mut p, PanelKey::Char('t'));
        assert_eq!(p.config.steps, 100);
        for _ in 0..10 {
            press(&mut p, PanelKey::Down);
        }
        assert_eq!(p.selected, p.config.depth);
        assert!(!press(&mut p, PanelKey::Char('x')));
        assert!(!p.stale());
        assert_eq!(p.view.as_ref().unwrap().training.steps, 100);
    }

    #[test]
    fn a_result_for_old_settings_is_dropped() {
        let mut p = WidenPanel::new();
        let opening = p.initial_job().expect("the experiment runs as a job");
        p.job_finished(opening.run_inline());
        let PanelEffect::Run(first) = p.handle(PanelKey::Char('c')) else {
            panic!("c starts a job");
        };
        let PanelEffect::Run(second) = p.handle(PanelKey::Char('c')) else {
            panic!("c starts a job");
        };
        assert!(p.stale());
        p.job_finished(first.run_inline());
        assert!(p.stale(), "the first result is for the previous strategy");
        p.job_finished(second.run_inline());
        assert!(!p.stale());
        assert_eq!(p.view.as_ref().unwrap().config.strategy, Strategy::Net2Net);
    }
}
