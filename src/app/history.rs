//! Back / forward history of the places a reader jumped from (following a
//! link, jumping from the outline). A place is a document position (entry,
//! top block and lines into it), so going back after a resize lands on the
//! same text.

use super::{App, Effect};

/// Where the reader was: an entry and the top of the view as a document position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub entry: usize,
    /// Top-level block at the top of the view.
    pub block: usize,
    /// Lines of that block scrolled past.
    pub offset: usize,
}

/// Most places remembered each way; older ones are dropped.
pub const DEPTH: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct History {
    back: Vec<Place>,
    forward: Vec<Place>,
}

impl History {
    /// A jump leaves `from`: it can be gone back to, and the forward trail is
    /// dropped (as in a browser).
    pub fn jumped(&mut self, from: Place) {
        if self.back.last() != Some(&from) {
            self.back.push(from);
        }
        if self.back.len() > DEPTH {
            self.back.remove(0);
        }
        self.forward.clear();
    }

    /// The place to go back to from `current` (which forward then returns to).
    pub fn back(&mut self, current: Place) -> Option<Place> {
        let place = self.back.pop()?;
        self.forward.push(current);
        Some(place)
    }

    pub fn forward(&mut self, current: Place) -> Option<Place> {
        let place = self.forward.pop()?;
        self.back.push(current);
        Some(place)
    }

    pub fn depth(&self) -> (usize, usize) {
        (self.back.len(), self.forward.len())
    }
}

impl App {
    /// The current place as a document position.
    pub fn place(&self) -> Place {
        let starts = &self.doc.starts;
        let block = starts
            .partition_point(|&s| s <= self.doc_scroll)
            .saturating_sub(1);
        let offset = self
            .doc_scroll
            .saturating_sub(starts.get(block).copied().unwrap_or(0));
        Place {
            entry: self.entry,
            block,
            offset,
        }
    }

    /// Open `place`'s entry and scroll to its position (laid out at today's width).
    pub(super) fn restore(&mut self, place: Place) -> Effect {
        let effect = self.go_to(place.entry);
        self.refresh_doc();
        let line = self.doc.starts.get(place.block).copied().unwrap_or(0) + place.offset;
        self.doc_scroll = line.min(self.max_doc_scroll());
        effect
    }

    pub(super) fn history_step(&mut self, forward: bool) -> Effect {
        let here = self.place();
        let to = if forward {
            self.history.forward(here)
        } else {
            self.history.back(here)
        };
        let Some(place) = to else {
            self.message = Some(if forward {
                "nothing to go forward to".into()
            } else {
                "nothing to go back to (links and outline jumps are remembered)".into()
            });
            return Effect::None;
        };
        let effect = self.restore(place);
        let (back, fwd) = self.history.depth();
        self.message = Some(format!(
            "{} {} · {back} back, {fwd} forward",
            if forward { "forward to" } else { "back to" },
            self.current()
                .map(|e| self.notebook.entry_id(e))
                .unwrap_or_default()
        ));
        effect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(entry: usize) -> Place {
        Place {
            entry,
            block: 0,
            offset: 0,
        }
    }

    #[test]
    fn back_and_forward_walk_the_trail_and_a_new_jump_drops_forward() {
        let mut h = History::default();
        h.jumped(at(1));
        h.jumped(at(2));
        assert_eq!(h.back(at(3)), Some(at(2)));
        assert_eq!(h.back(at(2)), Some(at(1)));
        assert_eq!(h.back(at(1)), None);
        assert_eq!(h.forward(at(1)), Some(at(2)));
        h.jumped(at(2));
        assert_eq!(h.forward(at(5)), None, "a new jump drops the forward trail");
        for i in 0..2 * DEPTH {
            h.jumped(at(i + 10));
        }
        assert_eq!(h.depth().0, DEPTH);
    }
}
