//! The integration tests, as one binary: each module was once its own test
//! crate, and every crate linked the whole library again (about 30 links per
//! `cargo test`). One binary links once and runs all tests on all cores.

mod answers;
mod cli;
mod cli_activations;
mod cli_bptt;
mod cli_layer_table;
mod cli_rnn2d;
mod cli_seqnorm;
mod cli_widen;
mod common;
mod content_keys;
mod derivation_math;
mod facts_file;
mod first_look;
mod frame_styles;
mod highlight_worker;
mod hostile;
mod markdown_files;
mod math_golden;
mod math_props;
mod nav;
mod p1_content;
mod p2_content;
mod p3_content;
mod p4_content;
mod p5_content;
mod p6_content;
mod panel_activations;
mod panel_bptt;
mod panel_fit;
mod panel_layer_table;
mod panel_rnn2d;
mod panel_seqnorm;
mod panel_state;
mod panel_widen;
mod pty;
mod search;
mod sizes;
mod snapshots;
mod state;
mod tables;
mod themes;
mod traces;
