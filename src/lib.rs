//! nnbook: a terminal notebook of worked solutions to a neural-networks midterm.

pub mod cli;
pub mod compute;
pub mod math;
pub mod panels;
pub mod ui;
