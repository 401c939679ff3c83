//! Problem 5's parameters, report and facts: the settings `nnbook compute
//! bptt` and the panels read, the comparison of every schedule with the
//! optimum at the memory it uses, the cost-versus-memory chart, the text and
//! JSON report, and the figures the solution quotes. The model and the
//! executor are in [`super`].

use ndarray::Array2;
use serde::Serialize;
use serde_json::json;

use super::optimal;
use super::schedule::{self, MAX_T_COUNTS, Op, Schedule, Tracker};
use super::{
    DEFAULT_C, DEFAULT_K, DEFAULT_M, DEFAULT_SEED, DEFAULT_T, MAX_C, MAX_K, MAX_NUMERIC_WORK,
    MAX_T_NUMERIC, Problem, baseline, grad_check, loss, numeric, run_schedule,
};
use crate::compute::layer_table::thousands;
use crate::compute::{
    Computation, ComputeError, Facts, ParamError, ParamSpec, Params, ProgressFn, Report,
};

/// The memory budget as given: `log` (the recursive schedule's) or slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    Log,
    Slots(u64),
}

/// Parameters of one run, as read from the command line or set in the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub seed: u64,
    pub t: u64,
    pub k: usize,
    pub c: usize,
    pub schedule: Schedule,
    /// Slots the schedule runs with (validated).
    pub slots: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: DEFAULT_SEED,
            t: DEFAULT_T,
            k: DEFAULT_K,
            c: DEFAULT_C,
            schedule: Schedule::Recursive,
            slots: schedule::recursive_peak(DEFAULT_T),
        }
    }
}

impl Settings {
    /// Resolve a memory budget for `schedule` at `t` steps; an error names
    /// `memory` when the budget is too small for the schedule.
    pub fn resolve_slots(schedule: Schedule, t: u64, memory: Memory) -> Result<u64, ParamError> {
        let needed = schedule.min_slots(t);
        let slots = match memory {
            Memory::Log if schedule == Schedule::StoreAll => t,
            Memory::Log => schedule::recursive_peak(t),
            Memory::Slots(m) => m,
        };
        if slots < needed {
            return Err(ParamError::OutOfRange {
                name: "memory".into(),
                value: slots.to_string(),
                range: format!(
                    "{needed}..={MAX_T_COUNTS} ({} needs {needed} slot{} at t={t})",
                    schedule.name(),
                    if needed == 1 { "" } else { "s" }
                ),
            });
        }
        Ok(slots)
    }

    pub fn from_params(params: &mut Params) -> Result<Settings, ParamError> {
        let seed = params.u64("seed", DEFAULT_SEED, 0..=u64::MAX)?;
        let t = params.u64("t", DEFAULT_T, 1..=MAX_T_COUNTS)?;
        let k = params.usize("k", DEFAULT_K, 1..=MAX_K)?;
        let c = params.usize("c", DEFAULT_C, 1..=MAX_C)?;
        let name = params.choice("schedule", "recursive", Schedule::NAMES)?;
        // `name` comes from the fixed option list.
        let schedule = Schedule::parse(name).unwrap_or(Schedule::Recursive);
        let memory = match params.raw("memory") {
            None => Memory::Log,
            Some(raw) if raw == "log" => Memory::Log,
            Some(raw) => Memory::Slots(raw.parse().map_err(|_| ParamError::Invalid {
                name: "memory".into(),
                value: raw.clone(),
                expected: "`log` or a whole number of slots".into(),
            })?),
        };
        if let Memory::Slots(m) = memory
            && m > MAX_T_COUNTS
        {
            return Err(ParamError::OutOfRange {
                name: "memory".into(),
                value: m.to_string(),
                range: format!("1..={MAX_T_COUNTS}"),
            });
        }
        let slots = Settings::resolve_slots(schedule, t, memory)?;
        Ok(Settings {
            seed,
            t,
            k,
            c,
            schedule,
            slots,
        })
    }

    pub fn problem(&self) -> Problem {
        Problem::seeded(self.seed, self.t as usize, self.k, self.c)
    }

    /// Whether the numeric run fits the bounds (else counts only).
    pub fn numeric_fits(&self) -> Result<(), String> {
        if self.t > MAX_T_NUMERIC {
            return Err(format!(
                "counts only: the numeric run is limited to t <= {MAX_T_NUMERIC}"
            ));
        }
        let steps = schedule::forward_closed_form(self.schedule, self.t, self.slots);
        let work = steps.saturating_mul((self.k * (self.k + self.c)) as u64);
        if work > MAX_NUMERIC_WORK {
            return Err(format!(
                "counts only: {} forward steps of K(K+C) = {} multiply-adds exceed the numeric limit of {}",
                thousands(steps),
                self.k * (self.k + self.c),
                thousands(MAX_NUMERIC_WORK)
            ));
        }
        Ok(())
    }
}

/// Counts of every schedule at `t` steps, each beside the optimum at the
/// memory it actually uses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    pub t: u64,
    /// The constant budget `M` of the fixed and optimal columns.
    pub slots: u64,
    pub store_all: u64,
    pub recursive: u64,
    /// `1 + ⌈log₂ T⌉`.
    pub recursive_peak: u64,
    /// The optimum at the recursive schedule's memory.
    pub optimal_at_log: Option<u64>,
    /// Evenly spaced checkpoints with `slots` slots.
    pub fixed: u64,
    pub fixed_peak: u64,
    /// The optimum at `slots`.
    pub optimal: Option<u64>,
    /// Griewank's classic count at `slots` (reverse steps re-evaluate their
    /// forward step): the number the literature prints, another model.
    pub classic_revolve: Option<u64>,
}

pub fn compare(t: u64, slots: u64) -> Comparison {
    let rp = schedule::recursive_peak(t);
    Comparison {
        t,
        slots,
        store_all: t,
        recursive: schedule::recursive_forward(t),
        recursive_peak: rp,
        optimal_at_log: schedule::optimal_forward(t, rp),
        fixed: schedule::fixed_forward(t, slots),
        fixed_peak: schedule::fixed_peak(t, slots),
        optimal: schedule::optimal_forward(t, slots),
        classic_revolve: schedule::classic_revolve_forward(t, slots),
    }
}

/// One point of the cost-versus-memory chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostPoint {
    pub memory: u64,
    pub optimal: u64,
    pub fixed: u64,
}

/// Budgets the chart shows for `t` steps: 1 … 8, then doubling, and `t`.
pub fn chart_budgets(t: u64) -> Vec<u64> {
    let mut m: Vec<u64> = (1..=8).collect();
    let mut next = 12;
    while next < t {
        m.push(next);
        next = if next < 16 { 16 } else { next * 2 };
    }
    m.push(t);
    m.retain(|&x| x <= t);
    m.dedup();
    m
}

/// Forward steps of the optimal and the evenly spaced schedules against `M`.
pub fn cost_versus_memory(t: u64) -> Vec<CostPoint> {
    chart_budgets(t)
        .into_iter()
        .map(|m| CostPoint {
            memory: m,
            optimal: schedule::optimal_forward(t, m).unwrap_or(u64::MAX),
            fixed: schedule::fixed_forward(t, m),
        })
        .collect()
}

/// Ratio to the baseline's `T` forward steps.
pub fn ratio(steps: u64, t: u64) -> f64 {
    steps as f64 / t.max(1) as f64
}

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "seed",
        default: "5",
        help: "seed of W_hh, W_xh, X and the upstream gradients",
    },
    ParamSpec {
        name: "t",
        default: "16",
        help: "sequence length T (1..=1000000; numeric run up to 4096, counts beyond)",
    },
    ParamSpec {
        name: "k",
        default: "4",
        help: "hidden size K (1..=64)",
    },
    ParamSpec {
        name: "c",
        default: "3",
        help: "input size C (1..=64)",
    },
    ParamSpec {
        name: "schedule",
        default: "recursive",
        help: "store-all (baseline, M = T) | recursive (5a, log memory) | fixed (5b, evenly spaced, M slots) | optimal (5b, M slots)",
    },
    ParamSpec {
        name: "memory",
        default: "log",
        help: "slots M for hidden states, the state being computed included: log (1 + ceil(log2 T)) or a number >= 1",
    },
    ParamSpec {
        name: "trace",
        default: "0",
        help: "1: --json adds the schedule's actions step by step with the memory state after each (t <= 256)",
    },
];

pub const COMPUTATION: Computation = Computation {
    name: "bptt",
    summary: "Problem 5: checkpointed BPTT schedules, exact recomputation counts and gradients",
    params: PARAMS,
    run,
};

fn run(params: &mut Params, progress: &mut ProgressFn<'_>) -> Result<Report, ComputeError> {
    let s = Settings::from_params(params)?;
    let with_trace = crate::compute::trace::wanted(params)?;
    if with_trace && s.t > schedule::MAX_TRACE_T {
        return Err(ComputeError::Param(ParamError::OutOfRange {
            name: "trace".into(),
            value: "1".into(),
            range: format!(
                "0..=0 at t={} (a trace is recorded for t <= {})",
                s.t,
                schedule::MAX_TRACE_T
            ),
        }));
    }
    let counts = schedule::count(s.schedule, s.t, s.slots).map_err(ComputeError::Shape)?;
    let cmp = compare(s.t, s.slots);
    let numeric = match s.numeric_fits() {
        Ok(()) => {
            let p = s.problem();
            Ok((numeric(&p, s.schedule, s.slots, progress)?, p))
        }
        Err(why) => Err(why),
    };
    let mut text = format!(
        "BPTT, {} schedule: T = {}, memory M = {} slots (K = {}, C = {}, seed {})\n\n",
        s.schedule.name(),
        thousands(s.t),
        thousands(s.slots),
        s.k,
        s.c,
        s.seed
    );
    text += &format!(
        "forward steps   {} ({:.3} x the baseline's {})\nbackward steps  {}\npeak memory     {} hidden states (baseline {})\n\n",
        thousands(counts.forward_steps),
        ratio(counts.forward_steps, s.t),
        thousands(s.t),
        thousands(counts.backward_steps),
        thousands(counts.peak_memory),
        thousands(s.t),
    );
    let row = |name: &str, steps: Option<u64>| match steps {
        Some(n) => format!(
            "  {name:<34} {:>16} forward steps  x{:.3}\n",
            thousands(n),
            ratio(n, s.t)
        ),
        // Only the classic model has no count: it needs M >= 2 (h_{t-1} and h_t).
        None => format!("  {name:<34} (needs M >= 2)\n"),
    };
    text += &format!(
        "At the same memory, T = {} (baseline store-all: {} forward steps, {} slots):\n",
        thousands(s.t),
        thousands(s.t),
        thousands(s.t)
    );
    text += &format!(" M = 1 + ceil(log2 T) = {} slots\n", cmp.recursive_peak);
    text += &row("recursive halving (5a)", Some(cmp.recursive));
    text += &row("optimal", cmp.optimal_at_log);
    text += &format!(
        " M = {} slot{}\n",
        thousands(s.slots),
        if s.slots == 1 { "" } else { "s" }
    );
    text += &row("fixed, evenly spaced checkpoints", Some(cmp.fixed));
    text += &row("optimal", cmp.optimal);
    text += &row("revolve, classic model (*)", cmp.classic_revolve);
    text += " (*) Griewank's count where every reverse step re-evaluates its forward step\n";
    text.push('\n');
    let numeric_json = match &numeric {
        Ok((n, p)) => {
            let gc = &n.grad_check;
            text += &format!(
                "gradients vs baseline: max |diff| = {:e}\ngrad check (central differences, {} entries): max rel err {:.1e} {}\n",
                n.max_abs_diff_to_baseline,
                gc.checked,
                gc.max_rel_error,
                if gc.max_rel_error < 1e-6 {
                    "ok"
                } else {
                    "FAILED"
                }
            );
            text += &format!("dL/dh_0 = {:.6}\n", n.grads.h0);
            json!({
                "inputs": {
                    "w_hh": nested(&p.w_hh),
                    "w_xh": nested(&p.w_xh),
                    "x": nested(&p.x),
                    "upstream_grad": nested(&p.g),
                },
                "grads": {
                    "w_hh": nested(&n.grads.w_hh),
                    "w_xh": nested(&n.grads.w_xh),
                    "x": nested(&n.grads.x),
                    "h0": n.grads.h0.to_vec(),
                },
                "max_abs_diff_to_baseline": n.max_abs_diff_to_baseline,
                "grad_check": gc,
                "loss": loss(p),
            })
        }
        Err(why) => {
            text += why;
            text.push('\n');
            json!({ "skipped": why })
        }
    };
    let json = json!({
        "computation": "bptt",
        "seed": s.seed,
        "t": s.t,
        "k": s.k,
        "c": s.c,
        "schedule": s.schedule.name(),
        "memory_slots": s.slots,
        "counts": counts,
        "forward_ratio_to_baseline": ratio(counts.forward_steps, s.t),
        "comparison": cmp,
        "cost_versus_memory": cost_versus_memory(s.t),
        "numeric": numeric_json,
        "notes": {
            "model": "h_t = tanh(W_hh h_{t-1} + W_xh x_t), h_0 = 0; weights [out][in]; x row t-1 is x_t; upstream_grad row t-1 is dL/dh_t; loss = sum_t upstream_grad[t-1] . h_t",
            "memory": "hidden-state K-vectors held at once: checkpoints plus the freshly computed state (the cursor) when not stored; h_0 = 0 is free; a forward step overwrites the cursor in place; gradient vectors and scratch not counted",
            "forward_steps": "every evaluation of one RNN step; reverse step t needs h_t only (the dW_hh term a_t h_{t-1}^T is added when h_{t-1} is visited), so a schedule makes h_T, ..., h_1 available in turn; store-all runs T",
            "optimal": "the optimal schedule for M slots in this model, executed: r(T+1) - C(M+r, M+1) forward steps, r = min{r : C(M+r, M) >= T+1}",
            "classic_revolve": "Griewank's count in the classic model (reverse step t needs h_{t-1} and re-evaluates step t): T + rT - C(s+r, s+1), s = M-1, r = min{r : C(s+r, s) >= T}; another model, not run here",
        },
    });
    let mut json = json;
    if with_trace {
        let frames = schedule::trace(s.schedule, s.t, s.slots).map_err(ComputeError::Shape)?;
        json["trace"] = super::trace::to_common(&frames, s.t).to_json();
    }
    Ok(Report { text, json })
}

/// `0` when exactly zero (the schedules' usual result), else `1.2e-15`.
pub fn fmt_diff(d: f64) -> String {
    if d == 0.0 {
        "0".into()
    } else {
        format!("{d:.1e}")
    }
}

/// Row-major nested rows, the JSON convention (ndarray's own serde form is flat).
pub fn nested(a: &Array2<f64>) -> Vec<Vec<f64>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}

/// A ratio to the baseline as the text prints it: two decimals below 10,
/// one below 1000, then whole numbers with thousands separators.
pub fn fmt_ratio(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.2}")
    } else if r < 1000.0 {
        format!("{r:.1}")
    } else {
        thousands(r.round() as u64)
    }
}

/// The rough estimates of 5(b) at `t` steps and `m` slots: the repetition
/// number's asymptote `(M!·T)^{1/M}`, and the cost ratio it gives,
/// `(M!·T)^{1/M}·M/(M+1)`.
pub fn optimal_estimates(t: u64, m: u64) -> (f64, f64) {
    let ln_fact: f64 = (1..=m).map(|k| (k as f64).ln()).sum();
    let r = ((ln_fact + (t as f64).ln()) / m as f64).exp();
    (r, r * m as f64 / (m + 1) as f64)
}

/// Budgets of the 5(b) table at `T = 10⁶`.
pub const TABLE_BUDGETS: [u64; 6] = [1, 2, 3, 4, 8, 16];
/// The 5(b) panel opens on the optimal schedule with this budget.
pub const PANEL_5B_M: u64 = 4;

/// Figures the Problem 5 solution quotes.
pub fn facts(out: &mut Facts) {
    let mut put = |k: &str, v: String| {
        out.insert(format!("p5.{k}"), v);
    };
    put("default.t", DEFAULT_T.to_string());
    put("default.k", DEFAULT_K.to_string());
    put("default.c", DEFAULT_C.to_string());
    put("default.seed", DEFAULT_SEED.to_string());
    put("default.m", DEFAULT_M.to_string());
    put("panel5b.m", PANEL_5B_M.to_string());
    put("max_t_numeric", thousands(MAX_T_NUMERIC));
    put("max_t_counts", thousands(MAX_T_COUNTS));
    for (key, t) in [
        ("t16", 16u64),
        ("t100", 100),
        ("t1024", 1024),
        ("t1e6", 1_000_000),
    ] {
        let c = compare(t, DEFAULT_M);
        let r = |n: u64| fmt_ratio(ratio(n, t));
        put(&format!("{key}.t"), thousands(t));
        put(&format!("{key}.rec.fwd"), thousands(c.recursive));
        put(&format!("{key}.rec.ratio"), r(c.recursive));
        put(&format!("{key}.rec.peak"), c.recursive_peak.to_string());
        // The level-by-level bound (T/2)⌈log₂T⌉ + T.
        let bound = t / 2 * schedule::ceil_log2(t) + t;
        put(&format!("{key}.rec.bound"), thousands(bound));
        let reeval = schedule::reevaluating_halving_forward(t);
        put(&format!("{key}.reeval.fwd"), thousands(reeval));
        if let Some(o) = c.optimal_at_log {
            put(&format!("{key}.opt_log.fwd"), thousands(o));
            put(&format!("{key}.opt_log.ratio"), r(o));
        }
        put(&format!("{key}.fix8.fwd"), thousands(c.fixed));
        put(&format!("{key}.fix8.ratio"), r(c.fixed));
        put(&format!("{key}.fix8.peak"), c.fixed_peak.to_string());
        if let Some(o) = c.optimal {
            put(&format!("{key}.opt8.fwd"), thousands(o));
            put(&format!("{key}.opt8.ratio"), r(o));
        }
        if let Some(o) = c.classic_revolve {
            put(&format!("{key}.classic8.fwd"), thousands(o));
            put(&format!("{key}.classic8.ratio"), r(o));
        }
        let one = schedule::fixed_forward(t, 1);
        put(&format!("{key}.fix1.fwd"), thousands(one));
        put(&format!("{key}.fix1.ratio"), r(one));
    }
    // T = 10⁶: the repetition number and the estimates 5(b) quotes.
    let big = 1_000_000u64;
    for m in TABLE_BUDGETS {
        let key = format!("t1e6.m{m}");
        if let (Some(o), Some(rep)) = (
            schedule::optimal_forward(big, m),
            optimal::repetition(big, m),
        ) {
            put(&format!("{key}.opt.ratio"), fmt_ratio(ratio(o, big)));
            put(&format!("{key}.r"), thousands(rep));
        }
        put(
            &format!("{key}.fix.ratio"),
            fmt_ratio(ratio(schedule::fixed_forward(big, m), big)),
        );
        put(&format!("{key}.m"), m.to_string());
    }
    let (r_est, cost_est) = optimal_estimates(big, DEFAULT_M);
    put("t1e6.opt8.r_estimate", format!("{r_est:.1}"));
    put("t1e6.opt8.estimate", format!("{cost_est:.1}"));
    put("t1e6.fix8.estimate", thousands(big / (2 * DEFAULT_M)));
    // The checkpoints held at the first backward step of the recursion (the
    // 5(a) panel's opening frame), without building the trace.
    let mut tracker = Tracker::new(16);
    let mut deepest = None;
    schedule::emit(Schedule::Recursive, 16, 0, &mut |op| {
        if deepest.is_none() {
            if matches!(op, Op::Backward { .. }) {
                deepest = Some(tracker.stored());
            }
            tracker.apply(op);
        }
    });
    if let Some(held) = deepest {
        let held: Vec<String> = held
            .iter()
            .map(|t| format!("\\mathbf{{h}}_{{{t}}}"))
            .collect();
        put("t16.deepest_tex", held.join(", "));
    }
    let s = Settings::default();
    let p = s.problem();
    let base = baseline(&p);
    let run = |schedule, slots| run_schedule(&p, schedule, slots, &mut crate::compute::no_progress);
    if let Ok((g, counts)) = run(Schedule::Recursive, s.slots) {
        put("default.rec.diff", fmt_diff(g.max_abs_diff(&base)));
        put("default.rec.fwd", counts.forward_steps.to_string());
        put("default.rec.peak", counts.peak_memory.to_string());
    }
    if let Ok((g, counts)) = run(Schedule::Optimal, PANEL_5B_M) {
        put("default.opt.diff", fmt_diff(g.max_abs_diff(&base)));
        put("default.opt.fwd", counts.forward_steps.to_string());
        put("default.opt.peak", counts.peak_memory.to_string());
    }
    let gc = grad_check(&p, &base);
    put("default.gradcheck", format!("{:.1e}", gc.max_rel_error));
    put("default.gradcheck_entries", gc.checked.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_validate_and_name_the_parameter() {
        let parse = |args: &[&str]| Settings::from_params(&mut Params::parse(args).unwrap());
        let s = parse(&[]).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.slots, 5);
        let s = parse(&["schedule=fixed", "memory=3", "t=100"]).unwrap();
        assert_eq!((s.schedule, s.slots), (Schedule::Fixed, 3));
        for (args, name) in [
            (&["t=0"][..], "`t`"),
            (&["t=1000001"][..], "`t`"),
            (&["k=65"][..], "`k`"),
            (&["c=x"][..], "`c`"),
            (&["memory=lots"][..], "`memory`"),
            (&["schedule=fixed", "memory=0"][..], "`memory`"),
            (&["schedule=optimal", "memory=0"][..], "`memory`"),
            (&["schedule=optimal", "memory=1000001"][..], "`memory`"),
            (&["schedule=recursive", "memory=4"][..], "`memory`"),
            (&["schedule=store-all", "memory=3"][..], "`memory`"),
            (&["schedule=revolve"][..], "`schedule`"),
        ] {
            let e = parse(args).unwrap_err().to_string();
            assert!(e.contains(name), "{args:?}: {e}");
        }
    }

    #[test]
    fn large_runs_are_counts_only() {
        let mut s = Settings {
            t: 100_000,
            ..Settings::default()
        };
        assert!(s.numeric_fits().is_err());
        s.t = 4096;
        s.schedule = Schedule::Fixed;
        s.slots = 1;
        s.k = 64;
        s.c = 64;
        assert!(s.numeric_fits().is_err());
        assert!(Settings::default().numeric_fits().is_ok());
    }

    #[test]
    fn facts_are_built() {
        let mut f = Facts::new();
        facts(&mut f);
        assert_eq!(f["p5.t16.rec.fwd"], "30");
        assert_eq!(f["p5.t16.reeval.fwd"], "48");
        assert_eq!(f["p5.t100.rec.fwd"], "300");
        assert_eq!(f["p5.t100.reeval.fwd"], "416");
        assert_eq!(f["p5.t16.rec.peak"], "5");
        assert_eq!(f["p5.default.rec.diff"], "0");
        assert_eq!(f["p5.default.opt.diff"], "0");
        assert_eq!(f["p5.t1e6.m8.r"], "17");
    }
}
