//! Problem 4(b)'s trace: the running layer forward through time (δ_t, μ_t,
//! v_t, ŷ_t, y_t, one step per time step), then the exact backward in reverse
//! time, each step showing the two carries ∂L/∂μ_t and ∂L/∂v_t that reach it
//! from the future beside the stop-gradient value of the same ∂L/∂h_t.
//!
//! The recorder calls the same per-feature kernels as [`super::running_forward`]
//! and [`super::running_backward_exact`] in the same order, so the trace's
//! results are those functions' (tested), and those are checked against
//! central differences in the module's own tests.

use super::Inputs;
use crate::compute::trace::{Phase, Step, Tensor, Trace, need};

fn vs(a: &[f64]) -> Tensor {
    Tensor::vector(a)
}

const FORWARD_LATEX: &str = r"\delta_t = h_t - \mu_{t-1}, \quad \mu_t = \mu_{t-1} + \alpha_t \delta_t \\ v_t = (1 - \alpha_t)(v_{t-1} + \alpha_t \delta_t^2) \\ \hat y_t = \frac{h_t - \mu_t}{\sqrt{v_t + \epsilon}}, \quad y_t = \gamma \hat y_t + \beta";

const BACKWARD_LATEX: &str = r"\bar v_t = \bar v_{t+1 \to t} - \tfrac{1}{2} \gamma g_t (h_t - \mu_t) s_t^3, \quad \bar\mu_t = \bar\mu_{t+1 \to t} - \gamma g_t s_t \\ \bar h_t = \gamma g_t s_t + \alpha_t \bar\mu_t + 2 \alpha_t (1 - \alpha_t) \delta_t \bar v_t \\ \bar\mu_{t \to t-1} = \bar\mu_t - \alpha_t \bar\mu_t - 2\alpha_t(1-\alpha_t)\delta_t \bar v_t, \quad \bar v_{t \to t-1} = (1 - \alpha_t) \bar v_t";

/// One forward time step for all features (the kernel of `update`).
fn forward_step(
    h: &[f64],
    mu_prev: &[f64],
    v_prev: &[f64],
    alpha: f64,
    gamma: &[f64],
    beta: &[f64],
    eps: f64,
) -> [Vec<f64>; 5] {
    let k = h.len();
    let mut out: [Vec<f64>; 5] = std::array::from_fn(|_| vec![0.0; k]);
    for j in 0..k {
        let delta = h[j] - mu_prev[j];
        let mu = mu_prev[j] + alpha * delta;
        let var = (1.0 - alpha) * (v_prev[j] + alpha * delta * delta);
        let yhat = (h[j] - mu) / (var + eps).sqrt();
        out[0][j] = delta;
        out[1][j] = mu;
        out[2][j] = var;
        out[3][j] = yhat;
        out[4][j] = gamma[j] * yhat + beta[j];
    }
    out
}

/// One backward time step for all features: returns (∂L/∂v_t, ∂L/∂μ_t,
/// ∂L/∂h_t, stop-gradient ∂L/∂h_t, μ̄ carry to t−1, v̄ carry to t−1).
#[allow(clippy::too_many_arguments)]
fn backward_step(
    g: &[f64],
    gamma: &[f64],
    var: &[f64],
    delta: &[f64],
    alpha: f64,
    eps: f64,
    mu_in: &[f64],
    v_in: &[f64],
) -> [Vec<f64>; 6] {
    let k = g.len();
    let mut out: [Vec<f64>; 6] = std::array::from_fn(|_| vec![0.0; k]);
    let a = alpha;
    for j in 0..k {
        let s = 1.0 / (var[j] + eps).sqrt();
        let d = (1.0 - a) * delta[j];
        let yhat_bar = gamma[j] * g[j];
        let vb = v_in[j] - 0.5 * yhat_bar * d * s * s * s;
        let d_bar = yhat_bar * s;
        let mb = mu_in[j] - d_bar;
        let delta_bar = a * mb + 2.0 * a * (1.0 - a) * delta[j] * vb;
        out[0][j] = vb;
        out[1][j] = mb;
        out[2][j] = d_bar + delta_bar;
        out[3][j] = d_bar;
        out[4][j] = mb - delta_bar;
        out[5][j] = (1.0 - a) * vb;
    }
    out
}

/// Record the running layer's forward and exact backward on `inp`.
pub fn record(inp: &Inputs) -> Trace {
    let (tt, _) = inp.h.dim();
    let mut tr = Trace::new("seqnorm");
    let gamma = inp.gamma.to_vec();
    let beta = inp.beta.to_vec();
    let mut fwd_steps = Vec::with_capacity(tt);
    for i in 0..tt {
        let t = i + 1;
        let alpha = inp.rate.at(t);
        let h = inp.h.row(i).to_vec();
        let (mu_prev, v_prev) = match fwd_steps.last() {
            Some(&k) => {
                let st: &Step = &tr.steps[k];
                (
                    st.output("μ_t").map(|x| x.data.clone()).unwrap_or_default(),
                    st.output("v_t").map(|x| x.data.clone()).unwrap_or_default(),
                )
            }
            None => (inp.mu0.to_vec(), inp.v0.to_vec()),
        };
        let [delta, mu, var, yhat, y] =
            forward_step(&h, &mu_prev, &v_prev, alpha, &gamma, &beta, inp.eps);
        let b = tr.step(
            Phase::Forward,
            "seqnorm.forward",
            format!("t = {t}: running statistics and output"),
            FORWARD_LATEX,
        );
        let b = match fwd_steps.last() {
            Some(&k) => b.read_as("μ_{t−1}", k, "μ_t").read_as("v_{t−1}", k, "v_t"),
            None => b
                .given("μ_{t−1}", vs(&mu_prev))
                .given("v_{t−1}", vs(&v_prev)),
        };
        let idx = b
            .given("h_t", vs(&h))
            .given("α_t", Tensor::scalar(alpha))
            .given("γ", vs(&gamma))
            .given("β", vs(&beta))
            .given("ε", Tensor::scalar(inp.eps))
            .out("δ_t", vs(&delta))
            .out("μ_t", vs(&mu))
            .out("v_t", vs(&var))
            .out("ŷ_t", vs(&yhat))
            .out("y_t", vs(&y))
            .note(if t == 1 {
                "μ_0, v_0: the initial running statistics".to_string()
            } else {
                format!("uses only h_1..h_{t}: y_{t} is ready when h_{t} is")
            })
            .push();
        fwd_steps.push(idx);
    }
    let k = inp.k();
    let mut prev: Option<usize> = None;
    for i in (0..tt).rev() {
        let t = i + 1;
        let f = fwd_steps[i];
        let alpha = inp.rate.at(t);
        let g = inp.g.row(i).to_vec();
        let (mu_in, v_in) = match prev {
            Some(p) => (
                tr.steps[p]
                    .output("μ̄ carry")
                    .map(|x| x.data.clone())
                    .unwrap_or_default(),
                tr.steps[p]
                    .output("v̄ carry")
                    .map(|x| x.data.clone())
                    .unwrap_or_default(),
            ),
            None => (vec![0.0; k], vec![0.0; k]),
        };
        let var = tr.steps[f]
            .output("v_t")
            .map(|x| x.data.clone())
            .unwrap_or_default();
        let delta = tr.steps[f]
            .output("δ_t")
            .map(|x| x.data.clone())
            .unwrap_or_default();
        let [vb, mb, dh, stop, mu_out, v_out] =
            backward_step(&g, &gamma, &var, &delta, alpha, inp.eps, &mu_in, &v_in);
        let b = tr.step(
            Phase::Backward,
            "seqnorm.backward",
            if t == tt {
                format!("t = {t} = T: exact gradient, no later step")
            } else {
                format!("t = {t}: exact gradient, carries from t = {}", t + 1)
            },
            BACKWARD_LATEX,
        );
        let b = match prev {
            Some(p) => b
                .read_as("μ̄ from t+1", p, "μ̄ carry")
                .read_as("v̄ from t+1", p, "v̄ carry"),
            None => b
                .given("μ̄ from t+1", vs(&mu_in))
                .given("v̄ from t+1", vs(&v_in)),
        };
        let diff = dh
            .iter()
            .zip(&stop)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f64, f64::max);
        let idx = b
            .given("g_t", vs(&g))
            .given("γ", vs(&gamma))
            .read("v_t", f)
            .read("δ_t", f)
            .given("α_t", Tensor::scalar(alpha))
            .given("ε", Tensor::scalar(inp.eps))
            .out("∂L/∂v_t", vs(&vb))
            .out("∂L/∂μ_t", vs(&mb))
            .out("∂L/∂h_t", vs(&dh))
            .out("stop-grad ∂L/∂h_t", vs(&stop))
            .out("μ̄ carry", vs(&mu_out))
            .out("v̄ carry", vs(&v_out))
            .note(if t == tt {
                format!(
                    "both carries start at 0, yet exact and stop-grad differ by up to {diff:.3}: μ_T and v_T depend on h_T"
                )
            } else {
                format!(
                    "exact and stop-grad differ by up to {diff:.3}: through μ_{t}, v_{t} and the carries from t = {}..T",
                    t + 1
                )
            })
            .push();
        prev = Some(idx);
    }
    tr
}

/// Recompute a `seqnorm.*` step from its recorded inputs.
pub fn recompute(s: &Step) -> Result<Vec<Tensor>, String> {
    let d = |name: &str| need(s, name).map(|t| t.data.clone());
    let sc = |name: &str| need(s, name).map(Tensor::as_scalar);
    match s.op.as_str() {
        "seqnorm.forward" => {
            let out = forward_step(
                &d("h_t")?,
                &d("μ_{t−1}")?,
                &d("v_{t−1}")?,
                sc("α_t")?,
                &d("γ")?,
                &d("β")?,
                sc("ε")?,
            );
            Ok(out.iter().map(|x| vs(x)).collect())
        }
        "seqnorm.backward" => {
            let out = backward_step(
                &d("g_t")?,
                &d("γ")?,
                &d("v_t")?,
                &d("δ_t")?,
                sc("α_t")?,
                sc("ε")?,
                &d("μ̄ from t+1")?,
                &d("v̄ from t+1")?,
            );
            Ok(out.iter().map(|x| vs(x)).collect())
        }
        op => Err(format!("unknown op {op}")),
    }
}

/// ∂L/∂h as the trace computed it, `[T][K]` (the backward steps run in
/// reverse time), for comparing with the plain backward.
pub fn dh(trace: &Trace, t: usize, k: usize) -> ndarray::Array2<f64> {
    let mut out = ndarray::Array2::zeros((t, k));
    let back: Vec<&Step> = trace
        .steps
        .iter()
        .filter(|s| s.phase == Phase::Backward)
        .collect();
    for (n, st) in back.iter().enumerate() {
        let i = t - 1 - n;
        if let Some(x) = st.output("∂L/∂h_t") {
            out.row_mut(i)
                .assign(&ndarray::ArrayView1::from(&x.data[..]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{
        Inputs, Rate, running_backward_exact, running_backward_stop_grad, running_forward,
    };
    use super::*;
    use crate::compute::trace::replay;

    #[test]
    fn replays_and_matches_the_plain_backward_at_several_sizes() {
        for (t, k, rate) in [
            (1, 1, Rate::Ema { alpha: 0.25 }),
            (8, 3, Rate::Ema { alpha: 0.25 }),
            (13, 2, Rate::Cumulative),
            (64, 16, Rate::Ema { alpha: 0.9 }),
        ] {
            let inp = Inputs::seeded(4, t, k, 1e-5, rate);
            let tr = record(&inp);
            let r = replay(&tr).unwrap_or_else(|e| panic!("T={t} K={k}: {e}"));
            assert_eq!(r.steps, 2 * t);
            assert_eq!(tr.backward_start(), Some(t));
            let fwd = running_forward(&inp);
            let exact = running_backward_exact(&fwd, &inp.gamma, &inp.g, inp.eps);
            assert_eq!(dh(&tr, t, k), exact.grads.dh, "T={t} K={k}");
            // The last backward step's carries are ∂L/∂μ_0 and ∂L/∂v_0.
            let last = tr.steps.last().unwrap();
            assert_eq!(last.output("μ̄ carry").unwrap().data, exact.dmu0.to_vec());
            assert_eq!(last.output("v̄ carry").unwrap().data, exact.dv0.to_vec());
            let stop = running_backward_stop_grad(&fwd, &inp.gamma, &inp.g, inp.eps);
            for (n, st) in tr.steps[t..].iter().enumerate() {
                let i = t - 1 - n;
                let rec = &st.output("stop-grad ∂L/∂h_t").unwrap().data;
                for (a, b) in rec.iter().zip(stop.grads.dh.row(i)) {
                    assert!((a - b).abs() < 1e-12, "T={t} step {i}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn forward_values_are_the_running_forward() {
        let inp = Inputs::seeded(2, 8, 3, 1e-5, Rate::Ema { alpha: 0.25 });
        let tr = record(&inp);
        let fwd = running_forward(&inp);
        for i in 0..8 {
            assert_eq!(
                tr.steps[i].output("y_t").unwrap().data,
                fwd.y.row(i).to_vec()
            );
            assert_eq!(
                tr.steps[i].output("μ_t").unwrap().data,
                fwd.mu.row(i).to_vec()
            );
        }
    }

    #[test]
    fn a_broken_carry_fails_replay() {
        let inp = Inputs::seeded(2, 5, 2, 1e-5, Rate::Cumulative);
        let mut tr = record(&inp);
        // The carry into t = 3 no longer is what t = 4 sent.
        tr.steps[7].inputs[0].value.data[0] += 0.5;
        let e = replay(&tr).unwrap_err();
        assert!(e.contains("step 7") && e.contains("not step 6"), "{e}");
    }
}
