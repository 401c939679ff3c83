//! Problem 1's panel: the layer table with FLOP shares, and the exact receptive
//! field of one output location of the selected layer, drawn over the input.
//!
//! Everything shown is computed in `compute::layer_table` when a key changes
//! the settings (well under a millisecond at 224x224); `render` only draws.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use unicode_width::UnicodeWidthStr;

use super::canvas::Canvas;
use super::canvas::{pick_hint, wrap_words};
use super::stepper::Stepper;
use super::{Panel, PanelContext, PanelEffect, PanelKey, PanelKind, StateKey, StateValues};
use crate::compute::layer_table::trace as layer_trace;
use crate::compute::layer_table::{
    Convention, Layer, Location, Probe, ReplacePool, Row, Settings, Table, arch_spec, dims,
    parse_arch, span, thousands,
};

pub const KIND: PanelKind = PanelKind {
    name: "layer-table",
    summary: "Problem 1: layer table, FLOP shares and receptive fields",
    create: || Box::new(LayerTablePanel::new()),
    states: &[
        StateKey {
            key: "row",
            values: StateValues::Int { min: 0, max: 64 },
        },
        StateKey {
            key: "flops",
            values: StateValues::OneOf(Convention::NAMES),
        },
        StateKey {
            key: "pools",
            values: StateValues::OneOf(ReplacePool::NAMES),
        },
        StateKey {
            key: "location",
            values: StateValues::OneOf(&["corner", "centre"]),
        },
        // Layers stepped through (the selected row follows); applied after
        // `row`, which it overrides.
        StateKey {
            key: "step",
            values: StateValues::Int { min: 0, max: 64 },
        },
    ],
};

/// From this width the receptive-field text and its map sit side by side.
const RF_SIDE_BY_SIDE: u16 = 76;

/// Input sides the `i` key cycles through.
const SIDES: [u64; 3] = [32, 64, 224];

const KEYS: &[(&str, &str)] = &[
    ("j/k ↑/↓", "select layer"),
    ("c", "cycle the pools: keep / 2x2 s2 conv / 3x3 s2 p1 conv"),
    ("f", "FLOP convention: all ops / MACs"),
    ("i", "input 32 → 64 → 224"),
    ("o", "receptive field of corner / centre output"),
    (
        "space/l/→ h/←",
        "step the forward pass layer by layer (the row and the field follow)",
    ),
    ("g/G", "first / last row (while stepping: step)"),
    ("a", "play / pause"),
    ("r", "reset the trace"),
    (
        "E",
        "edit the architecture (as arch= writes it; Enter applies, Esc cancels)",
    ),
];

/// What the panel shows for the current settings.
struct View {
    table: Table,
    probe: Probe,
}

pub struct LayerTablePanel {
    settings: Settings,
    selected: usize,
    location: Location,
    view: Result<View, String>,
    /// The forward pass layer by layer.
    stepper: Stepper,
    /// The architecture editor (`E`), when open.
    prompt: Option<tui_input::Input>,
    /// Why the last edit was refused: the CLI's message for `arch=`.
    edit_error: Option<String>,
}

impl LayerTablePanel {
    pub fn new() -> Self {
        let mut panel = LayerTablePanel {
            settings: Settings::default(),
            selected: 0,
            location: Location::Corner,
            view: Err(String::new()),
            stepper: Stepper::default(),
            prompt: None,
            edit_error: None,
        };
        panel.recompute();
        // Open on the answer to 1(b): the first layer with a full receptive field.
        if let Ok(v) = &panel.view {
            panel.selected = v.table.first_full_rf_layer.unwrap_or(0);
        }
        panel.recompute();
        panel
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

    /// The editor's text, while it is open.
    pub fn prompt_text(&self) -> Option<&str> {
        self.prompt.as_ref().map(|p| p.value())
    }

    pub fn edit_error(&self) -> Option<&str> {
        self.edit_error.as_deref()
    }

    /// A key for the open editor: Esc closes it, Enter applies the text as
    /// `arch=` would read it (an error keeps the editor open and shows the
    /// CLI's message), anything else edits the line.
    fn edit(&mut self, key: PanelKey) -> PanelEffect {
        use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
        use tui_input::backend::crossterm::EventHandler;
        let event = match key {
            PanelKey::Input(k) => k,
            // Keys sent without the prompt routing (tests, scripted input).
            PanelKey::Char(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
            PanelKey::Enter => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
            PanelKey::Left => KeyEvent::new(KeyCode::Left, KeyModifiers::NONE),
            PanelKey::Right => KeyEvent::new(KeyCode::Right, KeyModifiers::NONE),
            PanelKey::Top => KeyEvent::new(KeyCode::Home, KeyModifiers::NONE),
            PanelKey::Bottom => KeyEvent::new(KeyCode::End, KeyModifiers::NONE),
            PanelKey::Up | PanelKey::Down => return PanelEffect::Redraw,
        };
        match event.code {
            KeyCode::Esc => {
                self.prompt = None;
                self.edit_error = None;
            }
            KeyCode::Enter => self.apply_edit(),
            _ => {
                if let Some(p) = self.prompt.as_mut() {
                    p.handle_event(&Event::Key(event));
                }
                self.edit_error = None;
            }
        }
        PanelEffect::Redraw
    }

    fn apply_edit(&mut self) {
        let Some(raw) = self.prompt.as_ref().map(|p| p.value().to_string()) else {
            return;
        };
        let candidate = match parse_arch("arch", &raw) {
            Ok(layers) => Settings {
                layers,
                ..self.settings.clone()
            },
            Err(e) => {
                self.edit_error = Some(e.to_string());
                return;
            }
        };
        if let Err(e) = candidate.table() {
            self.edit_error = Some(e.to_string());
            return;
        }
        self.settings = candidate;
        self.prompt = None;
        self.edit_error = None;
        self.stepper.set_position(0);
        self.recompute();
    }

    /// While stepping, the selected row is the step's layer.
    fn follow_stepper(&mut self) {
        if let Some(k) = self.stepper.current()
            && let Ok(v) = &mut self.view
        {
            self.selected = (k + 1).min(v.table.rows.len() - 1);
            v.probe = v.table.probe(self.selected, self.location);
        }
    }

    fn recompute(&mut self) {
        if let Ok(table) = self.settings.table() {
            self.stepper.set_trace(layer_trace::record(&table));
        }
        self.view = self
            .settings
            .table()
            .map(|table| {
                self.selected = self.selected.min(table.rows.len() - 1);
                let probe = table.probe(self.selected, self.location);
                View { table, probe }
            })
            .map_err(|e| e.to_string());
    }

    fn rows(&self) -> usize {
        self.view.as_ref().map_or(1, |v| v.table.rows.len())
    }
}

impl Default for LayerTablePanel {
    fn default() -> Self {
        Self::new()
    }
}

impl Panel for LayerTablePanel {
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
            "Layer table · {} · {}",
            self.settings.convention.label(),
            match self.settings.replace_pool {
                ReplacePool::None => "pools".to_string(),
                r => format!("pool→conv {}", r.name()),
            }
        )
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        KEYS
    }

    fn handle(&mut self, key: PanelKey) -> PanelEffect {
        if self.prompt.is_some() {
            return self.edit(key);
        }
        if key == PanelKey::Char('E') {
            self.prompt = Some(tui_input::Input::new(arch_spec(&self.settings.layers)));
            self.edit_error = None;
            return PanelEffect::Redraw;
        }
        // g/G pick the first / last row until the trace is being stepped.
        let rows_key =
            matches!(key, PanelKey::Top | PanelKey::Bottom) && self.stepper.position().0 == 0;
        if !rows_key && let Some(effect) = self.stepper.handle(key) {
            self.follow_stepper();
            return effect;
        }
        match key {
            PanelKey::Char('j') | PanelKey::Down => {
                self.selected = (self.selected + 1).min(self.rows() - 1);
            }
            PanelKey::Char('k') | PanelKey::Up => self.selected = self.selected.saturating_sub(1),
            PanelKey::Top => self.selected = 0,
            PanelKey::Bottom => self.selected = self.rows() - 1,
            PanelKey::Char('f') => {
                self.settings.convention = self.settings.convention.toggled();
            }
            PanelKey::Char('c') => self.settings.replace_pool = self.settings.replace_pool.next(),
            PanelKey::Char('i') => {
                let side = self.settings.input[0];
                let next = SIDES
                    .iter()
                    .position(|s| *s == side)
                    .map_or(SIDES[0], |i| SIDES[(i + 1) % SIDES.len()]);
                self.settings.input = [next, next, self.settings.input[2]];
            }
            PanelKey::Char('o') => self.location = self.location.toggled(),
            _ => return PanelEffect::Ignored,
        }
        self.recompute();
        PanelEffect::Redraw
    }

    fn state_value(&self, key: &str) -> Option<String> {
        Some(match key {
            "row" => self.selected.to_string(),
            "flops" => self.settings.convention.name().into(),
            "pools" => self.settings.replace_pool.name().into(),
            "location" => self.location.name().into(),
            "step" => self.stepper.position().0.to_string(),
            _ => return None,
        })
    }

    fn apply_state(&mut self, key: &str, value: &str) {
        match key {
            "row" => self.selected = value.parse().unwrap_or(self.selected),
            "flops" => {
                self.settings.convention =
                    Convention::parse(value).unwrap_or(self.settings.convention);
            }
            "pools" => {
                self.settings.replace_pool =
                    ReplacePool::parse(value).unwrap_or(self.settings.replace_pool);
            }
            "step" => {
                self.stepper.set_position(value.parse().unwrap_or(0));
                self.follow_stepper();
                return;
            }
            "location" if value == "centre" => self.location = Location::Centre,
            "location" => self.location = Location::Corner,
            _ => return,
        }
        self.recompute();
    }

    fn animating(&self) -> bool {
        self.stepper.playing()
    }

    fn prompt_open(&self) -> bool {
        self.prompt.is_some()
    }

    fn tick(&mut self) -> bool {
        let changed = self.stepper.tick();
        if changed {
            self.follow_stepper();
        }
        changed
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let mut canvas = Canvas { buf, area };
        let theme = ctx.theme;
        let view = match &self.view {
            Ok(v) => v,
            Err(e) => {
                canvas.put(0, 0, e, theme.bad);
                return;
            }
        };
        let h = area.height;
        // One line of settings, the hint at the bottom; the table and the
        // receptive field share the rest (side by side when wide enough).
        canvas.put(0, 0, &self.settings_line(view, area.width), theme.dim);
        canvas.put(h.saturating_sub(1), 0, hint(area.width), theme.dim);
        if h < 4 {
            return;
        }
        let mut body = Rect::new(area.x, area.y + 1, area.width, h - 2);
        // The editor's line, then its error or its syntax, above the table.
        if let Some(p) = &self.prompt {
            let label = "arch> ";
            let room = usize::from(area.width).saturating_sub(label.len() + 1);
            let scroll = p.visual_scroll(room);
            let shown: String = p.value().chars().skip(scroll).take(room).collect();
            let x = canvas.put(1, 0, label, theme.accent);
            canvas.put(1, x, &shown, theme.text);
            let cursor = (p.visual_cursor() - scroll).min(room) as u16;
            let under = shown.chars().nth(usize::from(cursor)).unwrap_or(' ');
            canvas.put(1, x + cursor, &under.to_string(), theme.selected);
            let (note, style) = match &self.edit_error {
                Some(e) => (e.clone(), theme.bad),
                None => (
                    "Enter apply · Esc cancel · conv:F:k[:s:p] relu pool[:k:s[:p]]".to_string(),
                    theme.dim,
                ),
            };
            let note_lines = wrap_words(&note, area.width);
            let mut used = 1u16;
            for (i, l) in note_lines.iter().take(3).enumerate() {
                canvas.put(2 + i as u16, 0, l, style);
                used += 1;
            }
            let used = used.min(body.height);
            body = Rect::new(body.x, body.y + used, body.width, body.height - used);
        }
        // While stepping, the step goes above the table (whose ▸ row and
        // receptive-field map are its picture).
        if self.stepper.position().0 > 0 {
            let rows = usize::from((body.height / 2).clamp(4, 12).min(body.height));
            let lines = self.stepper.lines_within(area.width, rows, theme, ctx.math);
            for (i, line) in lines.iter().enumerate() {
                let r = Rect::new(body.x, body.y + i as u16, body.width, 1);
                super::canvas::put_line(canvas.buf, r, line);
            }
            let used = (lines.len() as u16).min(body.height);
            body = Rect::new(body.x, body.y + used, body.width, body.height - used);
        }
        let table_rows = view.table.rows.len() as u16 + 2;
        let (table_area, rf_area) = if area.width >= 110 {
            let left = (area.width * 3 / 5).min(90);
            (
                Rect::new(body.x, body.y, left, body.height.min(table_rows)),
                Rect::new(
                    body.x + left + 1,
                    body.y,
                    body.width - left - 1,
                    body.height,
                ),
            )
        } else {
            // The table scrolls; the field needs its text (4 lines) beside
            // the map when there is room for both, else above it.
            let rf_h = if body.width >= RF_SIDE_BY_SIDE {
                (body.height / 3).clamp(5, 18)
            } else {
                body.height / 2
            };
            let th = table_rows
                .min(body.height.saturating_sub(rf_h).max(5))
                .min(body.height);
            (
                Rect::new(body.x, body.y, body.width, th),
                Rect::new(
                    body.x,
                    body.y + th,
                    body.width,
                    body.height.saturating_sub(th),
                ),
            )
        };
        self.render_table(view, table_area, canvas.buf, ctx);
        self.render_rf(view, rf_area, canvas.buf, ctx);
    }

    fn full_height(&self, width: u16) -> u16 {
        let Ok(view) = &self.view else { return 3 };
        let stepping = if self.stepper.position().0 > 0 { 12 } else { 0 }
            + if self.prompt.is_some() { 4 } else { 0 };
        let rows = view.table.rows.len() as u16 + 2 + stepping;
        let map = map_rows(view.table.input[0], 32);
        if width >= 110 {
            2 + rows.max(map + 4)
        } else {
            2 + rows + 4 + map
        }
    }
}

impl LayerTablePanel {
    /// The settings in one line, in the longest wording that fits `width`.
    fn settings_line(&self, view: &View, width: u16) -> String {
        let input = dims(view.table.input);
        let conv = self.settings.convention;
        let long = format!(
            "in {input} │ {} │ {}",
            conv.label(),
            match self.settings.replace_pool {
                ReplacePool::None => "pools kept".to_string(),
                r => format!("pools → conv {}", r.name()),
            }
        );
        let short = format!(
            "in {input} │ {} │ {}",
            conv.name(),
            match self.settings.replace_pool {
                ReplacePool::None => "pools".to_string(),
                r => format!("pool→{}", r.name()),
            }
        );
        if long.width() <= usize::from(width) {
            long
        } else {
            short
        }
    }

    fn render_table(&self, view: &View, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let theme = ctx.theme;
        let t = &view.table;
        let conv = self.settings.convention;
        // One cell on the left marks the selected row (visible without colour).
        let cols = columns(t, conv, area.width.saturating_sub(1));
        let mut canvas = Canvas { buf, area };
        canvas.put(0, 1, &cols.line(&cols.header()), theme.table_header);
        // Rows between the header and the total line, scrolled to keep the
        // selection visible.
        let visible = area.height.saturating_sub(2) as usize;
        let first = scroll(self.selected, t.rows.len(), visible);
        for (line, i) in (first..t.rows.len()).take(visible).enumerate() {
            let y = line as u16 + 1;
            let r = &t.rows[i];
            let style = if i == self.selected {
                theme.selected
            } else if r.replaces_pool {
                theme.accent
            } else {
                theme.text
            };
            let marker = if i == self.selected { "▸" } else { " " };
            canvas.put(y, 0, marker, style);
            canvas.put(y, 1, &cols.line(&cols.cells(t, i, conv)), style);
            if r.full_rf
                && let Some(x) = cols.full_x
            {
                canvas.put(y, x + 1, "✓", theme.good.patch(style));
            }
        }
        if area.height >= 2 {
            canvas.put(
                area.height - 1,
                1,
                &cols.line(&cols.total(t, conv)),
                theme.strong,
            );
        }
    }

    fn render_rf(&self, view: &View, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let theme = ctx.theme;
        let t = &view.table;
        let p = &view.probe;
        let row = &t.rows[p.layer];
        // The map goes right of the text when the area is wide, else below it.
        let side_by_side = area.width >= RF_SIDE_BY_SIDE && area.height >= 3;
        let text_w = if side_by_side {
            (area.width / 2).max(48).min(area.width - 12)
        } else {
            area.width
        };
        let mut c = Canvas {
            buf,
            area: Rect::new(area.x, area.y, text_w, area.height),
        };
        // The text lines wrap at spaces; the map starts below them.
        let mut text: Vec<(String, ratatui::style::Style)> = Vec::new();
        let mut say = |s: String, style| {
            text.extend(wrap_words(&s, text_w).into_iter().map(|l| (l, style)));
        };
        say(
            format!(
                "L{} {}: RF {}, jump {}",
                p.layer, row.name, row.rf.size, row.rf.jump
            ),
            theme.strong,
        );
        let (rows, cols) = (span(&p.rows), span(&p.cols));
        let seen = match (rows, cols) {
            (Some((r0, r1, _)), Some((c0, c1, _))) => {
                format!("rows {r0}–{r1} × cols {c0}–{c1}")
            }
            _ => "no input pixel".to_string(),
        };
        say(
            format!(
                "{} ({},{}): {}",
                self.location.name(),
                p.at[0],
                p.at[1],
                seen
            ),
            theme.text,
        );
        let first = t
            .first_full_rf_layer
            .map_or("none is".to_string(), |i| format!("first L{i}"));
        let pixels = format!(
            "sees {}/{} px",
            thousands(p.seen()),
            thousands(t.input[0] * t.input[1])
        );
        let (verdict, style) = if row.full_rf {
            (format!("{pixels} · layer full RF ✓"), theme.good)
        } else {
            (format!("{pixels} · layer not full ({first})"), theme.bad)
        };
        say(verdict, style);
        // The legend is one line (its wording depends on the map's scale).
        let text_rows = text.len() as u16 + 1;
        let map_area = if side_by_side {
            Rect::new(
                area.x + text_w + 1,
                area.y,
                area.width - text_w - 1,
                area.height,
            )
        } else if area.height > text_rows {
            Rect::new(
                area.x,
                area.y + text_rows,
                area.width,
                area.height - text_rows,
            )
        } else {
            for (i, (line, style)) in text.iter().enumerate() {
                c.put(i as u16, 0, line, *style);
            }
            return;
        };
        for (i, (line, style)) in text.iter().enumerate() {
            c.put(i as u16, 0, line, *style);
        }
        let grid = Grid::fit(t.input[0], t.input[1], map_area.width, map_area.height);
        c.put(
            text_rows - 1,
            0,
            &if grid.factor > 1 && text_w < 48 {
                format!("1 cell={f}×{f}px █all ▒some ·none", f = grid.factor)
            } else if grid.factor > 1 {
                format!(
                    "input, 1 cell = {f}×{f} px: █ all ▒ some · none seen",
                    f = grid.factor
                )
            } else {
                "input: █ seen · not seen".to_string()
            },
            theme.dim,
        );
        let mut map = Canvas {
            buf: c.buf,
            area: map_area,
        };
        for gy in 0..grid.rows {
            let rs = block_state(&p.rows, gy * grid.factor, grid.factor);
            let mut x = 0;
            for gx in 0..grid.cols {
                let cs = block_state(&p.cols, gx * grid.factor, grid.factor);
                let (ch, style) = match rs.min(cs) {
                    Coverage::All => ("█", theme.accent),
                    Coverage::Some => ("▒", theme.accent),
                    Coverage::None => ("·", theme.dim),
                };
                for _ in 0..grid.cell_width {
                    map.put(gy as u16, x, ch, style);
                    x += 1;
                }
            }
        }
    }
}

/// First visible row so that `selected` stays in view, centred when possible.
fn scroll(selected: usize, len: usize, visible: usize) -> usize {
    if visible == 0 || len <= visible {
        return 0;
    }
    selected.saturating_sub(visible / 2).min(len - visible)
}

fn hint(width: u16) -> &'static str {
    const HINTS: [&str; 4] = [
        "j/k layer  c pool→conv  f FLOPs  i input  o corner/centre  space step",
        "j/k layer  c pool→conv  f FLOPs  i input  o corner/centre",
        "j/k layer c pool f flops i input o loc",
        "j/k c f i o spc",
    ];
    pick_hint(&HINTS, width)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Coverage {
    None,
    Some,
    All,
}

fn block_state(mask: &[bool], start: u64, len: u64) -> Coverage {
    let start = start as usize;
    let end = (start + len as usize).min(mask.len());
    let block = mask.get(start..end).unwrap_or(&[]);
    let seen = block.iter().filter(|b| **b).count();
    if block.is_empty() || seen == 0 {
        Coverage::None
    } else if seen == block.len() {
        Coverage::All
    } else {
        Coverage::Some
    }
}

/// How the input map is scaled into the space available.
struct Grid {
    /// Input pixels per cell side.
    factor: u64,
    rows: u64,
    cols: u64,
    /// Characters per cell: 2 keeps cells roughly square when there is room.
    cell_width: u16,
}

impl Grid {
    fn fit(h: u64, w: u64, width: u16, height: u16) -> Grid {
        let (width, height) = (u64::from(width.max(1)), u64::from(height.max(1)));
        let mut factor = 1;
        while h.div_ceil(factor) > height || w.div_ceil(factor) > width {
            factor += 1;
        }
        let (rows, cols) = (h.div_ceil(factor), w.div_ceil(factor));
        let cell_width = if cols * 2 <= width { 2 } else { 1 };
        Grid {
            factor,
            rows,
            cols,
            cell_width,
        }
    }
}

/// Map height used by `full_height` for an input side at most `max` cells tall.
fn map_rows(side: u64, max: u64) -> u16 {
    side.div_ceil(side.div_ceil(max)) as u16
}

/// The table columns that fit the width, widest layout first.
struct Columns {
    /// Each shown column and its width, in display order.
    shown: Vec<(Col, usize)>,
    long_names: bool,
    /// x of the "full RF" mark, if that column is shown.
    full_x: Option<u16>,
    bar: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Index,
    Layer,
    Out,
    Params,
    Flops,
    Share,
    Rf,
    Full,
}

const ORDER: [Col; 8] = [
    Col::Index,
    Col::Layer,
    Col::Out,
    Col::Params,
    Col::Flops,
    Col::Share,
    Col::Rf,
    Col::Full,
];

/// Which columns to keep first when the panel is narrow.
const PRIORITY: [Col; 8] = [
    Col::Layer,
    Col::Flops,
    Col::Out,
    Col::Params,
    Col::Index,
    Col::Full,
    Col::Share,
    Col::Rf,
];

fn short_name(r: &Row) -> String {
    match r.layer {
        Some(Layer::Conv(c)) => {
            let mut s = format!("C{} {}x{}", c.filters, c.kernel, c.kernel);
            if r.replaces_pool {
                s += &format!("/{}", c.stride);
            }
            s
        }
        Some(Layer::MaxPool(_)) => "Pool".into(),
        Some(Layer::Relu) => "ReLU".into(),
        None => "Input".into(),
    }
}

fn long_name(r: &Row) -> String {
    match r.layer {
        Some(Layer::Conv(c)) if r.replaces_pool => {
            format!(
                "Conv F={}, {}x{} s{} p{}",
                c.filters, c.kernel, c.kernel, c.stride, c.padding
            )
        }
        _ => r.name.clone(),
    }
}

fn columns(t: &Table, conv: Convention, width: u16) -> Columns {
    let width = width as usize;
    let max_len = |f: &dyn Fn(&Row) -> String, header: &str| {
        t.rows
            .iter()
            .map(|r| f(r).width())
            .chain([header.width(), 5])
            .max()
            .unwrap_or(5)
    };
    let long = max_len(&long_name, "Layer");
    let short = max_len(&short_name, "Layer");
    let widths = |c: Col, long_names: bool| -> usize {
        match c {
            Col::Index => 2,
            Col::Layer => {
                if long_names {
                    long
                } else {
                    short
                }
            }
            Col::Out => max_len(&|r| dims(r.out), "Out"),
            Col::Params => {
                max_len(&|r| thousands(r.params), "Params").max(thousands(t.total_params).len())
            }
            Col::Flops => max_len(&|r| thousands(r.ops.get(conv)), "FLOPs")
                .max(thousands(t.total_flops(conv)).len()),
            Col::Share => 6,
            Col::Rf => 3.max(
                t.rows
                    .iter()
                    .map(|r| r.rf.size.to_string().len())
                    .max()
                    .unwrap_or(3),
            ),
            Col::Full => 1,
        }
    };
    let fits = |set: &[Col], long_names: bool| {
        let total: usize = set.iter().map(|c| widths(*c, long_names) + 1).sum();
        total <= width + 1
    };
    let mut chosen: Vec<Col> = Vec::new();
    for c in PRIORITY {
        let mut trial = chosen.clone();
        trial.push(c);
        if fits(&trial, false) {
            chosen = trial;
        }
    }
    let long_names = fits(&chosen, true);
    let mut shown: Vec<(Col, usize)> = ORDER
        .into_iter()
        .filter(|c| chosen.contains(c))
        .map(|c| (c, widths(c, long_names)))
        .collect();
    // Give spare room (up to 8 cells) to the share bar.
    let used: usize = shown.iter().map(|(_, w)| w + 1).sum();
    let spare = (width + 1).saturating_sub(used).min(8);
    let mut bar = 0;
    for (c, w) in &mut shown {
        if *c == Col::Share {
            *w += spare;
            bar = *w;
        }
    }
    let mut x = 0;
    let mut full_x = None;
    for (c, w) in &shown {
        if *c == Col::Full {
            full_x = Some(x as u16);
        }
        x += w + 1;
    }
    Columns {
        shown,
        long_names,
        full_x,
        bar,
    }
}

impl Columns {
    fn header(&self) -> Vec<String> {
        self.shown
            .iter()
            .map(|(c, _)| {
                match c {
                    Col::Index => "#",
                    Col::Layer => "Layer",
                    Col::Out => "Out",
                    Col::Params => "Params",
                    Col::Flops => "FLOPs",
                    Col::Share => "share",
                    Col::Rf => "RF",
                    Col::Full => " ",
                }
                .to_string()
            })
            .collect()
    }

    fn cells(&self, t: &Table, i: usize, conv: Convention) -> Vec<String> {
        let r = &t.rows[i];
        self.shown
            .iter()
            .map(|(c, _)| match c {
                Col::Index => i.to_string(),
                Col::Layer => {
                    if self.long_names {
                        long_name(r)
                    } else {
                        short_name(r)
                    }
                }
                Col::Out => dims(r.out),
                Col::Params => thousands(r.params),
                Col::Flops => thousands(r.ops.get(conv)),
                Col::Share => bar(t.share(i, conv), self.bar),
                Col::Rf => r.rf.size.to_string(),
                // Drawn separately in the "good" style.
                Col::Full => " ".into(),
            })
            .collect()
    }

    fn total(&self, t: &Table, conv: Convention) -> Vec<String> {
        self.shown
            .iter()
            .map(|(c, _)| match c {
                Col::Layer => "Total".into(),
                Col::Params => thousands(t.total_params),
                Col::Flops => thousands(t.total_flops(conv)),
                _ => String::new(),
            })
            .collect()
    }

    /// Join cells: text columns left-aligned, numbers right-aligned.
    fn line(&self, cells: &[String]) -> String {
        let mut out = String::new();
        for ((c, w), text) in self.shown.iter().zip(cells) {
            let pad = w.saturating_sub(text.width());
            let right = matches!(c, Col::Index | Col::Params | Col::Flops | Col::Rf);
            if right {
                out += &" ".repeat(pad);
                out += text;
            } else {
                out += text;
                out += &" ".repeat(pad);
            }
            out.push(' ');
        }
        out.trim_end().to_string()
    }
}

/// A horizontal bar of `share` of `width` cells, in eighths.
fn bar(share: f64, width: usize) -> String {
    const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let eighths = (share.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    s += EIGHTHS[eighths % 8];
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_use_eighths() {
        assert_eq!(bar(0.0, 8), "");
        assert_eq!(bar(1.0, 2), "██");
        assert_eq!(bar(0.5, 1), "▌");
    }

    #[test]
    fn scroll_keeps_selection_visible() {
        for sel in 0..22 {
            let first = scroll(sel, 22, 7);
            assert!(first <= sel && sel < first + 7);
        }
    }

    #[test]
    fn keys_change_the_view() {
        let mut p = LayerTablePanel::new();
        let first = p.selected;
        assert!(matches!(p.handle(PanelKey::Char('k')), PanelEffect::Redraw));
        assert_eq!(p.selected, first - 1);
        p.handle(PanelKey::Char('i'));
        assert_eq!(p.settings.input[0], 64);
        p.handle(PanelKey::Char('c'));
        assert_eq!(p.settings.replace_pool, ReplacePool::K2S2);
        assert!(matches!(
            p.handle(PanelKey::Char('x')),
            PanelEffect::Ignored
        ));
        for _ in 0..40 {
            p.handle(PanelKey::Down);
        }
        assert_eq!(p.selected, 21);
    }
}
