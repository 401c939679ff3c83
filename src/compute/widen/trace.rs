//! Problem 3's trace: forward through the widened network layer by layer
//! (z = h W̃ᵀ, h = ReLU(z), y, the loss), then backward matrix by matrix
//! (∂L/∂W̃ = δᵀ h, then δ through W̃ and ReLU′), each weight-gradient step
//! noting which blocks of that W̃ got a non-zero gradient: under the
//! midterm's all-zero widening only the old→old blocks do, which is 3(a).
//!
//! The recorder uses the same products as [`super::forward`] and
//! [`super::backward`] (tested equal), which the module checks against
//! central differences.

use ndarray::Array2;

use super::{Block, Role, Widened, matrix_name, sub};
use crate::compute::trace::{Phase, Step, Tensor, Trace, need};

fn m(a: &Array2<f64>) -> Tensor {
    Tensor::from_array(a)
}

/// Which blocks of `g` (laid out as `blocks`) are not all zero, as
/// "old→old ● new→old · …".
pub fn block_summary(g: &Array2<f64>, blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(|b| {
            let live = sub(g, b.rows, b.cols).iter().any(|v| *v != 0.0);
            format!("{} {}", b.role.label(), if live { "●" } else { "·" })
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// Whether block `b` of `g` has a non-zero entry.
pub fn block_live(g: &Array2<f64>, b: &Block) -> bool {
    sub(g, b.rows, b.cols).iter().any(|v| *v != 0.0)
}

/// Whether any new block of `g` has a non-zero entry.
pub fn new_blocks_live(g: &Array2<f64>, blocks: &[Block]) -> bool {
    blocks
        .iter()
        .filter(|b| b.role != Role::OldToOld)
        .any(|b| sub(g, b.rows, b.cols).iter().any(|v| *v != 0.0))
}

fn relu_grad(z: f64, relu0: f64) -> f64 {
    if z > 0.0 {
        1.0
    } else if z == 0.0 {
        relu0
    } else {
        0.0
    }
}

/// Record the forward and backward of `wide` on the batch `x` with targets `t`.
pub fn record(wide: &Widened, x: &Array2<f64>, t: &Array2<f64>, relu0: f64) -> Trace {
    let ws = &wide.net.weights;
    let count = ws.len();
    let n = count - 1;
    let mut tr = Trace::new("widen");
    let fw = Phase::Forward;
    let bw = Phase::Backward;
    // Steps that produced z(l+1) and h(l+1) (h(0) = x is given).
    let mut z_steps = Vec::with_capacity(n);
    let mut h_steps: Vec<Option<usize>> = vec![None];
    let mut h = x.clone();
    for (l, w) in ws.iter().enumerate().take(n) {
        let name = matrix_name(l, count);
        let z = h.dot(&w.t());
        let b = tr.step(
            fw,
            "widen.linear",
            format!("layer {}: z({}) = h({l}) {name}ᵀ", l + 1, l + 1),
            r"z = h \tilde W^\top",
        );
        let b = match h_steps[l] {
            Some(k) => b.read("h", k),
            None => b.given("h", m(&h)),
        };
        let zi = b.given("W̃", m(w)).out("z", m(&z)).push();
        z_steps.push(zi);
        let hn = z.mapv(|v| v.max(0.0));
        let k2 = hn.ncols() / 2;
        let new_max = hn
            .columns()
            .into_iter()
            .skip(k2)
            .flatten()
            .fold(0.0f64, |a, v| a.max(v.abs()));
        let hi = tr
            .step(
                fw,
                "widen.relu",
                format!("layer {}: h({}) = ReLU(z({}))", l + 1, l + 1, l + 1),
                r"h = \max(0, z)",
            )
            .read("z", zi)
            .out("h", m(&hn))
            .note(if new_max == 0.0 {
                format!("new units {}..{}: all 0 on this batch", k2 + 1, 2 * k2)
            } else {
                format!("new units {}..{}: max |h| = {new_max:.3}", k2 + 1, 2 * k2)
            })
            .push();
        h_steps.push(Some(hi));
        h = hn;
    }
    let y = h.dot(&ws[n].t());
    let out_name = matrix_name(n, count);
    let yi = tr
        .step(
            fw,
            "widen.linear",
            format!("output: y = h({n}) {out_name}ᵀ"),
            r"y = h \tilde W^\top",
        )
        .read("h", h_steps[n].unwrap_or(0))
        .given("W̃", m(&ws[n]))
        .out("z", m(&y))
        .push();
    let b = y.nrows().max(1) as f64;
    let loss = y
        .iter()
        .zip(t.iter())
        .map(|(a, c)| (a - c).powi(2))
        .sum::<f64>()
        / (2.0 * b);
    tr.step(
        fw,
        "widen.loss",
        "loss L",
        r"L = \frac{1}{2B} \sum_b \lVert y_b - t_b \rVert^2",
    )
    .read_as("y", yi, "z")
    .given("t", m(t))
    .out("L", Tensor::scalar(loss))
    .push();

    let delta = (&y - t) / b;
    let mut di = tr
        .step(
            bw,
            "widen.dloss",
            "∂L/∂y",
            r"\delta = \frac{\partial L}{\partial y} = \frac{y - t}{B}",
        )
        .read_as("y", yi, "z")
        .given("t", m(t))
        .out("δ", m(&delta))
        .push();
    let mut delta = delta;
    for l in (0..count).rev() {
        let name = matrix_name(l, count);
        let h_l = match h_steps[l] {
            Some(k) => tr.steps[k].output("h").map(Tensor::matrix),
            None => Some(x.clone()),
        }
        .unwrap_or_else(|| x.clone());
        let g = delta.t().dot(&h_l);
        let blocks = &wide.blocks[l];
        let b = tr.step(
            bw,
            "widen.dweight",
            format!("∂L/∂{name}: which blocks get gradient"),
            r"\frac{\partial L}{\partial \tilde W} = \delta^\top h",
        );
        let b = b.read("δ", di);
        let b = match h_steps[l] {
            Some(k) => b.read("h", k),
            None => b.given("h", m(x)),
        };
        b.out("∂L/∂W̃", m(&g)).note(block_summary(&g, blocks)).push();
        if l == 0 {
            break;
        }
        let dh = delta.dot(&ws[l]);
        let z = &tr.steps[z_steps[l - 1]]
            .output("z")
            .map(Tensor::matrix)
            .unwrap_or_else(|| Array2::zeros(dh.dim()));
        let next =
            Array2::from_shape_fn(dh.dim(), |(i, j)| dh[[i, j]] * relu_grad(z[[i, j]], relu0));
        let k2 = next.ncols() / 2;
        let new_zero = next
            .columns()
            .into_iter()
            .skip(k2)
            .flatten()
            .all(|v| *v == 0.0);
        di = tr
            .step(
                bw,
                "widen.back",
                format!("through {name} and ReLU′ into layer {l}"),
                r"\frac{\partial L}{\partial h} = \delta \tilde W, \quad \delta' = \frac{\partial L}{\partial h} \odot \operatorname{ReLU}'(z)",
            )
            .read("δ", di)
            .given("W̃", m(&ws[l]))
            .read("z", z_steps[l - 1])
            .given("ReLU′(0)", Tensor::scalar(relu0))
            .out("∂L/∂h", m(&dh))
            .out("δ", m(&next))
            .note(if new_zero {
                format!("δ of new units {}..{}: all 0", k2 + 1, 2 * k2)
            } else {
                format!("δ of new units {}..{}: not all 0", k2 + 1, 2 * k2)
            })
            .push();
        delta = next;
    }
    tr
}

/// Recompute a `widen.*` step from its recorded inputs.
pub fn recompute(s: &Step) -> Result<Vec<Tensor>, String> {
    let mat = |name: &str| need(s, name).map(Tensor::matrix);
    // a · bᵀ with plain loops.
    let abt = |a: &Array2<f64>, b: &Array2<f64>| {
        Array2::from_shape_fn((a.nrows(), b.nrows()), |(i, j)| {
            (0..a.ncols()).map(|k| a[[i, k]] * b[[j, k]]).sum::<f64>()
        })
    };
    match s.op.as_str() {
        "widen.linear" => Ok(vec![m(&abt(&mat("h")?, &mat("W̃")?))]),
        "widen.relu" => Ok(vec![m(&mat("z")?.mapv(|v| v.max(0.0)))]),
        "widen.loss" => {
            let (y, t) = (mat("y")?, mat("t")?);
            let b = y.nrows().max(1) as f64;
            let sq: f64 = y.iter().zip(t.iter()).map(|(a, c)| (a - c) * (a - c)).sum();
            Ok(vec![Tensor::scalar(sq / (2.0 * b))])
        }
        "widen.dloss" => {
            let (y, t) = (mat("y")?, mat("t")?);
            let b = y.nrows().max(1) as f64;
            Ok(vec![m(&((&y - &t) / b))])
        }
        "widen.dweight" => {
            let (d, h) = (mat("δ")?, mat("h")?);
            Ok(vec![m(&abt(&d.t().to_owned(), &h.t().to_owned()))])
        }
        "widen.back" => {
            let (d, w, z) = (mat("δ")?, mat("W̃")?, mat("z")?);
            let r0 = need(s, "ReLU′(0)")?.as_scalar();
            let dh = abt(&d, &w.t().to_owned());
            let next =
                Array2::from_shape_fn(dh.dim(), |(i, j)| dh[[i, j]] * relu_grad(z[[i, j]], r0));
            Ok(vec![m(&dh), m(&next)])
        }
        op => Err(format!("unknown op {op}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Config, Setup, Strategy, backward, forward, views};
    use super::*;
    use crate::compute::trace::replay;

    fn run(cfg: &Config) -> (Trace, Widened, Setup) {
        let setup = Setup::new(cfg);
        let wide = setup.widen(cfg.strategy, cfg.noise);
        let tr = record(&wide, &setup.x, &setup.t, cfg.relu0);
        (tr, wide, setup)
    }

    #[test]
    fn replays_and_matches_the_backward_at_several_sizes() {
        for (depth, k, batch) in [(1, 1, 1), (3, 6, 8), (5, 16, 16), (2, 3, 5)] {
            for strategy in Strategy::ALL {
                for relu0 in [0.0, 1.0] {
                    let cfg = Config {
                        depth,
                        k,
                        batch,
                        strategy,
                        relu0,
                        ..Config::default()
                    };
                    let (tr, wide, setup) = run(&cfg);
                    replay(&tr).unwrap_or_else(|e| panic!("{cfg:?}: {e}"));
                    assert_eq!(tr.len(), 2 * depth + 2 + 1 + (depth + 1) + depth);
                    let ws = views(&wide.net);
                    let f = forward(&ws, setup.x.view(), setup.t.view());
                    let g = backward(&ws, &f, setup.t.view(), relu0);
                    let recorded: Vec<Array2<f64>> = tr
                        .steps
                        .iter()
                        .filter(|s| s.op == "widen.dweight")
                        .map(|s| s.output("∂L/∂W̃").unwrap().matrix())
                        .collect();
                    // Recorded from W(out) down to W(in).
                    for (l, rec) in recorded.iter().rev().enumerate() {
                        let d = (rec - &g.weights[l])
                            .mapv(f64::abs)
                            .fold(0.0f64, |a, &b| a.max(b));
                        assert!(d < 1e-12, "{cfg:?} matrix {l}: {d}");
                    }
                    assert_eq!(
                        tr.steps[2 * depth + 1].output("L").unwrap().as_scalar(),
                        f.loss
                    );
                }
            }
        }
    }

    /// 3(a): with every new block zero, only the old→old blocks get gradient.
    #[test]
    fn zero_widening_leaves_every_new_block_without_gradient() {
        let cfg = Config {
            strategy: Strategy::Zero,
            ..Config::default()
        };
        let (tr, wide, _) = run(&cfg);
        let mut seen = 0;
        for (s, blocks) in tr
            .steps
            .iter()
            .filter(|s| s.op == "widen.dweight")
            .zip(wide.blocks.iter().rev())
        {
            let g = s.output("∂L/∂W̃").unwrap().matrix();
            assert!(!new_blocks_live(&g, blocks), "{:?}", s.note);
            assert!(s.note.as_deref().unwrap().contains("old→old ●"));
            seen += 1;
        }
        assert_eq!(seen, cfg.depth + 1);
        let cfg = cfg.with_strategy(Strategy::RandomInZeroOut);
        let (tr, wide, _) = run(&cfg);
        let live = tr
            .steps
            .iter()
            .filter(|s| s.op == "widen.dweight")
            .zip(wide.blocks.iter().rev())
            .any(|(s, b)| new_blocks_live(&s.output("∂L/∂W̃").unwrap().matrix(), b));
        assert!(live, "random-in zero-out gives some new block gradient");
    }
}
