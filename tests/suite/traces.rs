//! Every stepping panel through the common stepper: snapshots of the first, a
//! middle and the last step of each trace at 80x24 and 160x48, every trace
//! replayed from the panel, and the step keys the same in every panel.

use nnbook::compute::trace::replay;
use nnbook::panels::activations::ActivationsPanel;
use nnbook::panels::{Panel, PanelKey};

use crate::common;

/// Positions to snapshot: the first step, the start of the backward pass (the
/// middle of every trace), and the last step.
fn positions(len: usize, backward: usize) -> [(usize, &'static str); 3] {
    [(1, "first"), (backward, "middle"), (len, "last")]
}

fn press(p: &mut dyn Panel, key: PanelKey, times: usize) {
    for _ in 0..times {
        p.handle(key);
    }
}

#[test]
fn activations_block_trace_snapshots() {
    let mut p = ActivationsPanel::new();
    let (_, len) = p.stepper().position();
    let backward = p.stepper().backward_position().unwrap();
    replay(p.stepper().trace()).unwrap();
    for (pos, what) in positions(len, backward) {
        press(&mut p, PanelKey::Char('r'), 1);
        press(&mut p, PanelKey::Char(' '), pos);
        assert_eq!(p.stepper().position().0, pos);
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(
                format!("activations_{what}_{w}x{h}"),
                common::draw_panel(&p, w, h)
            );
        }
    }
}

#[test]
fn seqnorm_running_layer_trace_snapshots() {
    use nnbook::panels::seqnorm::SeqNormPanel;
    let mut p = SeqNormPanel::new();
    let (_, len) = p.stepper().position();
    let backward = p.stepper().backward_position().unwrap();
    replay(p.stepper().trace()).unwrap();
    for (pos, what) in positions(len, backward) {
        press(&mut p, PanelKey::Char('r'), 1);
        press(&mut p, PanelKey::Char(' '), pos);
        assert_eq!(p.stepper().position().0, pos);
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(
                format!("seqnorm_{what}_{w}x{h}"),
                common::draw_panel(&p, w, h)
            );
        }
    }
    // The backward steps run t = T..1, and the panel's time follows.
    press(&mut p, PanelKey::Char('B'), 1);
    assert_eq!(p.trace_time(), Some(8));
    press(&mut p, PanelKey::Bottom, 1);
    assert_eq!(p.trace_time(), Some(1));
}
