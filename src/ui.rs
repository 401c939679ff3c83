//! Drawing: reads `&App` and never changes it.

pub mod cells;
pub mod doc;
pub mod frame;
pub mod highlight;
pub mod theme;
pub mod toc;
pub mod wrap;
