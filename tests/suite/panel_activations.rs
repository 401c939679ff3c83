//! Problem 2 panel: snapshots at the frame's sizes, key handling, the
//! experiment job run inline, and no panic at any size.

use nnbook::compute::Progress;
use nnbook::compute::activations::experiment::ExperimentConfig;
use nnbook::compute::activations::spirals::SpiralSpec;
use nnbook::panels::activations::ActivationsPanel;
use nnbook::panels::{Panel, PanelContext, PanelEffect, PanelKey};
use nnbook::ui::theme::Theme;
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn draw(panel: &ActivationsPanel, w: u16, h: u16, job: Option<&Progress>) -> String {
    let theme = Theme::default();
    let ctx = PanelContext {
        theme: &theme,
        focused: true,
        job,
        math: Default::default(),
    };
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    panel.render(area, &mut buf, &ctx);
    (0..h)
        .map(|y| {
            let line: String = (0..w)
                .map(|x| buf.cell((x, y)).map_or(" ", |c| c.symbol()).to_string())
                .collect();
            line.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A small experiment so the debug-build test stays quick; same code path.
fn small() -> ExperimentConfig {
    ExperimentConfig {
        depth: 6,
        width: 16,
        steps: 20,
        batch: 32,
        spirals: SpiralSpec {
            per_class: 48,
            ..ExperimentConfig::default().spirals
        },
        ..ExperimentConfig::default()
    }
}

fn with_experiment() -> ActivationsPanel {
    let mut p = ActivationsPanel::with_experiment(small());
    // `e` asks for the experiment job; run it here as the app would
    let PanelEffect::Run(job) = p.handle(PanelKey::Char('e')) else {
        panic!("e starts the experiment");
    };
    p.job_finished(job.run_inline());
    assert!(p.outcome().is_some());
    p
}

#[test]
fn statistics_state_80x24() {
    insta::assert_snapshot!(draw(&ActivationsPanel::new(), 80, 24, None));
}

#[test]
fn statistics_state_160x48() {
    insta::assert_snapshot!(draw(&ActivationsPanel::new(), 160, 48, None));
}

#[test]
fn experiment_done_80x24_scrolled_to_the_charts() {
    let mut p = with_experiment();
    for _ in 0..30 {
        p.handle(PanelKey::Down);
    }
    insta::assert_snapshot!(draw(&p, 80, 24, None));
}

#[test]
fn experiment_done_160x48() {
    insta::assert_snapshot!(draw(&with_experiment(), 160, 48, None));
}

#[test]
fn sigmoid_at_full_height_60_columns() {
    let mut p = with_experiment();
    p.handle(PanelKey::Char('c'));
    let h = p.full_height(60);
    insta::assert_snapshot!(draw(&p, 60, h, None));
}

#[test]
fn the_experiment_waits_for_e() {
    // the frame runs initial jobs inline in `render` and tests; this one is slow
    let mut p = ActivationsPanel::new();
    assert!(p.initial_job().is_none());
    assert!(draw(&p, 160, 48, None).contains("press e to train it"));
}

#[test]
fn running_job_shows_progress() {
    let p = ActivationsPanel::new();
    let progress = Progress {
        done: 120,
        total: 300,
        label: "training sign(x)".into(),
    };
    let text = draw(&p, 160, 48, Some(&progress));
    assert!(text.contains("running: training sign(x) 120/300"), "{text}");
}

#[test]
fn keys_update_the_statistics_at_once() {
    let mut p = ActivationsPanel::new();
    // opens on (3) ReLU(x − 10), dead at β = 0
    assert!(p.statistics().acts[2].verdict.poor);
    for _ in 0..20 {
        assert!(matches!(p.handle(PanelKey::Char('}')), PanelEffect::Redraw));
    }
    // β = 10: half the units sit above the kink
    assert_eq!(p.statistics().config.beta, 10.0);
    assert!(!p.statistics().acts[2].verdict.poor);
    let text = draw(&p, 80, 24, None);
    assert!(text.contains("β 10"), "{text}");
    // shift c down to 0 with β back at 0: ReLU itself, also fine
    for _ in 0..20 {
        p.handle(PanelKey::Char('{'));
    }
    for _ in 0..10 {
        p.handle(PanelKey::Char('<'));
    }
    assert_eq!(p.statistics().config.shift, 0.0);
    assert!(!p.statistics().acts[2].verdict.poor);
    // γ is clamped to its range
    for _ in 0..40 {
        p.handle(PanelKey::Char(']'));
    }
    assert_eq!(p.statistics().config.gamma, 4.0);
    // reseeding changes the data
    let before = p.statistics().x.clone();
    p.handle(PanelKey::Char('s'));
    assert_ne!(before, p.statistics().x);
    assert!(matches!(p.handle(PanelKey::Char('e')), PanelEffect::Run(_)));
    assert!(matches!(
        p.handle(PanelKey::Char('x')),
        PanelEffect::Ignored
    ));
    assert!(matches!(p.handle(PanelKey::Enter), PanelEffect::Ignored));
}

#[test]
fn cycling_wraps_both_ways() {
    let mut p = ActivationsPanel::new();
    let t0 = p.title();
    for _ in 0..5 {
        p.handle(PanelKey::Char('c'));
    }
    assert_eq!(p.title(), t0);
    // ←/→ (and h/l, Space) step the block's trace; they leave the choice alone.
    for key in [PanelKey::Left, PanelKey::Right, PanelKey::Char('l')] {
        p.handle(key);
        assert_eq!(p.title(), t0);
    }
    assert_eq!(p.stepper().position().0, 2);
}

#[test]
fn a_failed_job_is_shown_not_swallowed() {
    let mut p = ActivationsPanel::new();
    p.job_finished(Err("cancelled".into()));
    assert!(draw(&p, 160, 48, None).contains("experiment: cancelled"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn never_panics_at_any_size(w in 0u16..200, h in 0u16..70, scroll in 0usize..60) {
        let mut p = ActivationsPanel::new();
        for _ in 0..scroll {
            p.handle(PanelKey::Down);
        }
        draw(&p, w, h, None);
    }
}

#[test]
fn never_panics_with_results_at_small_sizes() {
    let p = with_experiment();
    for (w, h) in [
        (0, 0),
        (1, 1),
        (2, 5),
        (10, 3),
        (39, 12),
        (41, 24),
        (99, 30),
        (100, 30),
    ] {
        draw(&p, w, h, None);
    }
}

#[test]
fn narrow_40_columns_whole_page() {
    let p = with_experiment();
    let h = p.full_height(40);
    insta::assert_snapshot!(draw(&p, 40, h, None));
}

#[test]
fn the_experiment_job_reports_progress_and_stops_when_told() {
    use std::ops::ControlFlow;
    let mut p = ActivationsPanel::with_experiment(small());
    let PanelEffect::Run(job) = p.handle(PanelKey::Char('e')) else {
        panic!("e starts the experiment");
    };
    let mut seen = Vec::new();
    let result = (job.work)(&mut |progress: Progress| {
        seen.push(progress.done);
        if progress.done >= 25 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    let Err(message) = result else {
        panic!("a cancelled run returns no result");
    };
    assert_eq!(message, "cancelled");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]) && seen.contains(&25));
    p.job_finished(Err(message));
    assert!(p.outcome().is_none());
}

/// With the experiment's results on screen, no line is cut at 40, 60, 80 or
/// 120 columns (the panel_fit test covers every other state).
#[test]
fn experiment_results_fit_every_width() {
    let p = with_experiment();
    for w in [40u16, 60, 80, 120] {
        let before = nnbook::panels::canvas::cuts();
        let text = draw(&p, w, 60, None);
        assert_eq!(
            nnbook::panels::canvas::cuts(),
            before,
            "{w} columns:\n{text}"
        );
    }
}

/// Once the experiment has run, its results are on the first screen of the
/// panel (no scrolling), at the one-column widths the layout gives it.
#[test]
fn experiment_results_show_without_scrolling() {
    let p = with_experiment();
    for w in [46u16, 60, 80] {
        let text = draw(&p, w, 30, None);
        assert!(
            text.contains("deep stack:") && text.contains("training loss"),
            "{w} columns:\n{text}"
        );
    }
}
