//! Problem 5's schedules as common traces: one step per action (a forward
//! step, a store, a free, a backward step), each with the memory state it
//! reads (the stored checkpoints, the cursor, the counters) and the state it
//! leaves. Forward steps, stores and frees are the forward phase; backward
//! steps the backward phase (recomputation between them is forward again).
//! Replay re-applies every action to its recorded state with plain
//! bookkeeping of its own and checks legality on the way.

use super::schedule::{Frame, Op};
use crate::compute::trace::{Phase, Step, Tensor, Trace, need};

/// `[cursor (−1: none), next backward step, forward steps, backward steps,
/// stores, memory, peak memory]`.
fn state(f: Option<&Frame>, next_backward: u64) -> Vec<f64> {
    match f {
        None => vec![-1.0, next_backward as f64, 0.0, 0.0, 0.0, 0.0, 0.0],
        Some(f) => vec![
            f.cursor.map_or(-1.0, |c| c as f64),
            next_backward as f64,
            f.counts.forward_steps as f64,
            f.counts.backward_steps as f64,
            f.counts.stores as f64,
            f.counts.memory as f64,
            f.counts.peak_memory as f64,
        ],
    }
}

fn stored(f: Option<&Frame>) -> Tensor {
    Tensor::vector(
        &f.map(|f| f.stored.iter().map(|t| *t as f64).collect::<Vec<_>>())
            .unwrap_or_default(),
    )
}

/// The frames of a schedule over `t` steps as a common trace.
pub fn to_common(frames: &[Frame], t: u64) -> Trace {
    let mut tr = Trace::new("bptt");
    let mut next_backward = t;
    for (k, f) in frames.iter().enumerate() {
        let (phase, op, label, latex, args) = match f.op {
            Op::Forward { from, to } => (
                Phase::Forward,
                "bptt.forward",
                format!("forward h{from} → h{to}"),
                r"h_{t} = f(h_{t-1}, x_{t})".to_string(),
                vec![from as f64, to as f64],
            ),
            Op::Store { t } => (
                Phase::Forward,
                "bptt.store",
                format!("store checkpoint h{t}"),
                format!(r"\text{{slot}} \leftarrow h_{{{t}}}"),
                vec![t as f64],
            ),
            Op::Free { t } => (
                Phase::Forward,
                "bptt.free",
                format!("free checkpoint h{t}"),
                format!(r"\text{{slot of }} h_{{{t}}} \text{{ freed}}"),
                vec![t as f64],
            ),
            Op::Backward { t } => (
                Phase::Backward,
                "bptt.backward",
                format!("backward step {t}"),
                format!(
                    r"\frac{{\partial L}}{{\partial h_{{{}}}}} = \left(\frac{{\partial h_{{{t}}}}}{{\partial h_{{{}}}}}\right)^\top \frac{{\partial L}}{{\partial h_{{{t}}}}} + \frac{{\partial L_{{{}}}}}{{\partial h_{{{}}}}}",
                    t - 1,
                    t - 1,
                    t - 1,
                    t - 1
                ),
                vec![t as f64],
            ),
        };
        let b = tr.step(phase, op, label, latex);
        let b = if k == 0 {
            b.given("stored in", stored(None))
                .given("state in", Tensor::vector(&state(None, next_backward)))
        } else {
            b.read_as("stored in", k - 1, "stored")
                .read_as("state in", k - 1, "state")
        };
        if let Op::Backward { t } = f.op {
            next_backward = t - 1;
        }
        b.given("action", Tensor::vector(&args))
            .given("T", Tensor::scalar(t as f64))
            .out("stored", stored(Some(f)))
            .out("state", Tensor::vector(&state(Some(f), next_backward)))
            .note(format!(
                "memory {} · peak {} · forward steps {} · backward {}/{t}",
                f.counts.memory,
                f.counts.peak_memory,
                f.counts.forward_steps,
                f.counts.backward_steps
            ))
            .push();
    }
    tr
}

/// Re-apply a `bptt.*` action to its recorded state.
pub fn recompute(s: &Step) -> Result<Vec<Tensor>, String> {
    let mut stored: Vec<u64> = need(s, "stored in")?
        .data
        .iter()
        .map(|v| *v as u64)
        .collect();
    let st = need(s, "state in")?.data.clone();
    let a = need(s, "action")?.data.clone();
    let last = need(s, "T")?.as_scalar() as u64;
    if st.len() != 7 {
        return Err("state in: 7 entries".into());
    }
    let mut cursor = (st[0] >= 0.0).then_some(st[0] as u64);
    let mut next_b = st[1] as u64;
    let [mut fwd, mut bwd, mut stores, _, mut peak] = [st[2], st[3], st[4], st[5], st[6]];
    let available = |t: u64, stored: &[u64], cursor: Option<u64>| {
        t == 0 || stored.contains(&t) || cursor == Some(t)
    };
    match s.op.as_str() {
        "bptt.forward" => {
            let (from, to) = (a[0] as u64, a[1] as u64);
            if !available(from, &stored, cursor) || to <= from || to > last {
                return Err(format!("h_{from} is not available"));
            }
            fwd += (to - from) as f64;
            cursor = Some(to);
        }
        "bptt.store" => {
            let t = a[0] as u64;
            if cursor != Some(t) || stored.contains(&t) {
                return Err(format!("the cursor is not h_{t}"));
            }
            stored.push(t);
            stored.sort_unstable();
            stores += 1.0;
        }
        "bptt.free" => {
            let t = a[0] as u64;
            let Some(i) = stored.iter().position(|x| *x == t) else {
                return Err(format!("h_{t} is not stored"));
            };
            stored.remove(i);
            if cursor == Some(t) {
                cursor = None;
            }
        }
        "bptt.backward" => {
            let t = a[0] as u64;
            if t != next_b || t == 0 || !available(t, &stored, cursor) {
                return Err(format!("backward {t}: out of order or h_{t} missing"));
            }
            bwd += 1.0;
            next_b = t - 1;
            if cursor == Some(t) {
                cursor = None;
            }
        }
        op => return Err(format!("unknown op {op}")),
    }
    let extra = matches!(cursor, Some(c) if c != 0 && !stored.contains(&c));
    let memory = stored.len() as f64 + f64::from(u8::from(extra));
    peak = peak.max(memory);
    Ok(vec![
        Tensor::vector(&stored.iter().map(|t| *t as f64).collect::<Vec<_>>()),
        Tensor::vector(&[
            cursor.map_or(-1.0, |c| c as f64),
            next_b as f64,
            fwd,
            bwd,
            stores,
            memory,
            peak,
        ]),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::schedule::{Schedule, count, trace};
    use super::*;
    use crate::compute::trace::replay;

    #[test]
    fn every_schedule_replays_at_several_lengths() {
        for t in [1, 2, 7, 16, 64] {
            for s in Schedule::ALL {
                for slots in [2, 3, 5] {
                    let slots = s.slots_needed(t, slots);
                    let frames = trace(s, t, slots).unwrap();
                    let tr = to_common(&frames, t);
                    replay(&tr).unwrap_or_else(|e| panic!("{s:?} T={t} M={slots}: {e}"));
                    let c = count(s, t, slots).unwrap();
                    let end = tr.steps.last().unwrap().output("state").unwrap();
                    assert_eq!(end.data[2], c.forward_steps as f64);
                    assert_eq!(end.data[6], c.peak_memory as f64);
                    assert_eq!(
                        tr.steps
                            .iter()
                            .filter(|s| s.phase == Phase::Backward)
                            .count() as u64,
                        t
                    );
                }
            }
        }
    }

    #[test]
    fn an_illegal_action_fails_replay() {
        let frames = trace(Schedule::Recursive, 8, 4).unwrap();
        let mut tr = to_common(&frames, 8);
        // Backward at the wrong step.
        let k = tr.backward_start().unwrap();
        tr.steps[k].inputs[2].value.data[0] = 3.0;
        assert!(replay(&tr).is_err());
    }
}
