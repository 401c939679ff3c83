//! Reading the content again (`--watch`) without losing the reader's place:
//! the same part (by id) at the same place in it, panels of parts that are
//! still there kept as they were. Content that no longer loads shows the
//! error view over the last good content, and the next good save recovers.

use super::{App, DocLayout, Effect, Search};
use crate::content::{ContentErrors, Notebook, Source};

impl App {
    /// Put the whole parse in place of a first look
    /// ([`Notebook::first_look`]), right after the first frame. Its entries
    /// are the same, so the reader's place, panels and marks stay as they
    /// are; the search index and the layout, made from the notebook, are made
    /// again. If the whole parse finds errors, the error view replaces the
    /// notebook, as it would have at start. Returns the jobs a panel asks for
    /// (none, unless the entries turned out different and a part was opened).
    pub fn complete_load(&mut self, loaded: Result<Notebook, ContentErrors>) -> Effect {
        if !std::mem::take(&mut self.first_look) {
            return Effect::None;
        }
        self.search_index = std::cell::OnceCell::new();
        self.doc = DocLayout::default();
        match loaded {
            Err(errors) => {
                self.errors = Some(errors);
                self.notebook = Notebook::empty();
                self.panels.clear();
                self.link = None;
                self.outline = None;
                self.entry = 0;
                self.doc_scroll = 0;
                Effect::None
            }
            Ok(notebook) => {
                let ids = |nb: &Notebook| {
                    nb.entries
                        .iter()
                        .map(|e| nb.entry_id(*e))
                        .collect::<Vec<_>>()
                };
                let same = ids(&notebook) == ids(&self.notebook);
                self.notebook = notebook;
                if same {
                    self.refresh_doc();
                    Effect::None
                } else {
                    // Not expected (the first look is built from the same
                    // front matter): start over as a first good load would.
                    self.panels.clear();
                    let remembered = self.remember.content.clone();
                    self.restore_remembered(remembered)
                }
            }
        }
    }

    /// Load `source` again and take it if it loads; returns the jobs a newly
    /// opened panel asks for.
    pub fn reload(&mut self, source: &Source) -> Effect {
        match super::load_notebook(source) {
            Err(errors) => {
                self.errors = Some(errors);
                self.message = Some("the content has errors: fix and save to reload".into());
                Effect::None
            }
            Ok(notebook) if self.notebook.entries.is_empty() => {
                // The first good load (the content was broken at start):
                // open where the last run left off, as a start would.
                self.errors = None;
                self.notebook = notebook;
                self.search_index = std::cell::OnceCell::new();
                self.doc = DocLayout::default();
                self.message = Some("content loaded: the errors are fixed".into());
                let remembered = self.remember.content.clone();
                self.restore_remembered(remembered)
            }
            Ok(notebook) => {
                let was_broken = self.errors.take().is_some();
                let id = self.current().map(|e| self.notebook.entry_id(e));
                let place = self.current().and_then(|_| self.remembered_place());
                // Panels whose part is gone, or now has another panel, go.
                let kind = |nb: &Notebook, id: &str| {
                    nb.find_entry(id)
                        .and_then(|i| nb.part(nb.entries[i]))
                        .map(|p| p.panel.clone())
                };
                let old = &self.notebook;
                self.panels.retain(|id, _| {
                    kind(old, id).is_some() && kind(old, id) == kind(&notebook, id)
                });
                self.notebook = notebook;
                // Link numbers index the old layout; the outline cursor its
                // headings. (Exam reveals and history are kept by entry: a
                // reload that adds or removes files may shift them.)
                self.link = None;
                self.outline_entry_changed();
                self.search = Search::default();
                self.search_index = std::cell::OnceCell::new();
                self.doc = DocLayout::default();
                let last = self.notebook.entries.len().saturating_sub(1);
                self.entry = id
                    .and_then(|id| self.notebook.find_entry(&id))
                    .unwrap_or(self.entry.min(last));
                self.doc_scroll = 0;
                self.refresh_doc();
                if let Some(place) = place {
                    self.scroll_to_place(place);
                }
                self.message = Some(if was_broken {
                    "content reloaded: the errors are fixed".into()
                } else {
                    "content reloaded".into()
                });
                self.ensure_panel()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::app::{Action, App};
    use crate::content::Source;
    use ratatui::layout::Rect;

    #[test]
    fn a_changed_file_is_reloaded_a_broken_one_shows_errors_a_fixed_one_recovers() {
        let dir = std::env::temp_dir().join(format!("nnbook-reload-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("notes.md");
        let long: String = (1..=60)
            .map(|i| format!("Line {i} of the notes.\n\n"))
            .collect();
        std::fs::write(
            &file,
            format!("# Notes\n\n## First\n\n{long}## Second\n\nend\n"),
        )
        .unwrap();
        let source = Source::Dir(file.clone());
        let mut a = App::load(&source, Rect::new(0, 0, 100, 20));
        let first = a.notebook.find_entry("first").unwrap();
        a.open(first);
        a.update(Action::Scroll(30));
        let scroll = a.doc_scroll;
        assert!(scroll > 0);

        // An edit above the place: same part, same place, new text.
        std::fs::write(
            &file,
            format!("# Notes\n\nNew intro.\n\n## First\n\n{long}## Second\n\nend, edited\n"),
        )
        .unwrap();
        a.reload(&source);
        assert!(a.errors.is_none());
        assert_eq!(a.notebook.entry_id(a.current().unwrap()), "first");
        assert_eq!(a.doc_scroll, scroll, "kept the scroll");
        let second = a.notebook.find_entry("second").unwrap();
        assert_eq!(a.notebook.entries.len(), 3);

        // A broken save: the error view, over the last good content.
        std::fs::write(&file, format!("# Notes\n\n{}x\n", "> ".repeat(40))).unwrap();
        a.reload(&source);
        let errors = a.errors.as_ref().expect("the error view").to_string();
        assert!(errors.contains("notes.md:3:"), "{errors}");
        let frame = crate::headless::render_frame(&a, false);
        assert!(frame.contains("Content errors"), "{frame}");
        assert_eq!(a.notebook.entries.len(), 3, "last good content kept");

        // Fixed: back where the reader was.
        std::fs::write(
            &file,
            format!("# Notes\n\n## First\n\n{long}## Second\n\nend\n"),
        )
        .unwrap();
        a.reload(&source);
        assert!(a.errors.is_none());
        assert_eq!(a.entry, first);
        assert_eq!(a.doc_scroll, scroll);
        assert!(a.message.as_deref().unwrap().contains("fixed"));
        assert_ne!(a.entry, second);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn content_broken_at_start_loads_once_fixed() {
        let dir = std::env::temp_dir().join(format!("nnbook-reload-start-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("a.md"),
            "\n+++\nnot front matter where it must be\n",
        )
        .unwrap();
        let source = Source::Dir(dir.clone());
        let mut a = App::load(&source, Rect::new(0, 0, 100, 20));
        assert!(a.errors.is_some());
        assert!(a.notebook.entries.is_empty());
        std::fs::write(dir.join("a.md"), "# A\n\n## One\n\ntext\n").unwrap();
        a.reload(&source);
        assert!(a.errors.is_none());
        assert_eq!(a.notebook.entry_ids(), ["p1", "one"]);
        assert!(crate::headless::render_frame(&a, false).contains("One"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
