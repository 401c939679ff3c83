//! Problem 1's panel: the layer table (seed version; issue 4 completes it).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::{Panel, PanelContext, PanelEffect, PanelKey, PanelKind};
use crate::compute::layer_table::{MIDTERM, Table, table};

pub const KIND: PanelKind = PanelKind {
    name: "layer-table",
    summary: "Problem 1 layer table",
    create: || Box::new(LayerTablePanel::new()),
};

pub struct LayerTablePanel {
    table: Result<Table, String>,
}

impl LayerTablePanel {
    pub fn new() -> Self {
        LayerTablePanel {
            table: table([32, 32, 3], MIDTERM).map_err(|e| e.to_string()),
        }
    }
}

impl Default for LayerTablePanel {
    fn default() -> Self {
        Self::new()
    }
}

impl Panel for LayerTablePanel {
    fn title(&self) -> String {
        "Layer table".into()
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    fn handle(&mut self, _key: PanelKey) -> PanelEffect {
        PanelEffect::Ignored
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &PanelContext<'_>) {
        let text = match &self.table {
            Ok(t) => t.to_text(crate::compute::layer_table::Convention::All),
            Err(e) => e.clone(),
        };
        let lines: Vec<Line> = text
            .lines()
            .map(|l| Line::styled(l.to_string(), ctx.theme.text))
            .collect();
        Paragraph::new(lines).render(area, buf);
    }
}
