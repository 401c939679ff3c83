//! The app's side of the remembered place (see `crate::state` for the file):
//! each entry's scroll position and panel state as the reader left them, and
//! the studied / flagged marks. Kept up to date as the reader moves, so a
//! snapshot at any time is what the next run should open.

use super::{App, Effect};
use crate::panels;
use crate::state::{ContentState, Mark, Place};

/// What the app remembers while it runs.
#[derive(Debug, Clone, Default)]
pub struct Remember {
    pub content: ContentState,
    /// A theme the reader chose with `C` this run (remembered for the next).
    pub theme: Option<crate::ui::theme::ThemeName>,
    /// Set when something worth writing changed (the part, a mark); the loop
    /// writes the file and clears it.
    pub dirty: bool,
}

impl App {
    /// Take what a previous run remembered: marks, places and panel states,
    /// then open the entry the reader left (or stay where we are if it is
    /// gone from the content). Returns the jobs the opened panel asks for.
    pub fn restore_remembered(&mut self, content: ContentState) -> Effect {
        let last = content.last.clone();
        self.remember.content = content;
        let target = last
            .and_then(|id| self.notebook.find_entry(&id))
            .unwrap_or(self.entry);
        // Force the arrival logic even when the target is the current entry.
        self.entry = usize::MAX;
        let effect = self.go_to(target);
        self.remember.dirty = false;
        effect
    }

    /// What to write down now: the remembered entries with the current
    /// entry's place and every open panel's state brought up to date.
    pub fn remembered(&self) -> ContentState {
        let mut content = self.remember.content.clone();
        if let Some(entry) = self.current() {
            let id = self.notebook.entry_id(entry);
            content.entries.entry(id.clone()).or_default().place = self.remembered_place();
            content.last = Some(id);
        }
        for (id, panel) in &self.panels {
            let Some(kind) = self
                .notebook
                .find_entry(id)
                .and_then(|i| self.notebook.part(self.notebook.entries[i]))
                .and_then(|p| p.panel.as_deref())
                .and_then(|name| panels::kinds().iter().find(|k| k.name == name))
            else {
                continue;
            };
            let values = kind
                .states
                .iter()
                .filter_map(|s| panel.state_value(s.key).map(|v| (s.key.to_string(), v)))
                .collect();
            content.entries.entry(id.clone()).or_default().panel = values;
        }
        content.entries.retain(|_, e| !e.is_empty());
        content
    }

    /// The studied and flagged marks of an entry, by id.
    pub fn marks(&self, id: &str) -> (bool, bool) {
        self.remember
            .content
            .entries
            .get(id)
            .map_or((false, false), |e| (e.studied, e.flagged))
    }

    /// `d` / `b`: set or clear a mark on the current entry.
    pub(super) fn toggle_mark(&mut self, mark: Mark) {
        let Some(entry) = self.current() else {
            return;
        };
        let id = self.notebook.entry_id(entry);
        let state = self.remember.content.entries.entry(id.clone()).or_default();
        let (flag, what) = match mark {
            Mark::Studied => (&mut state.studied, "studied"),
            Mark::Flagged => (&mut state.flagged, "flagged for review"),
        };
        *flag = !*flag;
        self.message = Some(if *flag {
            format!("{id} marked {what}")
        } else {
            format!("{id} no longer marked {what}")
        });
        self.remember.dirty = true;
    }

    /// Whether the current part's panel lists `letter` among its keys.
    pub(super) fn panel_uses(&self, letter: char) -> bool {
        let mut buf = [0u8; 4];
        let letter = &*letter.encode_utf8(&mut buf);
        self.current_panel().is_some_and(|p| {
            p.keys()
                .iter()
                .any(|(k, _)| k.split(['/', ' ']).any(|t| t == letter))
        })
    }

    /// Where the top of the derivation is, as a block and lines into it.
    pub(super) fn remembered_place(&self) -> Option<Place> {
        if self.doc_scroll == 0 {
            return None;
        }
        let starts = &self.doc.starts;
        let block = starts
            .iter()
            .rposition(|s| *s <= self.doc_scroll)
            .unwrap_or(0);
        let start = starts.get(block).copied().unwrap_or(0);
        Some(Place {
            block,
            line: self.doc_scroll - start,
        })
    }

    /// Leaving the current entry: note where it was scrolled to.
    pub(super) fn leave_entry(&mut self) {
        let Some(entry) = self.current() else {
            return;
        };
        let id = self.notebook.entry_id(entry);
        let place = self.remembered_place();
        let state = self.remember.content.entries.entry(id).or_default();
        state.place = place;
        self.remember.dirty = true;
    }

    /// Arrived at an entry (its layout is fresh): scroll to where it was left.
    pub(super) fn arrive_entry(&mut self) {
        let Some(entry) = self.current() else {
            return;
        };
        let id = self.notebook.entry_id(entry);
        let Some(place) = self.remember.content.entries.get(&id).and_then(|e| e.place) else {
            return;
        };
        self.scroll_to_place(place);
    }

    /// Scroll the derivation to `place` (clamped to what is there now).
    pub(super) fn scroll_to_place(&mut self, place: Place) {
        let starts = &self.doc.starts;
        let line = match starts.get(place.block) {
            // Not past the next block's start: the block may be shorter at
            // this width than it was.
            Some(start) => {
                let end = starts.get(place.block + 1).copied().unwrap_or(usize::MAX);
                (start + place.line).min(end.saturating_sub(1).max(*start))
            }
            None => usize::MAX,
        };
        self.doc_scroll = line.min(self.max_doc_scroll());
    }

    /// A panel of kind `name` was just created for part `id`: put it in the
    /// state the reader left it in last run (each pair checked as the content's
    /// `panel_state` is, so a stale file cannot put a panel in a state it does
    /// not have). Used once per part and run: afterwards the live panel is
    /// the truth, and `R` returns to the part's own opening state.
    pub(super) fn apply_remembered_panel(
        &mut self,
        id: &str,
        name: &str,
        panel: &mut dyn panels::Panel,
    ) {
        let Some(state) = self.remember.content.entries.get_mut(id) else {
            return;
        };
        for (key, value) in std::mem::take(&mut state.panel) {
            if panels::check_state(name, &key, &value).is_ok() {
                panel.apply_state(&key, &value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Action;
    use crate::content::Source;
    use crate::state::EntryState;
    use ratatui::layout::Rect;

    fn app() -> App {
        App::load(&Source::Embedded, Rect::new(0, 0, 160, 48))
    }

    #[test]
    fn marks_toggle_and_are_remembered() {
        let mut a = app();
        let entry = a.notebook.find_entry("2").unwrap();
        a.open(entry);
        a.update(Action::Mark(Mark::Studied));
        a.update(Action::Mark(Mark::Flagged));
        assert_eq!(a.marks("2"), (true, true));
        assert!(a.remember.dirty);
        a.update(Action::Mark(Mark::Flagged));
        assert_eq!(a.marks("2"), (true, false));
        assert!(a.message.as_deref().unwrap().contains("no longer"));
        let saved = a.remembered();
        assert!(saved.entries["2"].studied);
        assert_eq!(saved.last.as_deref(), Some("2"));
    }

    #[test]
    fn b_from_the_text_is_the_panels_where_the_panel_uses_it() {
        let mut a = app();
        let e6 = a.notebook.find_entry("6a").unwrap();
        a.open(e6);
        let before = a.current_panel().unwrap().state_value("mode");
        a.update(Action::Mark(Mark::Flagged));
        assert_eq!(a.marks("6a"), (false, false), "6's panel has its own b");
        assert_ne!(a.current_panel().unwrap().state_value("mode"), before);
        a.focus = crate::layout::Pane::Toc;
        a.update(Action::Mark(Mark::Flagged));
        assert_eq!(a.marks("6a"), (false, true), "from the contents it flags");
        // A part whose panel has no b: flagged from the text.
        let e1 = a.notebook.find_entry("1a").unwrap();
        a.open(e1);
        a.focus = crate::layout::Pane::Doc;
        a.update(Action::Mark(Mark::Flagged));
        assert_eq!(a.marks("1a"), (false, true));
    }

    #[test]
    fn c_cycles_the_theme_and_lays_the_text_out_in_it() {
        use crate::ui::theme::ThemeName;
        let mut a = app();
        assert_eq!(a.theme.name, ThemeName::Ansi16);
        let heading = |a: &App| a.doc.lines[0].spans[0].style.fg;
        let ansi = heading(&a);
        a.update(Action::CycleTheme);
        assert_eq!(a.theme.name, ThemeName::Dark);
        assert_ne!(heading(&a), ansi, "laid out again in the new colours");
        a.update(Action::CycleTheme);
        assert_eq!(a.theme.name, ThemeName::Light);
        a.update(Action::CycleTheme);
        assert_eq!(a.theme.name, ThemeName::Ansi16);
        assert_eq!(heading(&a), ansi);
        assert_eq!(a.message.as_deref(), Some("theme: 16-colour"));
    }

    #[test]
    fn a_new_app_lands_where_the_last_one_left_off() {
        let mut a = app();
        let entry = a.notebook.find_entry("5b").unwrap();
        a.open(entry);
        a.update(Action::Scroll(7));
        let scroll = a.doc_scroll;
        assert!(scroll > 0);
        // Another part's panel changed: its state comes back too.
        let e6 = a.notebook.find_entry("6a").unwrap();
        a.open(e6);
        a.update(Action::Panel(panels::PanelKey::Char('c')));
        let mode = a.current_panel().unwrap().state_value("mode");
        a.open(entry);
        assert_eq!(a.doc_scroll, scroll, "in-session: back at the same line");
        let saved = a.remembered();

        let mut b = app();
        b.restore_remembered(saved);
        assert_eq!(b.notebook.entry_id(b.current().unwrap()), "5b");
        assert_eq!(b.doc_scroll, scroll);
        b.open(e6);
        assert_eq!(b.current_panel().unwrap().state_value("mode"), mode);
    }

    #[test]
    fn a_place_survives_another_width() {
        let mut a = app();
        let entry = a.notebook.find_entry("1b").unwrap();
        a.open(entry);
        a.update(Action::Scroll(12));
        let block = a.remembered_place().unwrap().block;
        let saved = a.remembered();
        let mut b = App::load(&Source::Embedded, Rect::new(0, 0, 90, 30));
        b.restore_remembered(saved);
        assert_eq!(b.remembered_place().map(|p| p.block), Some(block));
    }

    #[test]
    fn stale_state_is_ignored() {
        let mut a = app();
        let mut content = ContentState {
            last: Some("9z".into()),
            ..ContentState::default()
        };
        let mut bad = EntryState::default();
        bad.panel.insert("mode".into(), "sideways".into());
        bad.place = Some(Place {
            block: 10_000,
            line: 3,
        });
        content.entries.insert("6a".into(), bad);
        a.restore_remembered(content);
        assert_eq!(a.entry, 0, "a part that is gone: the first entry");
        let e6 = a.notebook.find_entry("6a").unwrap();
        a.open(e6);
        assert_eq!(a.doc_scroll, a.max_doc_scroll(), "a block past the end");
        let mode = a.current_panel().unwrap().state_value("mode");
        assert_ne!(mode.as_deref(), Some("sideways"));
    }
}
