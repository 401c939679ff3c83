//! nnbook: a terminal notebook of worked solutions to a neural-networks midterm.

pub mod app;
pub mod cli;
pub mod clipboard;
pub mod compute;
pub mod contain;
pub mod content;
pub mod headless;
pub mod invariants;
pub mod layout;
pub mod math;
pub mod panels;
pub mod search;
pub mod state;
pub mod suggest;
pub mod terminal;
pub mod tui;
pub mod ui;
pub mod watch;
