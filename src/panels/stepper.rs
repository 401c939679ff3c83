//! The one stepper every stepping panel uses: it owns a [`Trace`], the
//! position in it, play mode and the step keys (the same in every panel), and
//! draws the current step: where it is ("step 7 of 17 · backward"), what it
//! computes, its equation through the notebook's math renderer, and its
//! values: outputs live, inputs with the earlier step they are read from.
//! A panel adds only its own picture of where the step is.
//!
//! Position: `pos` steps are done (0..=len); the current step is `pos − 1`.
//! Position 0 is the state before the first step, so a panel can open on its
//! result and step in from there.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::{PanelEffect, PanelKey};
use crate::compute::trace::{Phase, Step, Tensor, Trace};
use crate::math;
use crate::ui::doc::MathSettings;
use crate::ui::theme::Theme;

/// Play mode advances one step every this many ticks (~100 ms each).
pub const TICKS_PER_STEP: u32 = 5;

/// The step keys, for a panel's `keys()` list.
pub const KEYS: &[(&str, &str)] = &[
    ("space/l/→", "next step"),
    ("h/←", "previous step"),
    ("g/G", "first / last step"),
    ("B", "start of the backward pass"),
    ("a", "play / pause"),
    ("r", "reset to before the first step"),
];

/// How much of a step [`Stepper::lines_within`] shows, most first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Detail {
    /// 2D equation, every value, the note.
    Full,
    /// The equation on one line.
    OneLine,
    /// Only the inputs read from earlier steps.
    Linked,
    /// And no note.
    Bare,
    /// And no equation: the label and the values only.
    ValuesOnly,
}

#[derive(Debug, Clone, Default)]
pub struct Stepper {
    trace: Trace,
    pos: usize,
    playing: bool,
    ticks: u32,
    /// Ticks per play step (0: [`TICKS_PER_STEP`]).
    pace: u32,
}

impl Stepper {
    pub fn new(trace: Trace) -> Stepper {
        Stepper {
            trace,
            pos: 0,
            playing: false,
            ticks: 0,
            pace: 0,
        }
    }

    /// Play one step every `ticks` ticks instead of [`TICKS_PER_STEP`].
    pub fn with_pace(mut self, ticks: u32) -> Stepper {
        self.pace = ticks.max(1);
        self
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Swap in a recomputed trace (new knobs), keeping the position where it
    /// still exists.
    pub fn set_trace(&mut self, trace: Trace) {
        self.trace = trace;
        self.pos = self.pos.min(self.trace.len());
        if self.pos == self.trace.len() {
            self.playing = false;
        }
    }

    /// (steps done, steps in the trace).
    pub fn position(&self) -> (usize, usize) {
        (self.pos, self.trace.len())
    }

    /// Index of the current step (the last one done), if any.
    pub fn current(&self) -> Option<usize> {
        self.pos.checked_sub(1)
    }

    pub fn current_step(&self) -> Option<&Step> {
        self.current().and_then(|k| self.trace.steps.get(k))
    }

    pub fn set_position(&mut self, pos: usize) {
        self.pos = pos.min(self.trace.len());
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    /// One step forward; false at the end. The hook for a revealed solution
    /// step (exam mode) to move the panel's trace along with it.
    pub fn advance(&mut self) -> bool {
        let before = self.pos;
        self.set_position(self.pos + 1);
        self.pos != before
    }

    pub fn back(&mut self) -> bool {
        let before = self.pos;
        self.pos = self.pos.saturating_sub(1);
        self.pos != before
    }

    /// Position of the first backward step (it is then the current one).
    pub fn backward_position(&self) -> Option<usize> {
        self.trace.backward_start().map(|k| k + 1)
    }

    /// Handle a step key: `Some(effect)` if `key` is one, `None` otherwise
    /// (the panel then uses it). Every key but `a` stops play.
    pub fn handle(&mut self, key: PanelKey) -> Option<PanelEffect> {
        match key {
            PanelKey::Char(' ' | 'l') | PanelKey::Right => {
                self.playing = false;
                self.advance();
            }
            PanelKey::Char('h') | PanelKey::Left => {
                self.playing = false;
                self.back();
            }
            PanelKey::Top => {
                self.playing = false;
                self.set_position(1);
            }
            PanelKey::Bottom => {
                self.playing = false;
                self.set_position(usize::MAX);
            }
            PanelKey::Char('B') => {
                self.playing = false;
                if let Some(p) = self.backward_position() {
                    self.set_position(p);
                }
            }
            PanelKey::Char('r') => {
                self.playing = false;
                self.set_position(0);
            }
            PanelKey::Char('a') => {
                if !self.playing && self.pos == self.trace.len() {
                    self.set_position(0);
                }
                self.playing = !self.playing && !self.trace.is_empty();
                self.ticks = 0;
            }
            _ => return None,
        }
        Some(PanelEffect::Redraw)
    }

    /// Advance play mode by one tick; returns whether anything changed.
    pub fn tick(&mut self) -> bool {
        if !self.playing {
            return false;
        }
        self.ticks += 1;
        let pace = if self.pace == 0 {
            TICKS_PER_STEP
        } else {
            self.pace
        };
        if !self.ticks.is_multiple_of(pace) {
            return false;
        }
        // Long traces (thousands of actions) move several steps per frame,
        // so playing one through takes at most about 200 frames.
        let before = self.pos;
        self.set_position(self.pos + (self.trace.len() / 200).max(1));
        let moved = self.pos != before;
        if self.pos == self.trace.len() {
            self.playing = false;
        }
        moved || !self.playing
    }

    /// The current step's equation alone, on one line per part (for a
    /// panel whose own picture already shows the step's values).
    pub fn equation(&self, width: u16, t: &Theme, m: MathSettings) -> Vec<Line<'static>> {
        match self.current_step() {
            Some(s) => equation_lines(&s.latex, usize::from(width.max(1)), false, t, m),
            None => Vec::new(),
        }
    }

    /// "step 7 of 17 · backward" (with ▶ while playing).
    pub fn indicator(&self) -> String {
        let (pos, len) = self.position();
        let phase = match self.current_step() {
            Some(s) => s.phase.name(),
            None => "not started",
        };
        let play = if self.playing { " ▶" } else { "" };
        format!("step {pos} of {len} · {phase}{play}")
    }

    /// [`Stepper::lines`] in at most `rows` rows: the 2D equation goes to one
    /// line first, then the constant inputs (data, weights, ε) go, then the
    /// note, then the equation; whatever is still too tall is cut at the
    /// bottom (so a step should list its outputs most telling first).
    pub fn lines_within(
        &self,
        width: u16,
        rows: usize,
        t: &Theme,
        m: MathSettings,
    ) -> Vec<Line<'static>> {
        self.lines_within_opt(width, rows, true, t, m)
    }

    /// [`Stepper::lines_within`], without the indicator line when the panel
    /// shows the position itself.
    pub fn lines_within_opt(
        &self,
        width: u16,
        rows: usize,
        indicator: bool,
        t: &Theme,
        m: MathSettings,
    ) -> Vec<Line<'static>> {
        let skip = usize::from(!indicator && self.current_step().is_some());
        let rows = rows.saturating_add(skip);
        let mut lines = self.lines(width, true, t, m);
        for level in [
            Detail::OneLine,
            Detail::Linked,
            Detail::Bare,
            Detail::ValuesOnly,
        ] {
            if lines.len() <= rows {
                break;
            }
            lines = self.lines_at(width, level, t, m);
        }
        lines.truncate(rows);
        lines.drain(..skip.min(lines.len()));
        lines
    }

    /// The current step drawn in `width` columns: the indicator, the label,
    /// the equation (2D when `roomy`, else on one line), the values and the
    /// note. Every line fits `width`.
    pub fn lines(&self, width: u16, roomy: bool, t: &Theme, m: MathSettings) -> Vec<Line<'static>> {
        self.lines_at(
            width,
            if roomy { Detail::Full } else { Detail::OneLine },
            t,
            m,
        )
    }

    fn lines_at(
        &self,
        width: u16,
        detail: Detail,
        t: &Theme,
        m: MathSettings,
    ) -> Vec<Line<'static>> {
        let roomy = detail == Detail::Full;
        let w = usize::from(width.max(1));
        let mut out = Vec::new();
        let ind = self.indicator();
        out.push(fit_line(vec![Span::styled(ind, t.current)], w));
        let Some(step) = self.current_step() else {
            let hint = match self.backward_position() {
                Some(_) => "space: first step · B: backward pass · G: last",
                None => "space: first step · G: last",
            };
            for l in math_free_wrap(hint, w) {
                out.push(Line::styled(l, t.dim));
            }
            return out;
        };
        for l in math_free_wrap(&step.label, w) {
            out.push(Line::styled(l, t.text.add_modifier(Modifier::BOLD)));
        }
        if detail < Detail::ValuesOnly {
            out.extend(equation_lines(&step.latex, w, roomy, t, m));
        }
        let name_w = step
            .inputs
            .iter()
            .chain(&step.outputs)
            .map(|v| v.name.width())
            .max()
            .unwrap_or(0)
            .min(w / 3);
        for v in &step.outputs {
            out.push(value_line(
                "=", &v.name, name_w, &v.value, None, w, t.current, t,
            ));
        }
        for v in &step.inputs {
            let (style, from) = match &v.from {
                Some(src) => (t.text, Some(src.step)),
                None if detail >= Detail::Linked => continue,
                None => (t.dim, None),
            };
            out.push(value_line(
                "←", &v.name, name_w, &v.value, from, w, style, t,
            ));
        }
        if let Some(note) = step.note.as_ref().filter(|_| detail < Detail::Bare) {
            for l in math_free_wrap(note, w) {
                out.push(Line::styled(l, t.accent));
            }
        }
        out
    }
}

impl Stepper {
    /// A map of the whole trace, one line (wrapped) per phase: each step as a
    /// short token (its first output's name, `∂L/∂` shortened to `∂`), the
    /// current one in brackets, the steps it reads marked `•`, and steps the
    /// panel flags (`flag`, e.g. "its gradient is all zero") suffixed `=0`.
    pub fn map_lines(
        &self,
        flag: impl Fn(&Step) -> bool,
        width: u16,
        t: &Theme,
    ) -> Vec<Line<'static>> {
        let w = usize::from(width.max(1));
        let current = self.current();
        let reads: &[usize] = self.current_step().map_or(&[], |s| &s.reads);
        let mut out = Vec::new();
        for phase in [Phase::Forward, Phase::Backward] {
            let mut spans = vec![Span::styled(
                match phase {
                    Phase::Forward => "fwd ",
                    Phase::Backward => "bwd ",
                },
                t.dim,
            )];
            let mut used = 4;
            let mut any = false;
            for (k, s) in self.trace.steps.iter().enumerate() {
                if s.phase != phase {
                    continue;
                }
                any = true;
                let name = s.outputs.first().map_or("?", |v| v.name.as_str());
                let short = name.replace("∂L/∂", "∂");
                let mut text = if Some(k) == current {
                    format!("[{short}]")
                } else if reads.contains(&k) {
                    format!("{short}•")
                } else {
                    short
                };
                // Only for steps done: the map does not give away what is ahead.
                let flagged = k < self.pos && flag(s);
                if flagged {
                    text.push_str("=0");
                }
                let style = if Some(k) == current {
                    t.current
                } else if reads.contains(&k) {
                    t.accent
                } else if flagged {
                    t.bad
                } else if k < self.pos {
                    t.text
                } else {
                    t.dim
                };
                let tw = text.width() + 1;
                if used + tw > w && used > 4 {
                    out.push(fit_line(std::mem::take(&mut spans), w));
                    spans.push(Span::raw("    "));
                    used = 4;
                }
                used += tw;
                spans.push(Span::styled(text, style));
                spans.push(Span::raw(" "));
            }
            if any {
                out.push(fit_line(spans, w));
            }
        }
        out
    }
}

/// Wrap prose at spaces; a word wider than the width is split by characters
/// so no line is ever cut.
fn math_free_wrap(text: &str, w: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for line in super::canvas::wrap_words(text, w as u16) {
        if line.width() <= w {
            lines.push(line);
        } else {
            lines.extend(split_chars(&line, w));
        }
    }
    lines
}

fn split_chars(text: &str, w: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for ch in text.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        let last = lines.last_mut().expect("never empty");
        if last.width() + cw > w && !last.is_empty() {
            lines.push(ch.to_string());
        } else {
            last.push(ch);
        }
    }
    lines
}

/// Clip styled spans to `w` columns (ending in `…` if anything was dropped).
fn fit_line(spans: Vec<Span<'static>>, w: usize) -> Line<'static> {
    let total: usize = spans.iter().map(|s| s.content.width()).sum();
    if total <= w {
        return Line::from(spans);
    }
    let mut left = w.saturating_sub(1);
    let mut out = Vec::new();
    for s in spans {
        if left == 0 {
            break;
        }
        let mut text = String::new();
        for ch in s.content.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
            if cw > left {
                left = 0;
                break;
            }
            left -= cw;
            text.push(ch);
        }
        out.push(Span::styled(text, s.style));
    }
    out.push(Span::raw("…"));
    Line::from(out)
}

/// The step's equation: each `\\`-separated part rendered on its own, in 2D
/// when `roomy` and it fits, else on one line (wrapped by characters if even
/// that is too wide); in the notebook's glyph set, or as its LaTeX source
/// when the notebook shows sources (`m`).
fn equation_lines(
    latex: &str,
    w: usize,
    roomy: bool,
    t: &Theme,
    m: MathSettings,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if !m.rendered {
        let source = crate::content::sanitize::one_line(latex).into_owned();
        return split_chars(&source, w)
            .into_iter()
            .map(|l| Line::styled(l, t.math))
            .collect();
    }
    for part in latex.split(r"\\").map(str::trim).filter(|p| !p.is_empty()) {
        let r = if roomy {
            math::render_display(part, w, m.glyphs)
        } else {
            math::render_inline(part, m.glyphs)
        };
        for row in &r.lines {
            if math::width(row) <= w {
                let spans = row
                    .iter()
                    .map(|s| {
                        let mut style = t.math;
                        if s.bold {
                            style = style.add_modifier(Modifier::BOLD);
                        }
                        if s.italic {
                            style = style.add_modifier(Modifier::ITALIC);
                        }
                        Span::styled(s.text.clone(), style)
                    })
                    .collect::<Vec<_>>();
                out.push(Line::from(spans));
            } else {
                for chunk in split_chars(&math::line_text(row), w) {
                    out.push(Line::styled(chunk, t.math));
                }
            }
        }
    }
    out
}

/// `= name [3×4] +0.123 -0.456 … ← s2`: as many entries as fit, rows
/// separated by `;`.
#[allow(clippy::too_many_arguments)]
fn value_line(
    arrow: &str,
    name: &str,
    name_w: usize,
    v: &Tensor,
    from: Option<usize>,
    w: usize,
    style: Style,
    t: &Theme,
) -> Line<'static> {
    let pad = name_w.saturating_sub(name.width());
    let head = format!("{arrow} {name}{} ", " ".repeat(pad));
    let tail = match from {
        Some(k) => format!(" ← s{}", k + 1),
        None => String::new(),
    };
    let shape = if v.shape.len() >= 2 {
        format!("[{}] ", v.shape_text())
    } else {
        String::new()
    };
    let row_len = v.shape.last().copied().unwrap_or(1).max(1);
    let room = w.saturating_sub(head.width() + tail.width() + shape.width());
    let mut body = String::new();
    let mut shown = 0;
    for (i, x) in v.data.iter().enumerate() {
        let sep = if i == 0 {
            ""
        } else if i % row_len == 0 {
            " ; "
        } else {
            " "
        };
        let item = format!("{sep}{}", num(*x));
        // Leave room for " …" unless this is the last entry.
        let reserve = if i + 1 == v.data.len() { 0 } else { 2 };
        if body.width() + item.width() + reserve > room {
            break;
        }
        body.push_str(&item);
        shown += 1;
    }
    if shown < v.data.len() {
        body.push_str(" …");
    }
    fit_line(
        vec![
            Span::styled(head, t.dim),
            Span::styled(shape, t.dim),
            Span::styled(body, style),
            Span::styled(tail, t.dim),
        ],
        w,
    )
}

/// A number: a whole one in full (`27712`), else in at most 7 columns
/// (`+0.123`, `-12.35`, `+1e-5`).
pub fn num(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    // Counts (shapes, parameters, FLOPs, positions) read as whole numbers,
    // in full: a rounded FLOP count would be a different answer.
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x}");
    }
    let a = x.abs();
    if (1e-3..1e3).contains(&a) {
        let s = format!("{x:+.3}");
        if s.len() > 7 { format!("{x:+.2}") } else { s }
    } else {
        format!("{x:+.0e}")
    }
}

/// Which of the trace's steps the current one reads (for pictures that mark
/// them), and its phase.
pub fn reads_of(stepper: &Stepper) -> (&[usize], Option<Phase>) {
    match stepper.current_step() {
        Some(s) => (&s.reads, Some(s.phase)),
        None => (&[], None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::activations::functions::Act;
    use crate::compute::activations::trace::{BlockSpec, record};

    fn stepper() -> Stepper {
        Stepper::new(record(&BlockSpec::small(Act::Sigmoid, 1.0, 0.0, 10.0, 1)))
    }

    fn press(s: &mut Stepper, k: PanelKey) {
        assert!(s.handle(k).is_some(), "{k:?} is a step key");
    }

    #[test]
    fn step_keys_move_the_position() {
        let mut s = stepper();
        let len = s.trace().len();
        assert_eq!(s.position(), (0, len));
        press(&mut s, PanelKey::Char(' '));
        press(&mut s, PanelKey::Char('l'));
        press(&mut s, PanelKey::Right);
        assert_eq!(s.position().0, 3);
        press(&mut s, PanelKey::Char('h'));
        press(&mut s, PanelKey::Left);
        assert_eq!(s.position().0, 1);
        press(&mut s, PanelKey::Left);
        press(&mut s, PanelKey::Left);
        assert_eq!(s.position().0, 0, "never below 0");
        press(&mut s, PanelKey::Bottom);
        assert_eq!(s.position().0, len);
        press(&mut s, PanelKey::Char(' '));
        assert_eq!(s.position().0, len, "never past the end");
        press(&mut s, PanelKey::Top);
        assert_eq!(s.position().0, 1);
        press(&mut s, PanelKey::Char('B'));
        assert_eq!(s.current_step().unwrap().phase, Phase::Backward);
        assert_eq!(s.current(), s.trace().backward_start());
        press(&mut s, PanelKey::Char('r'));
        assert_eq!(s.position().0, 0);
        assert!(s.handle(PanelKey::Char('c')).is_none());
        assert!(s.handle(PanelKey::Up).is_none());
    }

    #[test]
    fn play_runs_to_the_end_and_stops() {
        let mut s = stepper();
        let len = s.trace().len();
        press(&mut s, PanelKey::Char('a'));
        assert!(s.playing());
        let mut ticks = 0;
        while s.playing() {
            s.tick();
            ticks += 1;
            assert!(ticks < 10_000);
        }
        assert_eq!(s.position().0, len);
        assert_eq!(ticks, TICKS_PER_STEP as usize * len);
        // `a` at the end restarts from the beginning.
        press(&mut s, PanelKey::Char('a'));
        assert!(s.playing() && s.position().0 == 0);
        press(&mut s, PanelKey::Char('a'));
        assert!(!s.playing());
        // Any other step key stops play.
        press(&mut s, PanelKey::Char('a'));
        press(&mut s, PanelKey::Char('l'));
        assert!(!s.playing());
    }

    #[test]
    fn advance_is_one_step() {
        let mut s = stepper();
        assert!(s.advance());
        assert_eq!(s.position().0, 1);
        s.set_position(usize::MAX);
        assert!(!s.advance());
    }

    #[test]
    fn set_trace_keeps_the_position_where_it_exists() {
        let mut s = stepper();
        s.set_position(5);
        s.set_trace(record(&BlockSpec::small(Act::Sign, 2.0, 0.0, 10.0, 3)));
        assert_eq!(s.position().0, 5);
        s.set_trace(crate::compute::trace::Trace::new("empty"));
        assert_eq!(s.position(), (0, 0));
    }

    #[test]
    fn every_line_fits_at_every_width() {
        let mut s = stepper();
        let t = Theme::default();
        for pos in 0..=s.trace().len() {
            s.set_position(pos);
            for w in [1u16, 8, 20, 33, 40, 57, 80, 160] {
                for roomy in [false, true] {
                    for l in s.lines(w, roomy, &t, MathSettings::default()) {
                        assert!(l.width() <= usize::from(w), "pos {pos} w {w}: {l:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn draws_the_indicator_values_and_sources() {
        let mut s = stepper();
        s.set_position(3);
        let text: Vec<String> = s
            .lines(60, true, &Theme::default(), MathSettings::default())
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(text[0], "step 3 of 17 · forward");
        assert!(text.iter().any(|l| l.starts_with("= σ²")), "{text:#?}");
        // z and μ are read from steps 1 and 2.
        assert!(
            text.iter()
                .any(|l| l.starts_with("← z") && l.ends_with("← s1"))
        );
        assert!(
            text.iter()
                .any(|l| l.starts_with("← μ") && l.ends_with("← s2"))
        );
    }

    #[test]
    fn lines_within_fit_their_rows() {
        let mut s = stepper();
        let t = Theme::default();
        for pos in 0..=s.trace().len() {
            s.set_position(pos);
            for rows in [1, 4, 8, 12, 40] {
                let l = s.lines_within(50, rows, &t, MathSettings::default());
                assert!(l.len() <= rows, "pos {pos} rows {rows}");
                assert!(l.iter().all(|l| l.width() <= 50));
            }
        }
        // With room, everything is shown; without, the constants go first.
        s.set_position(4);
        let full = s.lines(50, true, &t, MathSettings::default()).len();
        assert_eq!(
            s.lines_within(50, 100, &t, MathSettings::default()).len(),
            full
        );
        let tight = s.lines_within(50, 8, &t, MathSettings::default());
        let text: Vec<String> = tight.iter().map(|l| l.to_string()).collect();
        assert!(!text.iter().any(|l| l.starts_with("← ε")), "{text:#?}");
        assert!(text.iter().any(|l| l.starts_with("← σ²")), "{text:#?}");
    }

    #[test]
    fn numbers_fit_seven_columns_and_counts_are_exact() {
        for x in [0.0, -999.99, 1e-5, 0.1234, 123.456, f64::MIN_POSITIVE, 1e20] {
            assert!(num(x).len() <= 7, "{x}: {}", num(x));
        }
        assert_eq!(num(26_973_696.0), "26973696");
        assert_eq!(num(-3.0), "-3");
    }
}
