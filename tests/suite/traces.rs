//! Every stepping panel through the common stepper: snapshots of the first, a
//! middle and the last step of each trace at 80x24 and 160x48, every trace
//! replayed from the panel, and the step keys the same in every panel.

use nnbook::compute::trace::replay;
use nnbook::panels::activations::ActivationsPanel;
use nnbook::panels::stepper::Stepper;
use nnbook::panels::{Panel, PanelKey};

use crate::common;

/// Positions to snapshot: the first step, the start of the backward pass (the
/// middle of every trace), and the last step.
fn positions(len: usize, backward: usize) -> [(usize, &'static str); 3] {
    [(1, "first"), (backward, "middle"), (len, "last")]
}

/// The panel drawn alone; no line may be cut at its right edge.
fn drawn(p: &dyn Panel, w: u16, h: u16) -> String {
    let before = nnbook::panels::canvas::cuts();
    let text = common::draw_panel(p, w, h);
    assert_eq!(
        nnbook::panels::canvas::cuts(),
        before,
        "a cut line at {w}x{h}:\n{text}"
    );
    text
}

fn press(p: &mut dyn Panel, key: PanelKey, times: usize) {
    for _ in 0..times {
        p.handle(key);
    }
}

/// Replay the panel's trace, then snapshot its first step, the start of its
/// backward pass and its last step at 80x24 and 160x48 as `NAME_WHAT_WxH`;
/// `check` sees every frame (at its step) before the snapshot does.
fn snapshot_steps<P: Panel>(
    name: &str,
    p: &mut P,
    stepper: fn(&P) -> &Stepper,
    check: impl Fn(usize, &str),
) {
    let (_, len) = stepper(p).position();
    let backward = stepper(p).backward_position().expect("a backward pass");
    replay(stepper(p).trace()).unwrap();
    for (pos, what) in positions(len, backward) {
        press(p, PanelKey::Char('r'), 1);
        press(p, PanelKey::Char(' '), pos);
        assert_eq!(stepper(p).position().0, pos);
        for (w, h) in [(80, 24), (160, 48)] {
            let text = drawn(p, w, h);
            check(pos, &text);
            insta::assert_snapshot!(format!("{name}_{what}_{w}x{h}"), text);
        }
    }
}

#[test]
fn activations_block_trace_snapshots() {
    let mut p = ActivationsPanel::new();
    snapshot_steps("activations", &mut p, |p| p.stepper(), |_, _| {});
}

#[test]
fn seqnorm_running_layer_trace_snapshots() {
    use nnbook::panels::seqnorm::SeqNormPanel;
    let mut p = SeqNormPanel::new();
    snapshot_steps("seqnorm", &mut p, |p| p.stepper(), |_, _| {});
    // The backward steps run t = T..1, and the panel's time follows.
    press(&mut p, PanelKey::Char('B'), 1);
    assert_eq!(p.trace_time(), Some(8));
    press(&mut p, PanelKey::Bottom, 1);
    assert_eq!(p.trace_time(), Some(1));
}

/// `trace=1` puts the trace in the JSON, complete enough to replay from the
/// JSON alone; `trace` is validated like every parameter.
#[test]
fn compute_json_carries_replayable_traces() {
    use nnbook::compute::trace::Trace;
    let small = [
        "trace=1", "steps=0", "depth=1", "width=4", "batch=8", "points=8",
    ];
    let j = common::compute_json("activations", &small);
    let traces = j["trace"].as_array().expect("one trace per activation");
    assert_eq!(traces.len(), 5);
    for t in traces {
        let t: Trace = serde_json::from_value(t.clone()).unwrap();
        replay(&t).unwrap();
        assert!(t.steps.iter().all(|s| !s.latex.is_empty()));
    }
    let j = common::compute_json("seqnorm", &["trace=1", "t=5", "k=2"]);
    let t: Trace = serde_json::from_value(j["trace"].clone()).unwrap();
    assert_eq!(t.len(), 10);
    replay(&t).unwrap();
    let j = common::compute_json("widen", &["trace=1", "steps=0", "strategy=zero"]);
    let t: Trace = serde_json::from_value(j["trace"].clone()).unwrap();
    replay(&t).unwrap();
    let j = common::compute_json("rnn2d", &["trace=1", "h=3", "w=2", "c=2"]);
    let t: Trace = serde_json::from_value(j["trace"].clone()).unwrap();
    assert_eq!(t.len(), 4 * 3 * 2);
    replay(&t).unwrap();
    let e = common::compute_fails("rnn2d", &["trace=1", "h=11"]);
    assert!(e.contains("`trace`"), "{e}");
    let j = common::compute_json("layer-table", &["trace=1"]);
    let t: Trace = serde_json::from_value(j["trace"].clone()).unwrap();
    assert_eq!(t.len(), 21);
    replay(&t).unwrap();
    let j = common::compute_json("bptt", &["trace=1", "t=8"]);
    let t: Trace = serde_json::from_value(j["trace"].clone()).unwrap();
    replay(&t).unwrap();
    let e = common::compute_fails("bptt", &["trace=1", "t=300"]);
    assert!(e.contains("`trace`"), "{e}");
    // Without trace=1 there is none.
    assert!(common::compute_json("seqnorm", &[]).get("trace").is_none());
    for name in [
        "layer-table",
        "activations",
        "seqnorm",
        "widen",
        "rnn2d",
        "bptt",
    ] {
        let e = common::compute_fails(name, &["trace=2"]);
        assert!(e.contains("`trace`"), "{name}: {e}");
    }
    let list = common::nnbook(&["compute", "--list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert_eq!(list.matches("trace=0").count(), 6, "{list}");
}

#[test]
fn widen_trace_snapshots() {
    use nnbook::panels::widen::WidenPanel;
    let mut p = WidenPanel::new();
    // 3(a)'s strategy: every new block zero; the experiment is a job.
    p.apply_state("strategy", "zero");
    let job = p.initial_job().unwrap();
    p.job_finished(job.run_inline());
    let len = p.stepper().position().1;
    snapshot_steps(
        "widen",
        &mut p,
        |p| p.stepper(),
        |pos, text| {
            if pos == len {
                assert!(text.contains("no new block gets any gradient"), "{text}");
            }
        },
    );
}

#[test]
fn rnn2d_trace_snapshots() {
    use nnbook::panels::rnn2d::Rnn2dPanel;
    // The grad check runs as a job (not started here): its line says so.
    let mut p = Rnn2dPanel::new();
    snapshot_steps("rnn2d", &mut p, |p| p.stepper(), |_, _| {});
}

/// The step keys do the same in every stepping panel.
#[test]
fn the_step_keys_are_the_same_in_every_panel() {
    use nnbook::panels::rnn2d::Rnn2dPanel;
    use nnbook::panels::seqnorm::SeqNormPanel;
    use nnbook::panels::widen::WidenPanel;
    fn check<P: Panel>(name: &str, mut p: P, stepper: fn(&P) -> &Stepper) {
        let len = stepper(&p).position().1;
        let back = stepper(&p).backward_position().unwrap();
        for (key, pos) in [
            (PanelKey::Char('r'), 0),
            (PanelKey::Char(' '), 1),
            (PanelKey::Char('l'), 2),
            (PanelKey::Right, 3),
            (PanelKey::Char('h'), 2),
            (PanelKey::Left, 1),
            (PanelKey::Bottom, len),
            (PanelKey::Top, 1),
            (PanelKey::Char('B'), back),
            (PanelKey::Char('r'), 0),
        ] {
            p.handle(key);
            assert_eq!(stepper(&p).position().0, pos, "{name} {key:?}");
        }
        p.handle(PanelKey::Char('a'));
        assert!(p.animating(), "{name}: a plays");
        p.handle(PanelKey::Char('a'));
        assert!(!p.animating(), "{name}: a pauses");
    }
    check("activations", ActivationsPanel::new(), |p| p.stepper());
    check("seqnorm", SeqNormPanel::new(), |p| p.stepper());
    let mut widen = WidenPanel::new();
    let job = widen.initial_job().unwrap();
    widen.job_finished(job.run_inline());
    check("widen", widen, |p| p.stepper());
    check("rnn2d", Rnn2dPanel::new(), |p| p.stepper());
    check("bptt", nnbook::panels::bptt::BpttPanel::new(), |p| {
        p.stepper()
    });
}

#[test]
fn layer_table_trace_snapshots() {
    use nnbook::panels::layer_table::LayerTablePanel;
    let mut p = LayerTablePanel::new();
    let (_, len) = p.stepper().position();
    replay(p.stepper().trace()).unwrap();
    // A forward-only trace: the middle is its middle layer.
    for (pos, what) in [(1, "first"), (len / 2, "middle"), (len, "last")] {
        press(&mut p, PanelKey::Char('r'), 1);
        press(&mut p, PanelKey::Char(' '), pos);
        assert_eq!(p.stepper().position().0, pos);
        // The selected row follows the step.
        assert_eq!(
            p.state_value("row").as_deref(),
            Some(pos.to_string().as_str())
        );
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(format!("layer_table_{what}_{w}x{h}"), drawn(&p, w, h));
        }
    }
    // Without a backward pass, B stays put.
    press(&mut p, PanelKey::Char('B'), 1);
    assert_eq!(p.stepper().position().0, len);
}

#[test]
fn bptt_trace_snapshots() {
    use nnbook::panels::bptt::BpttPanel;
    let mut p = BpttPanel::new();
    snapshot_steps("bptt", &mut p, |p| p.stepper(), |_, _| {});
}

/// Problem 1's architecture editor: `E` opens the spec as `arch=` writes it,
/// an edit changes the table and the full-receptive-field answer exactly as
/// the CLI computes them, and a bad edit gets the CLI's error naming `arch`.
#[test]
fn layer_table_architecture_editor() {
    use nnbook::compute::layer_table::{MIDTERM, arch_spec};
    use nnbook::panels::layer_table::LayerTablePanel;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |c: KeyCode| PanelKey::Input(KeyEvent::new(c, KeyModifiers::NONE));
    let mut p = LayerTablePanel::new();
    assert!(!p.prompt_open());
    p.handle(PanelKey::Char('E'));
    assert!(p.prompt_open());
    let spec = arch_spec(MIDTERM);
    assert_eq!(p.prompt_text(), Some(spec.as_str()));
    assert!(spec.contains("conv:96:3"), "{spec}");
    let edited = spec.replace("conv:96:3", "conv:96:5");
    let type_in = |p: &mut LayerTablePanel, text: &str| {
        for _ in 0..p.prompt_text().unwrap().chars().count() {
            p.handle(key(KeyCode::Backspace));
        }
        for c in text.chars() {
            p.handle(key(KeyCode::Char(c)));
        }
    };
    type_in(&mut p, &edited);
    assert_eq!(p.prompt_text(), Some(edited.as_str()));
    // While the editor is open, q and j are text, not commands.
    insta::assert_snapshot!("layer_table_editor_80x24", drawn(&p, 80, 24));
    p.handle(key(KeyCode::Enter));
    assert!(!p.prompt_open());
    let cli = common::compute_json("layer-table", &[&format!("arch={edited}")]);
    let first = cli["first_full_rf_layer"].as_u64().unwrap();
    let text = drawn(&p, 160, 48);
    assert!(
        text.contains("C96 5x5") || text.contains("Conv F=96, 5x5"),
        "{text}"
    );
    assert!(
        text.contains(&format!("first L{first}")) || text.contains("full RF"),
        "{text}"
    );
    // A bad edit: the CLI's message, and the editor stays open.
    p.handle(PanelKey::Char('E'));
    type_in(&mut p, "conv:96,relu");
    p.handle(key(KeyCode::Enter));
    assert!(p.prompt_open());
    let cli = common::compute_fails("layer-table", &["arch=conv:96,relu"]);
    let shown = p.edit_error().unwrap();
    assert!(cli.contains(shown), "panel: {shown}\ncli: {cli}");
    assert!(shown.contains("`arch`"), "{shown}");
    // A layer that does not fit: the table's error, as the CLI prints it.
    type_in(&mut p, "conv:8:40:1:0");
    p.handle(key(KeyCode::Enter));
    let cli = common::compute_fails("layer-table", &["arch=conv:8:40:1:0"]);
    let shown = p.edit_error().unwrap();
    assert!(cli.contains(shown), "panel: {shown}\ncli: {cli}");
    p.handle(key(KeyCode::Esc));
    assert!(!p.prompt_open());
}

/// Through the app: with the editor open every key reaches it (none runs a
/// command), and Esc gives the keys back.
#[test]
fn the_editor_takes_every_key_in_the_app() {
    use nnbook::app::action::{Action, from_key};
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut app = common::embedded_app(ratatui::layout::Rect::new(0, 0, 160, 48));
    let b1 = app.notebook.find_entry("1b").expect("1b");
    let effect = app.open(b1);
    app.run_inline(effect);
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    app.update(Action::Panel(PanelKey::Char('E')));
    assert!(app.panel_prompt_open());
    let ctx = app.key_context();
    assert!(ctx.prompt_open, "the editor counts as an open prompt");
    let q = from_key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE), ctx).unwrap();
    assert!(matches!(q, Action::SearchEdit(_)));
    assert!(!matches!(app.update(q), nnbook::app::Effect::Quit));
    assert!(app.panel_prompt_open());
    let esc = from_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE), ctx).unwrap();
    app.update(esc);
    assert!(!app.panel_prompt_open());
}

/// Every stepping panel, mid-trace and with Problem 1's editor open, drawn
/// at tiny sizes: no panic (a 1×4 layer-table panel once subtracted past 0).
#[test]
fn stepping_panels_draw_at_any_small_size() {
    use nnbook::panels::create;
    for name in [
        "layer-table",
        "activations",
        "widen",
        "seqnorm",
        "bptt",
        "rnn2d",
    ] {
        let mut p = create(name).unwrap();
        if let Some(job) = p.initial_job() {
            p.job_finished(job.run_inline());
        }
        press(p.as_mut(), PanelKey::Char(' '), 3);
        for open_editor in [false, true] {
            if open_editor {
                p.handle(PanelKey::Char('E'));
            }
            for w in 0..12u16 {
                for h in 0..10u16 {
                    common::draw_panel(p.as_ref(), w, h);
                }
            }
        }
    }
}

/// A part may open the widen panel mid-trace although its trace comes from
/// the experiment job: the step waits for the job's result.
#[test]
fn widen_opens_at_a_panel_state_step_after_its_job() {
    use nnbook::panels::create_in;
    let state = [
        ("step".to_string(), "9".to_string()),
        ("strategy".to_string(), "zero".to_string()),
    ];
    let mut p = create_in("widen", &state).unwrap();
    let job = p.initial_job().unwrap();
    p.job_finished(job.run_inline());
    assert_eq!(p.state_value("step").as_deref(), Some("9"));
}

/// Exam mode's hook: each revealed step moves a stepping panel's trace one
/// step on, and says nothing changed at the end.
#[test]
fn exam_step_advances_every_stepping_trace() {
    use nnbook::panels::create;
    for name in [
        "layer-table",
        "activations",
        "widen",
        "seqnorm",
        "bptt",
        "rnn2d",
    ] {
        let mut p = create(name).unwrap();
        if let Some(job) = p.initial_job() {
            p.job_finished(job.run_inline());
        }
        p.handle(PanelKey::Char('r'));
        let before = p.state_value("step");
        assert!(
            matches!(p.exam_step(), nnbook::panels::PanelEffect::Redraw),
            "{name}"
        );
        assert_ne!(p.state_value("step"), before, "{name}");
        p.handle(PanelKey::Bottom);
        p.handle(PanelKey::Bottom);
        assert!(
            matches!(p.exam_step(), nnbook::panels::PanelEffect::Ignored),
            "{name} at its end"
        );
    }
}

/// The stepper draws a step's equation as the notebook shows math: in the
/// glyph set chosen with `u`, or as its LaTeX source with `m`.
#[test]
fn the_step_equation_follows_the_math_settings() {
    use nnbook::math::Glyphs;
    use nnbook::panels::PanelContext;
    use nnbook::ui::doc::MathSettings;
    use nnbook::ui::theme::Theme;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    let mut p = ActivationsPanel::new();
    press(&mut p, PanelKey::Char(' '), 2); // μ_j = (1/N) Σ_i z_ij
    let draw = |math: MathSettings| {
        let theme = Theme::default();
        let ctx = PanelContext {
            theme: &theme,
            focused: true,
            job: None,
            math,
        };
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        p.render(area, &mut buf, &ctx);
        (0..24)
            .map(|y| {
                (0..80)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let unicode = draw(MathSettings::default());
    assert!(unicode.contains('μ') && unicode.contains('∑'), "{unicode}");
    let ascii = draw(MathSettings {
        rendered: true,
        glyphs: Glyphs::Ascii,
    });
    let eq: Vec<&str> = ascii.lines().filter(|l| l.contains("mu")).collect();
    assert!(
        !eq.is_empty() && eq.iter().all(|l| !l.contains('∑')),
        "{ascii}"
    );
    let source = draw(MathSettings {
        rendered: false,
        glyphs: Glyphs::Unicode,
    });
    assert!(
        source.contains(r"\mu_j = \frac{1}{N} \sum_i z_{ij}"),
        "{source}"
    );
}
