//! The figures Problem 3's derivation quotes, made from the model in
//! [`super`].

use super::*;

/// Figures the Problem 3 solution quotes, for the default config: per strategy
/// the output change and the gradient norms of the new blocks right after
/// widening. (The finite-difference check, a few hundred forward passes, is
/// too slow for a fact: the content states its bound and a test ties it.)
pub fn facts(out: &mut Facts) {
    let cfg = Config::default();
    let setup = Setup::new(&cfg);
    let (x, t) = (setup.x.view(), setup.t.view());
    let mut put = |k: &str, v: String| {
        out.insert(format!("p3.{k}"), v);
    };
    put("c", cfg.c.to_string());
    put("k", cfg.k.to_string());
    put("k2", (2 * cfg.k).to_string());
    put("d", cfg.d.to_string());
    put("depth", cfg.depth.to_string());
    put("batch", cfg.batch.to_string());
    put("seed", cfg.seed.to_string());
    put("steps", cfg.steps.to_string());
    put("lr", cfg.lr.to_string());
    put("noise", cfg.noise.to_string());
    put("pretrain", PRETRAIN_STEPS.to_string());
    put("pretrain_lr", PRETRAIN_LR.to_string());
    put("table_steps", TABLE_STEPS.to_string());
    for strategy in Strategy::ALL {
        let wide = setup.widen(strategy, cfg.noise);
        let p = strategy_key(strategy);
        // The loss each scheme reaches after TABLE_STEPS more SGD steps, and
        // the narrow network's loss over the same steps.
        let tr = train(&setup, &wide, TABLE_STEPS, cfg.lr, cfg.relu0);
        put(&format!("{p}.loss_start"), num(tr.loss[0]));
        put(&format!("{p}.loss_end"), num(tr.loss[TABLE_STEPS]));
        put("narrow.loss_end", num(tr.narrow_loss[TABLE_STEPS]));
        put("narrow.loss_start", num(tr.narrow_loss[0]));
        // ReLU'(0) only matters where pre-activations sit exactly at 0.
        let conventions: &[(f64, &str)] = match strategy {
            Strategy::Zero | Strategy::ZeroInRandomOut => &[(0.0, ""), (1.0, "_r1")],
            _ => &[(0.0, "")],
        };
        // The incoming weights' gradient at the first two SGD steps: the
        // signal reaches them one step after the outgoing weights move.
        let (s0, g0) = snapshot(&setup, &wide, 0.0);
        let mut stepped = wide.net.clone();
        for (w, g) in stepped.weights.iter_mut().zip(&g0.weights) {
            w.scaled_add(-cfg.lr, g);
        }
        let ws = views(&stepped);
        let g1 = backward(&ws, &forward(&ws, x, t), t, 0.0);
        for (step, g) in [&g0, &g1].into_iter().enumerate() {
            let norm = role_norm(&g.weights, &wide.blocks, Role::OldToNew);
            put(&format!("{p}.in_grad{step}"), sci(norm));
        }
        put(&format!("{p}.diff"), sci(s0.max_diff));
        put(&format!("{p}.loss"), num(s0.loss));
        for &(relu0, suffix) in conventions {
            let s = if relu0 == 0.0 {
                s0.clone()
            } else {
                snapshot(&setup, &wide, relu0).0
            };
            put(&format!("{p}.new_grad{suffix}"), sci(s.new_grad_norm));
            for m in &s.matrices {
                for b in m.blocks.iter().filter(|b| b.block.role.is_new()) {
                    let role = match b.block.role {
                        Role::NewToOld => "out",
                        Role::OldToNew => "in",
                        _ => "nn",
                    };
                    let l = matrix_key(&m.name);
                    put(&format!("{p}.{l}.{role}.grad{suffix}"), sci(b.grad_norm));
                }
            }
        }
    }
}

/// SGD steps after widening in the content's loss table.
pub const TABLE_STEPS: usize = 300;

/// Fact-key fragment of a strategy.
pub fn strategy_key(s: Strategy) -> &'static str {
    match s {
        Strategy::Zero => "zero",
        Strategy::RandomInZeroOut => "rizo",
        Strategy::ZeroInRandomOut => "ziro",
        Strategy::Net2Net => "n2n",
    }
}

/// Fact-key fragment of a matrix name: `W(in)` → `win`, `W(2)` → `w2`.
pub fn matrix_key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase()
}
