//! Problem 2's trace: one Linear → BN → activation block, forward (z, μ, σ²,
//! ẑ, u, act(u), the loss) and backward (the upstream gradient, act′(u), the
//! gradient through it, BN's parameters, BN's three terms, the linear layer).
//!
//! The loss is L = Σ r ⊙ act(u) for a fixed random r, as in the BN gradient
//! check (a plain Σ would make every BN gradient vanish). The recorder is its
//! own short computation, only run when a trace is asked for; its results are
//! tested against [`super::batchnorm`]'s backward and against central
//! differences of the whole block.

use ndarray::{Array1, Array2, Axis};

use super::batchnorm::EPS;
use super::functions::{ALL, Act};
use crate::compute::rng;
use crate::compute::trace::{Phase, Step, Tensor, Trace, need};

/// The block's rows N, inputs D and features F in the panel and the CLI's
/// trace: small enough that every value fits on screen.
pub const DEFAULT_N: usize = 8;
pub const DEFAULT_D: usize = 3;
pub const DEFAULT_F: usize = 3;
/// Largest sizes a trace is recorded at (the tests' largest).
pub const MAX_N: usize = 512;
pub const MAX_DF: usize = 128;

/// One block's sizes and knobs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockSpec {
    pub n: usize,
    pub d: usize,
    pub f: usize,
    pub gamma: f64,
    pub beta: f64,
    pub shift: f64,
    pub act: Act,
    pub seed: u64,
}

impl BlockSpec {
    /// The default sizes with these knobs (the panel's block).
    pub fn small(act: Act, gamma: f64, beta: f64, shift: f64, seed: u64) -> BlockSpec {
        BlockSpec {
            n: DEFAULT_N,
            d: DEFAULT_D,
            f: DEFAULT_F,
            gamma,
            beta,
            shift,
            act,
            seed,
        }
    }
}

/// The block's seeded inputs: X [N][D] ~ N(0, 1), W [F][D] ~ N(0, 1/D), and
/// r [N][F] ~ N(0, 1), the upstream gradient ∂L/∂a.
pub struct BlockInputs {
    pub x: Array2<f64>,
    pub w: Array2<f64>,
    pub r: Array2<f64>,
}

pub fn inputs(s: &BlockSpec) -> BlockInputs {
    let mut g = rng::seeded(s.seed ^ 0x7_2ACE);
    let x = rng::normal(&mut g, (s.n, s.d), 1.0);
    let w = rng::normal(&mut g, (s.f, s.d), 1.0 / (s.d as f64).sqrt());
    let r = rng::normal(&mut g, (s.n, s.f), 1.0);
    BlockInputs { x, w, r }
}

/// The op key of an activation (`bn.act.<key>`, `bn.act_grad.<key>`).
pub fn act_key(a: Act) -> &'static str {
    match a {
        Act::MinZero => "min_zero",
        Act::Scaled => "scaled",
        Act::ShiftedRelu => "shifted_relu",
        Act::Sigmoid => "sigmoid",
        Act::Sign => "sign",
    }
}

fn act_of(key: &str) -> Result<Act, String> {
    ALL.into_iter()
        .find(|&a| act_key(a) == key)
        .ok_or_else(|| format!("unknown activation {key}"))
}

fn act_latex(a: Act) -> &'static str {
    match a {
        Act::MinZero => r"a = \min(0, u)",
        Act::Scaled => r"a = u / \sqrt{2}",
        Act::ShiftedRelu => r"a = \max(0, u - c)",
        Act::Sigmoid => r"a = \frac{e^u}{e^u + 1}",
        Act::Sign => r"a = \operatorname{sign}(u)",
    }
}

fn act_grad_latex(a: Act) -> &'static str {
    match a {
        Act::MinZero => r"\operatorname{act}'(u) = [u < 0]",
        Act::Scaled => r"\operatorname{act}'(u) = 1 / \sqrt{2}",
        Act::ShiftedRelu => r"\operatorname{act}'(u) = [u > c]",
        Act::Sigmoid => r"\operatorname{act}'(u) = \sigma(u)(1 - \sigma(u))",
        Act::Sign => r"\operatorname{act}'(u) = 0",
    }
}

fn m(a: &Array2<f64>) -> Tensor {
    Tensor::from_array(a)
}

fn v(a: &Array1<f64>) -> Tensor {
    Tensor::from_array(a)
}

fn zeros_of(a: &Array2<f64>) -> usize {
    a.iter().filter(|x| **x == 0.0).count()
}

/// Record the block's forward and backward at `s`.
pub fn record(s: &BlockSpec) -> Trace {
    let BlockInputs { x, w, r } = inputs(s);
    let n = s.n as f64;
    let gamma = Array1::from_elem(s.f, s.gamma);
    let beta = Array1::from_elem(s.f, s.beta);
    let mut t = Trace::new(super::NAME);
    let fw = Phase::Forward;
    let bw = Phase::Backward;

    let z = x.dot(&w.t());
    let s_z = t
        .step(fw, "bn.linear", "linear layer z", r"z = X W^\top")
        .given("X", m(&x))
        .given("W", m(&w))
        .out("z", m(&z))
        .note("no bias: BN's β replaces it (a bias would be subtracted with μ)")
        .push();
    let mu = z.sum_axis(Axis(0)) / n;
    let s_mu = t
        .step(
            fw,
            "bn.mean",
            "batch mean μ",
            r"\mu_j = \frac{1}{N} \sum_i z_{ij}",
        )
        .read("z", s_z)
        .out("μ", v(&mu))
        .push();
    let centered = &z - &mu;
    let var = centered.mapv(|c| c * c).sum_axis(Axis(0)) / n;
    let s_var = t
        .step(
            fw,
            "bn.var",
            "batch variance σ²",
            r"\sigma_j^2 = \frac{1}{N} \sum_i (z_{ij} - \mu_j)^2",
        )
        .read("z", s_z)
        .read("μ", s_mu)
        .out("σ²", v(&var))
        .note("biased (1/N), as batch norm uses in training")
        .push();
    let inv_std = var.mapv(|q| 1.0 / (q + EPS).sqrt());
    let zhat = &centered * &inv_std;
    let s_zhat = t
        .step(
            fw,
            "bn.normalize",
            "normalised ẑ",
            r"\hat z_{ij} = \frac{z_{ij} - \mu_j}{\sqrt{\sigma_j^2 + \epsilon}}",
        )
        .read("z", s_z)
        .read("μ", s_mu)
        .read("σ²", s_var)
        .given("ε", Tensor::scalar(EPS))
        .out("ẑ", m(&zhat))
        .note(format!(
            "|ẑ| ≤ √(N−1) = {:.3}: no entry can be larger",
            (n - 1.0).sqrt()
        ))
        .push();
    let u = &zhat * &gamma + &beta;
    let s_u = t
        .step(
            fw,
            "bn.affine",
            "BN output u",
            r"u_{ij} = \gamma_j \hat z_{ij} + \beta_j",
        )
        .read("ẑ", s_zhat)
        .given("γ", v(&gamma))
        .given("β", v(&beta))
        .out("u", m(&u))
        .push();
    let a = u.mapv(|q| s.act.apply(q, s.shift));
    let key = act_key(s.act);
    let s_a = t
        .step(
            fw,
            &format!("bn.act.{key}"),
            format!("activation {}", s.act.name(s.shift)),
            act_latex(s.act),
        )
        .read("u", s_u)
        .given("c", Tensor::scalar(s.shift))
        .out("a", m(&a))
        .push();
    let loss = (&a * &r).sum();
    t.step(fw, "bn.loss", "loss L", r"L = \sum_{ij} r_{ij} a_{ij}")
        .read("a", s_a)
        .given("r", m(&r))
        .out("L", Tensor::scalar(loss))
        .note("r is a fixed random upstream gradient")
        .push();

    // Backward.
    let s_da = t
        .step(
            bw,
            "bn.upstream",
            "upstream gradient ∂L/∂a",
            r"\frac{\partial L}{\partial a_{ij}} = r_{ij}",
        )
        .given("r", m(&r))
        .out("∂L/∂a", m(&r))
        .push();
    let dact = u.mapv(|q| s.act.derivative(q, s.shift));
    let zero = zeros_of(&dact);
    let total = dact.len();
    let note = match (zero, s.act) {
        (_, Act::Sign) => {
            "sign′ = 0 everywhere (a step function): nothing below gets gradient".to_string()
        }
        (z, _) if z == total => {
            format!("act′(u) = 0 at all {total} entries: nothing below this block gets gradient")
        }
        (z, _) => format!("act′(u) = 0 at {z} of {total} entries"),
    };
    let s_dact = t
        .step(
            bw,
            &format!("bn.act_grad.{key}"),
            "local slope act′(u)",
            act_grad_latex(s.act),
        )
        .read("u", s_u)
        .given("c", Tensor::scalar(s.shift))
        .out("act′(u)", m(&dact))
        .note(note)
        .push();
    let du = &r * &dact;
    let du_zero = zeros_of(&du);
    let s_du = t
        .step(
            bw,
            "bn.through_act",
            "gradient through the activation ∂L/∂u",
            r"\frac{\partial L}{\partial u_{ij}} = \frac{\partial L}{\partial a_{ij}} \operatorname{act}'(u_{ij})",
        )
        .read("∂L/∂a", s_da)
        .read("act′(u)", s_dact)
        .out("∂L/∂u", m(&du))
        .note(if du_zero == du.len() {
            "all zero, so ∂L/∂γ, ∂L/∂β, ∂L/∂z, ∂L/∂W and ∂L/∂X below are exactly 0".to_string()
        } else {
            format!("zero at {du_zero} of {} entries", du.len())
        })
        .push();
    let dgamma = (&du * &zhat).sum_axis(Axis(0));
    let dbeta = du.sum_axis(Axis(0));
    t.step(
        bw,
        "bn.param_grads",
        "BN parameters ∂L/∂γ, ∂L/∂β",
        r"\frac{\partial L}{\partial \gamma_j} = \sum_i \frac{\partial L}{\partial u_{ij}} \hat z_{ij}, \quad \frac{\partial L}{\partial \beta_j} = \sum_i \frac{\partial L}{\partial u_{ij}}",
    )
    .read("∂L/∂u", s_du)
    .read("ẑ", s_zhat)
    .out("∂L/∂γ", v(&dgamma))
    .out("∂L/∂β", v(&dbeta))
    .push();
    let dzhat = &du * &gamma;
    let s_dzhat = t
        .step(
            bw,
            "bn.dxhat",
            "gradient at ẑ",
            r"\frac{\partial L}{\partial \hat z_{ij}} = \gamma_j \frac{\partial L}{\partial u_{ij}}",
        )
        .read("∂L/∂u", s_du)
        .given("γ", v(&gamma))
        .out("∂L/∂ẑ", m(&dzhat))
        .push();
    let direct = &dzhat * n;
    let s_direct = t
        .step(
            bw,
            "bn.term_direct",
            "BN term 1: straight through ẑ",
            r"T_1 = N \frac{\partial L}{\partial \hat z_{ij}}",
        )
        .read("∂L/∂ẑ", s_dzhat)
        .given("N", Tensor::scalar(n))
        .out("T₁", m(&direct))
        .push();
    let via_mu = dzhat.sum_axis(Axis(0));
    let s_mu_term = t
        .step(
            bw,
            "bn.term_mean",
            "BN term 2: through the mean μ",
            r"T_2 = \sum_k \frac{\partial L}{\partial \hat z_{kj}}",
        )
        .read("∂L/∂ẑ", s_dzhat)
        .out("T₂", v(&via_mu))
        .note("every row moves μ, so every row's gradient reaches every z")
        .push();
    let via_var = &zhat * &(&dzhat * &zhat).sum_axis(Axis(0));
    let s_var_term = t
        .step(
            bw,
            "bn.term_var",
            "BN term 3: through the variance σ²",
            r"T_3 = \hat z_{ij} \sum_k \frac{\partial L}{\partial \hat z_{kj}} \hat z_{kj}",
        )
        .read("∂L/∂ẑ", s_dzhat)
        .read("ẑ", s_zhat)
        .out("T₃", m(&via_var))
        .push();
    let dz = (&direct - &via_mu - &via_var) * &(&inv_std / n);
    let s_dz = t
        .step(
            bw,
            "bn.dz",
            "gradient at z: the three terms",
            r"\frac{\partial L}{\partial z_{ij}} = \frac{T_1 - T_2 - T_3}{N \sqrt{\sigma_j^2 + \epsilon}}",
        )
        .read("T₁", s_direct)
        .read("T₂", s_mu_term)
        .read("T₃", s_var_term)
        .read("σ²", s_var)
        .given("ε", Tensor::scalar(EPS))
        .given("N", Tensor::scalar(n))
        .out("∂L/∂z", m(&dz))
        .note("each column sums to 0: BN ignores a shift of z")
        .push();
    let dw = dz.t().dot(&x);
    let dx = dz.dot(&w);
    t.step(
        bw,
        "bn.linear_back",
        "linear layer ∂L/∂W, ∂L/∂X",
        r"\frac{\partial L}{\partial W} = \left(\frac{\partial L}{\partial z}\right)^\top X, \quad \frac{\partial L}{\partial X} = \frac{\partial L}{\partial z} W",
    )
    .read("∂L/∂z", s_dz)
    .given("X", m(&x))
    .given("W", m(&w))
    .out("∂L/∂W", m(&dw))
    .out("∂L/∂X", m(&dx))
    .push();
    t
}

/// Recompute a `bn.*` step from its recorded inputs, with plain loops (not
/// the recorder's ndarray expressions).
pub fn recompute(s: &Step) -> Result<Vec<Tensor>, String> {
    let mat = |name: &str| need(s, name).map(Tensor::matrix);
    let scalar = |name: &str| need(s, name).map(Tensor::as_scalar);
    let vecv = |name: &str| need(s, name).map(|t| t.data.clone());
    let op = s.op.as_str();
    let map = |a: Array2<f64>, f: &dyn Fn(f64) -> f64| Tensor::from_array(&a.mapv(f));
    // Column sums of an N×F matrix.
    let col_sum = |a: &Array2<f64>| {
        let mut out = vec![0.0; a.ncols()];
        for row in a.rows() {
            for (o, x) in out.iter_mut().zip(row) {
                *o += x;
            }
        }
        out
    };
    let out = match op {
        "bn.linear" => {
            let (x, w) = (mat("X")?, mat("W")?);
            let mut z = Array2::zeros((x.nrows(), w.nrows()));
            for ((i, j), o) in z.indexed_iter_mut() {
                *o = (0..x.ncols()).map(|k| x[[i, k]] * w[[j, k]]).sum();
            }
            vec![Tensor::from_array(&z)]
        }
        "bn.mean" => {
            let z = mat("z")?;
            let n = z.nrows() as f64;
            vec![Tensor::vector(
                &col_sum(&z).iter().map(|c| c / n).collect::<Vec<_>>(),
            )]
        }
        "bn.var" => {
            let (z, mu) = (mat("z")?, vecv("μ")?);
            let n = z.nrows() as f64;
            let sq = Array2::from_shape_fn(z.dim(), |(i, j)| (z[[i, j]] - mu[j]).powi(2));
            vec![Tensor::vector(
                &col_sum(&sq).iter().map(|c| c / n).collect::<Vec<_>>(),
            )]
        }
        "bn.normalize" => {
            let (z, mu, var, eps) = (mat("z")?, vecv("μ")?, vecv("σ²")?, scalar("ε")?);
            vec![Tensor::from_array(&Array2::from_shape_fn(
                z.dim(),
                |(i, j)| (z[[i, j]] - mu[j]) / (var[j] + eps).sqrt(),
            ))]
        }
        "bn.affine" => {
            let (zh, g, b) = (mat("ẑ")?, vecv("γ")?, vecv("β")?);
            vec![Tensor::from_array(&Array2::from_shape_fn(
                zh.dim(),
                |(i, j)| g[j] * zh[[i, j]] + b[j],
            ))]
        }
        "bn.loss" => {
            let (a, r) = (mat("a")?, mat("r")?);
            vec![Tensor::scalar(
                a.iter().zip(r.iter()).map(|(x, y)| x * y).sum(),
            )]
        }
        "bn.upstream" => vec![need(s, "r")?.clone()],
        "bn.through_act" => {
            let (da, d) = (mat("∂L/∂a")?, mat("act′(u)")?);
            vec![Tensor::from_array(&(&da * &d))]
        }
        "bn.param_grads" => {
            let (du, zh) = (mat("∂L/∂u")?, mat("ẑ")?);
            vec![
                Tensor::vector(&col_sum(&(&du * &zh))),
                Tensor::vector(&col_sum(&du)),
            ]
        }
        "bn.dxhat" => {
            let (du, g) = (mat("∂L/∂u")?, vecv("γ")?);
            vec![Tensor::from_array(&Array2::from_shape_fn(
                du.dim(),
                |(i, j)| g[j] * du[[i, j]],
            ))]
        }
        "bn.term_direct" => {
            let n = scalar("N")?;
            vec![map(mat("∂L/∂ẑ")?, &|x| n * x)]
        }
        "bn.term_mean" => vec![Tensor::vector(&col_sum(&mat("∂L/∂ẑ")?))],
        "bn.term_var" => {
            let (d, zh) = (mat("∂L/∂ẑ")?, mat("ẑ")?);
            let s = col_sum(&(&d * &zh));
            vec![Tensor::from_array(&Array2::from_shape_fn(
                zh.dim(),
                |(i, j)| zh[[i, j]] * s[j],
            ))]
        }
        "bn.dz" => {
            let (t1, t2, t3) = (mat("T₁")?, vecv("T₂")?, mat("T₃")?);
            let (var, eps, n) = (vecv("σ²")?, scalar("ε")?, scalar("N")?);
            vec![Tensor::from_array(&Array2::from_shape_fn(
                t1.dim(),
                |(i, j)| (t1[[i, j]] - t2[j] - t3[[i, j]]) / (n * (var[j] + eps).sqrt()),
            ))]
        }
        "bn.linear_back" => {
            let (dz, x, w) = (mat("∂L/∂z")?, mat("X")?, mat("W")?);
            let dw = Array2::from_shape_fn(w.dim(), |(j, k)| {
                (0..x.nrows()).map(|i| dz[[i, j]] * x[[i, k]]).sum()
            });
            let dx = Array2::from_shape_fn(x.dim(), |(i, k)| {
                (0..w.nrows()).map(|j| dz[[i, j]] * w[[j, k]]).sum()
            });
            vec![Tensor::from_array(&dw), Tensor::from_array(&dx)]
        }
        _ => {
            let (kind, key) = op
                .strip_prefix("bn.act.")
                .map(|k| (true, k))
                .or_else(|| op.strip_prefix("bn.act_grad.").map(|k| (false, k)))
                .ok_or_else(|| format!("unknown op {op}"))?;
            let act = act_of(key)?;
            let c = scalar("c")?;
            let u = mat("u")?;
            if kind {
                vec![map(u, &|q| act.apply(q, c))]
            } else {
                vec![map(u, &|q| act.derivative(q, c))]
            }
        }
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::activations::batchnorm;
    use crate::compute::gradcheck;
    use crate::compute::trace::replay;

    fn spec(n: usize, d: usize, f: usize, act: Act, seed: u64) -> BlockSpec {
        BlockSpec {
            n,
            d,
            f,
            gamma: 1.3,
            beta: -0.2,
            shift: 0.3,
            act,
            seed,
        }
    }

    #[test]
    fn replays_at_several_sizes_for_every_activation() {
        for (n, d, f) in [(2, 1, 1), (8, 3, 3), (17, 5, 4), (64, 8, 16)] {
            for act in ALL {
                let t = record(&spec(n, d, f, act, 3));
                let r = replay(&t).unwrap_or_else(|e| panic!("{n}x{d}x{f} {act:?}: {e}"));
                assert_eq!(r.steps, 17);
                assert_eq!(t.backward_start(), Some(7));
            }
        }
    }

    #[test]
    fn bn_gradients_match_the_batchnorm_module() {
        let s = spec(9, 4, 3, Act::Sigmoid, 5);
        let t = record(&s);
        let BlockInputs { x, w, .. } = inputs(&s);
        let z = x.dot(&w.t());
        let g = Array1::from_elem(s.f, s.gamma);
        let b = Array1::from_elem(s.f, s.beta);
        let (_, cache) = batchnorm::forward(z.view(), g.view(), b.view(), EPS);
        let du = t.last_output("∂L/∂u").unwrap().matrix();
        let want = batchnorm::backward(du.view(), g.view(), &cache);
        let dz = t.last_output("∂L/∂z").unwrap().matrix();
        let diff = (&dz - &want.dx)
            .mapv(f64::abs)
            .fold(0.0f64, |a, &b| a.max(b));
        assert!(diff < 1e-12, "{diff}");
        assert_eq!(t.last_output("∂L/∂γ").unwrap().data, want.dgamma.to_vec());
    }

    /// The block's hand-written backward against central differences of L in
    /// W and X, for the smooth activations (the others are piecewise constant
    /// in slope and checked through the BN module above).
    #[test]
    fn block_backward_matches_finite_differences() {
        for act in [Act::Sigmoid, Act::Scaled] {
            let s = spec(6, 3, 2, act, 11);
            let t = record(&s);
            let BlockInputs { x, w, r } = inputs(&s);
            let loss = |x: &Array2<f64>, w: &Array2<f64>| {
                let z = x.dot(&w.t());
                let g = Array1::from_elem(s.f, s.gamma);
                let b = Array1::from_elem(s.f, s.beta);
                let (u, _) = batchnorm::forward(z.view(), g.view(), b.view(), EPS);
                (u.mapv(|q| act.apply(q, s.shift)) * &r).sum()
            };
            let dw = t.last_output("∂L/∂W").unwrap().data.clone();
            let mut flat: Vec<f64> = w.iter().copied().collect();
            let c = gradcheck::check(&mut flat, &dw, |v| {
                loss(&x, &Array2::from_shape_vec(w.dim(), v.to_vec()).unwrap())
            });
            assert!(c.max_rel_error < 1e-6, "{act:?} W: {c:?}");
            let dx = t.last_output("∂L/∂X").unwrap().data.clone();
            let mut flat: Vec<f64> = x.iter().copied().collect();
            let c = gradcheck::check(&mut flat, &dx, |v| {
                loss(&Array2::from_shape_vec(x.dim(), v.to_vec()).unwrap(), &w)
            });
            assert!(c.max_rel_error < 1e-6, "{act:?} X: {c:?}");
        }
    }

    #[test]
    fn midterm_shift_relu_passes_no_gradient() {
        // c = 10 with N = 8: |ẑ| ≤ √7 < 10, so act′(u) = 0 everywhere.
        let t = record(&BlockSpec::small(Act::ShiftedRelu, 1.0, 0.0, 10.0, 1));
        assert!(
            t.last_output("∂L/∂X")
                .unwrap()
                .data
                .iter()
                .all(|v| *v == 0.0)
        );
        let s = &t.steps[8];
        assert!(
            s.note.as_deref().unwrap().contains("all 24 entries"),
            "{:?}",
            s.note
        );
    }

    #[test]
    fn a_tampered_step_fails_replay() {
        let mut t = record(&spec(5, 2, 2, Act::MinZero, 2));
        t.steps[13].outputs[0].value.data[0] += 1e-6;
        assert!(replay(&t).unwrap_err().contains("step 13"));
    }
}
