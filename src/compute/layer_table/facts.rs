//! The figures Problem 1's derivation quotes, made from the model in
//! [`super`]: every cell of its tables and every worked number.

use super::*;

/// Rows the worked solution derives in full: one per layer kind (conv 1,
/// ReLU 2, pool 5, 1x1 conv 13), the largest ones (3, 8, 19) and the two rows
/// 1(b) turns on (16, 18). Other rows get the table cells only, which keeps
/// [`facts`] cheap.
const WORKED_ROWS: &[usize] = &[1, 2, 3, 5, 8, 13, 16, 18, 19];

/// Inserts facts; grouped numbers get a `_tex` twin (`\text{1,216}`) for math.
struct Sink<'a> {
    out: &'a mut Facts,
}

impl Sink<'_> {
    fn text(&mut self, key: String, value: String) {
        self.out.insert(key, value);
    }

    fn num(&mut self, key: String, value: u64) {
        self.out.insert(key, thousands(value));
    }

    fn num_tex(&mut self, key: String, value: u64) {
        let grouped = thousands(value);
        self.out
            .insert(format!("{key}_tex"), format!("\\text{{{grouped}}}"));
        self.out.insert(key, grouped);
    }
}

/// Figures the Problem 1 derivation quotes: every cell of the solution tables
/// and every worked number is one of these. Built on every start, so only the
/// figures the content needs are made (a few hundred).
pub fn facts(out: &mut Facts) {
    let mut f = Sink { out };
    let Ok(base) = table(MIDTERM_INPUT, MIDTERM) else {
        return;
    };
    network_facts(&mut f, "p1", &base);
    for (i, r) in base.rows.iter().enumerate() {
        let key = |k: &str| format!("p1.l{i}.{k}");
        let [h, w, c] = r.out;
        // Prose writes sizes with ×, as the statement does; the CLI and panel keep x.
        f.text(key("name"), r.name.replace('x', "×"));
        f.text(key("out"), dims(r.out).replace('x', "×"));
        f.num(key("h"), h);
        f.num(key("w"), w);
        f.num(key("c"), c);
        f.num(key("params"), r.params);
        f.num(key("flops"), r.ops.all);
        f.num(key("macs"), r.ops.macs);
        f.num(key("rf"), r.rf.size);
        f.num(key("jump"), r.rf.jump);
        f.text(key("rf_start"), r.rf.start.to_string());
        f.text(key("full"), if r.full_rf { "yes" } else { "no" }.into());
        let corner = base.probe(i, Location::Corner);
        if let Some((lo, hi, rows)) = span(&corner.rows) {
            f.num(key("corner.lo"), lo as u64);
            f.num(key("corner.hi"), hi as u64);
            if WORKED_ROWS.contains(&i) {
                f.num(key("corner.rows"), rows as u64);
            }
        }
        if let Some(layer) = r.layer
            && layer.kind() == "pool"
        {
            f.num(key("cin"), base.rows[i - 1].out[2]);
        }
        if WORKED_ROWS.contains(&i) {
            worked_row_facts(&mut f, &base, i, &corner);
        }
    }
    for (prefix, how) in [("p1.r2", ReplacePool::K2S2), ("p1.r3", ReplacePool::K3S2P1)] {
        let Ok(t) = table_replaced(MIDTERM_INPUT, MIDTERM, how) else {
            continue;
        };
        network_facts(&mut f, prefix, &t);
        f.num(
            format!("{prefix}.extra_params"),
            t.total_params.saturating_sub(base.total_params),
        );
        f.text(
            format!("{prefix}.flops_ratio"),
            format!(
                "{:.2}",
                t.total_ops.all as f64 / base.total_ops.all.max(1) as f64
            ),
        );
        for (i, r) in t.rows.iter().enumerate().filter(|(_, r)| r.replaces_pool) {
            let key = |k: &str| format!("{prefix}.l{i}.{k}");
            f.text(key("out"), dims(r.out).replace('x', "×"));
            f.num(key("h"), r.out[0]);
            f.num_tex(key("params"), r.params);
            f.num_tex(key("flops"), r.ops.all);
            f.num_tex(key("macs"), r.ops.macs);
            f.num(key("rf"), r.rf.size);
        }
    }
    // Totals under the conventions other courses use (see the content).
    let sum_kind = |kind: &str, v: fn(&Row) -> u64| -> u64 {
        base.rows.iter().filter(|r| r.kind == kind).map(v).sum()
    };
    let conv_outputs = sum_kind("conv", |r| r.out.iter().product());
    let relu = sum_kind("relu", |r| r.ops.all);
    let pool = sum_kind("pool", |r| r.ops.all);
    // What common FLOP counters print for this network. ptflops adds to the conv
    // MACs one operation per conv output (bias), per ReLU output and per pool
    // *input* element; fvcore and thop print the conv MACs; torch's
    // FlopCounterMode prints 2 × conv MACs.
    let pool_inputs: u64 = base
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == "pool")
        .map(|(i, _)| base.rows[i - 1].out.iter().product::<u64>())
        .sum();
    let ptflops = base.total_ops.macs + conv_outputs + relu + pool_inputs;
    autograd_facts(&mut f, &base);
    let all = base.total_ops.all;
    for (k, v) in [
        ("p1.alt.no_bias", all - conv_outputs),
        (
            "p1.alt.real_taps",
            2 * base.total_ops.real_macs + relu + pool,
        ),
        (
            "p1.alt.padded_macs",
            base.total_ops.macs - base.total_ops.real_macs,
        ),
        ("p1.alt.relu_free", all - relu),
        ("p1.alt.two_macs", 2 * base.total_ops.macs),
        ("p1.alt.conv_outputs", conv_outputs),
        ("p1.alt.relu", relu),
        ("p1.alt.pool", pool),
        ("p1.alt.pool_inputs", pool_inputs),
        ("p1.alt.ptflops", ptflops),
    ] {
        f.num(k.into(), v);
    }
}

/// The seed of the random network behind the autograd receptive-field check.
pub const AUTOGRAD_SEED: u64 = 1;

/// 1(b)'s warning: an autograd check through the real max pools, against the
/// same check with average pools, from the corner output of each row from the
/// first full one down. Runs the network forward, so it is computed once.
fn autograd_facts(f: &mut Sink<'_>, base: &Table) {
    use autograd_rf::{PoolMode, pixels_with_gradient};
    let Some(first) = base.first_full_rf_layer else {
        return;
    };
    let rows: Vec<usize> = (first..base.rows.len()).collect();
    static COUNTS: std::sync::OnceLock<Vec<usize>> = std::sync::OnceLock::new();
    let max = COUNTS.get_or_init(|| {
        pixels_with_gradient(MIDTERM_INPUT, MIDTERM, &rows, PoolMode::Max, AUTOGRAD_SEED)
    });
    let all = (MIDTERM_INPUT[0] * MIDTERM_INPUT[1]) as usize;
    f.num("p1.autograd.maxpool_seen".into(), max[0] as u64);
    // What the average-pool check counts is the dependency set (a test runs
    // that check and compares); the set is the cheap one to compute here.
    f.num(
        "p1.autograd.avgpool_seen".into(),
        base.probe(first, Location::Corner).seen(),
    );
    f.num("p1.autograd.seed".into(), AUTOGRAD_SEED);
    let wrong = rows.iter().zip(max).find(|(_, n)| **n == all);
    f.text(
        "p1.autograd.wrong_row".into(),
        wrong.map_or("none".into(), |(r, _)| r.to_string()),
    );
}

/// Totals, the answer to 1(b) and the pool rows of one network.
fn network_facts(f: &mut Sink<'_>, prefix: &str, t: &Table) {
    f.num(format!("{prefix}.total_params"), t.total_params);
    f.num(format!("{prefix}.total_flops"), t.total_ops.all);
    f.num(format!("{prefix}.total_macs"), t.total_ops.macs);
    if let Some(i) = t.first_full_rf_layer {
        f.num(format!("{prefix}.first_full"), i as u64);
        f.text(
            format!("{prefix}.first_full_name"),
            t.rows[i].name.replace('x', "×"),
        );
    }
    let pools = t.rows.iter().enumerate();
    for (n, (i, _)) in pools
        .filter(|(_, r)| r.kind == "pool" || r.replaces_pool)
        .enumerate()
    {
        f.num(format!("{prefix}.pool{}", n + 1), i as u64);
    }
}

/// Everything the worked examples quote about row `i` of the midterm table.
fn worked_row_facts(f: &mut Sink<'_>, t: &Table, i: usize, corner: &Probe) {
    let key = |k: &str| format!("p1.l{i}.{k}");
    let r = &t.rows[i];
    f.num_tex(key("params"), r.params);
    f.num_tex(key("flops"), r.ops.all);
    f.num_tex(key("weights"), r.weights);
    f.num(key("biases"), r.biases);
    f.num_tex(key("elems"), r.out.iter().product());
    f.text(
        key("share"),
        format!("{:.1}", 100.0 * t.share(i, Convention::All)),
    );
    f.num(key("corner.seen"), corner.seen());
    let (lo, hi) = r.rf.nominal(0);
    f.text(key("corner.nominal_lo"), lo.to_string());
    f.text(key("corner.nominal_hi"), hi.to_string());
    // The centre matters where the field is nominally big enough but the
    // corner still misses part of the input (1(b)).
    if r.rf.size >= t.input[0].min(t.input[1]) && !corner.full() {
        let centre = t.probe(i, Location::Centre);
        f.num(key("centre.y"), centre.at[0]);
        f.num(key("centre.seen"), centre.seen());
    }
    let Some(layer) = r.layer else { return };
    let axis = layer.axis();
    let c_in = t.rows[i - 1].out[2];
    let k2 = axis.kernel * axis.kernel;
    f.num(key("k"), axis.kernel);
    f.num(key("s"), axis.stride);
    f.num(key("p"), axis.padding);
    f.num(key("cin"), c_in);
    let per_out = match layer {
        Layer::Conv(_) => {
            f.num(key("taps"), k2 * c_in);
            f.num(key("taps_minus_1"), k2 * c_in - 1);
            2 * k2 * c_in
        }
        Layer::Relu => 1,
        Layer::MaxPool(_) => k2 - 1,
    };
    f.num(key("per_out"), per_out);
}
