use super::*;
use crate::compute::no_progress;

fn max_diff<'a>(a: impl IntoIterator<Item = &'a f64>, b: impl IntoIterator<Item = &'a f64>) -> f64 {
    a.into_iter()
        .zip(b)
        .map(|(u, v)| (u - v).abs())
        .fold(0.0, f64::max)
}

fn grads_diff(a: &Grads, b: &Grads) -> f64 {
    [
        max_diff(&a.x, &b.x),
        max_diff(&a.w_hh_a, &b.w_hh_a),
        max_diff(&a.w_xh_a, &b.w_xh_a),
        max_diff(&a.w_hh_b, &b.w_hh_b),
        max_diff(&a.w_yh_b, &b.w_yh_b),
    ]
    .into_iter()
    .fold(0.0, f64::max)
}

#[test]
fn forward_matches_the_definition_at_a_corner() {
    // H^A[0,0] = tanh(W_xh^A X[0,0]) (zero state); H^B[0,0] = tanh(W_yh^B H^A[0,0]).
    let p = Problem::random(3, 4, 3, 5);
    let f = module::forward(&p.x, &p.weights);
    let x00 = cell(&p.x, 0, 0);
    let ha = p.weights.w_xh_a.dot(&x00).mapv(f64::tanh);
    let hb = p.weights.w_yh_b.dot(&ha).mapv(f64::tanh);
    assert!(max_diff(&ha, &cell(&f.h_a, 0, 0).to_owned()) < 1e-15);
    assert!(max_diff(&hb, &cell(&f.h_b, 0, 0).to_owned()) < 1e-15);
    // H^A[0,1] = tanh(W_hh^A H^A[0,0] + W_xh^A X[0,1])
    let x01 = cell(&p.x, 0, 1);
    let ha01 = (p.weights.w_hh_a.dot(&ha) + p.weights.w_xh_a.dot(&x01)).mapv(f64::tanh);
    assert!(max_diff(&ha01, &cell(&f.h_a, 0, 1).to_owned()) < 1e-15);
    // H^B[1,0] = tanh(W_hh^B H^B[0,0] + W_yh^B H^A[1,0])
    let ha10 = cell(&f.h_a, 1, 0);
    let hb10 = (p.weights.w_hh_b.dot(&hb) + p.weights.w_yh_b.dot(&ha10)).mapv(f64::tanh);
    assert!(max_diff(&hb10, &cell(&f.h_b, 1, 0).to_owned()) < 1e-15);
}

#[test]
fn gradients_match_central_differences_on_every_entry() {
    for (h, w, c, seed) in [
        (1, 1, 1, 0),
        (2, 3, 2, 1),
        (3, 2, 3, 2),
        (4, 5, 2, 3),
        (3, 4, 4, 4),
    ] {
        let p = Problem::random(h, w, c, seed);
        let f = module::forward(&p.x, &p.weights);
        let g = module::backward(&p.x, &p.weights, &f, &p.g);
        let r = grad_check(&p, &g, None, &mut no_progress).unwrap();
        assert_eq!(r.checked, h * w * c + 4 * c * c);
        assert!(r.max_rel_error < 1e-7, "{h}x{w}x{c}: {r:?}");
        assert_eq!(GradCheckReport::TOLERANCE, 1e-7);
        assert!(r.passed());
    }
}

#[test]
fn grad_check_catches_a_wrong_gradient() {
    let p = Problem::random(3, 3, 2, 9);
    let f = module::forward(&p.x, &p.weights);
    let mut g = module::backward(&p.x, &p.weights, &f, &p.g);
    // Drop A's recurrent contribution at one entry (a typical bug: no accumulation).
    g.w_hh_a[[1, 0]] *= 0.5;
    let r = grad_check(&p, &g, None, &mut no_progress).unwrap();
    assert_eq!(r.worst_tensor, "w_hh_a");
    assert_eq!(r.worst_index, 2);
    assert!(!r.passed(), "{r:?}");
}

#[test]
fn sampled_grad_check_uses_spread_entries() {
    let p = Problem::random(4, 4, 3, 2);
    let f = module::forward(&p.x, &p.weights);
    let g = module::backward(&p.x, &p.weights, &f, &p.g);
    let r = grad_check(&p, &g, Some(2), &mut no_progress).unwrap();
    assert_eq!(r.checked, 10);
    assert_eq!(r.total, 4 * 4 * 3 + 4 * 9);
    assert!(r.passed());
}

#[test]
fn grad_check_stops_when_cancelled() {
    let p = Problem::random(2, 2, 2, 2);
    let f = module::forward(&p.x, &p.weights);
    let g = module::backward(&p.x, &p.weights, &f, &p.g);
    let mut calls = 0;
    let mut stop = |_: Progress| {
        calls += 1;
        if calls > 3 {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    assert_eq!(
        grad_check(&p, &g, None, &mut stop),
        Err(ComputeError::Cancelled)
    );
}

#[test]
fn loop_and_batched_forms_agree() {
    for (h, w, c, seed) in [
        (1, 1, 1, 0),
        (1, 7, 3, 1),
        (6, 1, 2, 2),
        (5, 4, 3, 3),
        (8, 9, 16, 4),
        // whole tiles and panels on every SIMD level, and partial ones
        (17, 16, 32, 5),
        (12, 7, 24, 6),
    ] {
        let p = Problem::random(h, w, c, seed);
        let f1 = module::forward(&p.x, &p.weights);
        let g1 = module::backward(&p.x, &p.weights, &f1, &p.g);
        let agree = |(f2, g2): (Forward, Grads), level: &str| {
            assert!(max_diff(&f1.h_a, &f2.h_a) < BATCHED_TOLERANCE, "{level}");
            assert!(max_diff(&f1.h_b, &f2.h_b) < BATCHED_TOLERANCE, "{level}");
            assert!(
                grads_diff(&g1, &g2) < BATCHED_TOLERANCE,
                "{h}x{w}x{c} {level}"
            );
        };
        let f2 = batched::forward(&p.x, &p.weights);
        let g2 = batched::backward(&p.x, &p.weights, &f2, &p.g);
        agree((f2, g2), "best");
        agree(
            batched::forward_and_backward_on(pulp::Scalar::new(), &p),
            "scalar",
        );
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(v3) = pulp::x86::V3::try_new() {
                agree(batched::forward_and_backward_on(v3, &p), "AVX2");
            }
            if let Some(v4) = pulp::x86::V4::try_new() {
                agree(batched::forward_and_backward_on(v4, &p), "AVX-512");
            }
        }
    }
}

#[test]
fn trace_is_opt_in_and_replays_to_the_same_outputs() {
    let p = Problem::random(3, 4, 2, 6);
    let plain_f = module::forward(&p.x, &p.weights);
    let plain_g = module::backward(&p.x, &p.weights, &plain_f, &p.g);
    let (f, g, t) = trace::record(&p);
    // Recording does not change the numbers.
    assert_eq!(f, plain_f);
    assert_eq!(g, plain_g);
    assert_eq!(t.forward.len(), 2 * 3 * 4);
    assert_eq!(t.backward.len(), 2 * 3 * 4);
    // Forward order: A row by row, then B column by column.
    assert_eq!(
        (t.forward[0].rnn, t.forward[0].i, t.forward[0].j),
        (Rnn::A, 0, 0)
    );
    assert_eq!(
        (t.forward[3].rnn, t.forward[3].i, t.forward[3].j),
        (Rnn::A, 0, 3)
    );
    assert_eq!(
        (t.forward[12].rnn, t.forward[12].i, t.forward[12].j),
        (Rnn::B, 0, 0)
    );
    assert_eq!(
        (t.forward[13].rnn, t.forward[13].i, t.forward[13].j),
        (Rnn::B, 1, 0)
    );
    // Backward: B reversed (bottom up in each column), then A reversed (right to left).
    assert_eq!(
        (t.backward[0].rnn, t.backward[0].i, t.backward[0].j),
        (Rnn::B, 2, 0)
    );
    assert_eq!(
        (t.backward[12].rnn, t.backward[12].i, t.backward[12].j),
        (Rnn::A, 0, 3)
    );
    let r = trace::replay(&t, &p.x, &p.weights, &p.g);
    assert!(r.max_recorded_diff < 1e-14, "{}", r.max_recorded_diff);
    assert!(max_diff(&r.forward.h_a, &f.h_a) < 1e-14);
    assert!(max_diff(&r.forward.h_b, &f.h_b) < 1e-14);
    assert!(grads_diff(&r.grads, &g) < 1e-13);
}

#[test]
fn replay_of_a_misordered_trace_fails() {
    let p = Problem::random(3, 3, 2, 6);
    let (f, _, mut t) = trace::record(&p);
    // Run B's first column before A has produced the column it reads.
    let b0 = t.forward.remove(9);
    t.forward.insert(0, b0);
    let r = trace::replay(&t, &p.x, &p.weights, &p.g);
    assert!(max_diff(&r.forward.h_b, &f.h_b) > 1e-3);
}

#[test]
fn receptive_field_structure_matches_the_jacobian_everywhere() {
    for (h, w, c, seed) in [(3, 4, 2, 1), (4, 3, 3, 2), (5, 5, 1, 3), (2, 6, 4, 4)] {
        let p = Problem::random(h, w, c, seed);
        for i in 0..h {
            for j in 0..w {
                let m = receptive::measured(&p, i, j);
                assert_eq!(
                    m.mask,
                    receptive::structural(h, w, i, j),
                    "({i},{j}) in {h}x{w}x{c}"
                );
                assert_eq!(m.positions(), receptive::structural_size(i, j));
                // Every channel of every position in the field.
                assert_eq!(m.nonzero_entries, (i + 1) * (j + 1) * c);
            }
        }
    }
}

#[test]
fn receptive_field_out_of_range_is_empty() {
    let p = Problem::random(2, 2, 1, 0);
    assert_eq!(receptive::measured(&p, 5, 0).positions(), 0);
}

#[test]
fn flop_formulas_match_the_instrumented_loop() {
    for (h, w, c) in [(1, 1, 1), (2, 3, 1), (4, 5, 2), (3, 2, 5), (6, 7, 8)] {
        let p = Problem::random(h, w, c, 0);
        let (fwd, bwd) = flops::counted(&p);
        let (h, w, c) = (h as u64, w as u64, c as u64);
        assert_eq!(fwd, flops::forward(h, w, c));
        assert_eq!(bwd, flops::backward(h, w, c));
        // The closed forms the content quotes.
        assert_eq!(fwd.total(), 8 * h * w * c * c);
        assert_eq!(bwd.total(), h * w * (16 * c * c + 4 * c));
        assert_eq!(flops::conv3x3(h, w, c), 18 * h * w * c * c);
    }
}

#[test]
fn flop_ratio_is_four_ninths_and_its_variants_depend_on_c() {
    for c in [1, 2, 64, 256] {
        assert!((flops::ratio(c) - 4.0 / 9.0).abs() < 1e-15);
        let nb = 8.0 * c as f64 / (18.0 * c as f64 - 1.0);
        assert!((flops::ratio_conv_without_bias(c) - nb).abs() < 1e-15);
        let t = 4.0 / 9.0 + 19.0 / (9.0 * c as f64);
        assert!((flops::ratio_with_tanh_cost(c, 20) - t).abs() < 1e-12);
    }
}

#[test]
fn cli_report_has_every_key_and_bounds() {
    let c = crate::compute::find("rnn2d").unwrap();
    let r = crate::compute::run(
        c,
        &["h=2".into(), "w=3".into(), "c=2".into()],
        &mut no_progress,
    )
    .unwrap();
    for key in [
        "x",
        "w_hh_a",
        "w_xh_a",
        "w_hh_b",
        "w_yh_b",
        "g",
        "h_a",
        "h_b",
        "grad_x",
        "grad_w_hh_a",
        "grad_w_xh_a",
        "grad_w_hh_b",
        "grad_w_yh_b",
        "flops_forward",
        "flops_conv3x3",
        "flops_backward",
        "seed",
        "h",
        "w",
        "c",
        "grad_check",
    ] {
        assert!(r.json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(r.json["x"].as_array().unwrap().len(), 2);
    assert_eq!(r.json["x"][0].as_array().unwrap().len(), 3);
    assert_eq!(r.json["x"][0][0].as_array().unwrap().len(), 2);
    assert_eq!(r.json["flops_forward"], 8 * 2 * 3 * 4);
    let err = crate::compute::run(
        c,
        &["h=16".into(), "w=128".into(), "c=256".into()],
        &mut no_progress,
    )
    .unwrap_err();
    assert!(
        matches!(err, ComputeError::Shape(ref m) if m.contains("h·w·c")),
        "{err}"
    );
    let err = crate::compute::run(c, &["c=0".into()], &mut no_progress).unwrap_err();
    assert!(err.to_string().contains("`c`"), "{err}");
}

#[test]
fn facts_are_cheap_and_present() {
    let mut f = Facts::new();
    facts(&mut f);
    assert_eq!(f["p6.ratio"], "0.4444");
    assert_eq!(
        f["p6.ex.flops_forward"],
        (8u64 * 32 * 32 * 64 * 64).to_string()
    );
    assert!(f.contains_key("p6.default.grad_check"));
}

#[test]
#[ignore = "prints the facts for writing content"]
fn print_facts() {
    let mut f = Facts::new();
    facts(&mut f);
    for (k, v) in f {
        println!("{k} = {v}");
    }
}

#[test]
fn empty_sizes_do_not_panic() {
    for (h, w, c) in [(0, 0, 0), (2, 3, 0), (0, 3, 2), (3, 0, 2)] {
        let p = Problem::random(h, w, c, 1);
        let f = module::forward(&p.x, &p.weights);
        let g = module::backward(&p.x, &p.weights, &f, &p.g);
        let fb = batched::forward(&p.x, &p.weights);
        let gb = batched::backward(&p.x, &p.weights, &fb, &p.g);
        assert_eq!(f.h_b.dim(), (h, w, c));
        assert_eq!(gb.x.dim(), (h, w, c));
        assert!(grads_diff(&g, &gb) == 0.0);
        let r = grad_check(&p, &g, None, &mut no_progress).unwrap();
        assert_eq!(r.checked, h * w * c + 4 * c * c);
        assert!(r.max_rel_error < 1e-7);
        assert_eq!(receptive::measured(&p, 0, 0).positions(), 0);
        let _ = trace::record(&p);
        let _ = flops::counted(&p);
    }
}

/// The common trace: every step replays from its recorded inputs, every
/// operand links to the step that made it, and the backward steps' ΔW terms
/// sum to the weight gradients (checked against finite differences above).
#[test]
fn common_trace_replays_and_sums_to_the_gradients() {
    for (h, w, c, seed) in [(1, 1, 1, 1), (3, 4, 2, 6), (4, 4, 3, 1), (10, 10, 4, 9)] {
        let p = Problem::random(h, w, c, seed);
        let (f, g, t) = trace::record(&p);
        let common = trace::to_common(&t, &p);
        let r =
            crate::compute::trace::replay(&common).unwrap_or_else(|e| panic!("{h}x{w}x{c}: {e}"));
        assert_eq!(r.steps, 4 * h * w);
        assert_eq!(common.backward_start(), Some(2 * h * w));
        // Only the zero states and the data are given; everything else is linked.
        let linked: usize = common.steps.iter().map(|s| s.reads.len()).sum();
        assert!(linked >= 2 * h * w, "{linked}");
        let mut sums = [
            Mat::zeros((c, c)),
            Mat::zeros((c, c)),
            Mat::zeros((c, c)),
            Mat::zeros((c, c)),
        ];
        for s in &common.steps[2 * h * w..] {
            let a = s.label.starts_with("RNN A");
            let (k_hh, k_in) = if a { (0, 1) } else { (2, 3) };
            sums[k_hh] += &s.output("ΔW_hh").unwrap().matrix();
            sums[k_in] += &s.output("ΔW_in").unwrap().matrix();
        }
        for (sum, want) in sums
            .iter()
            .zip([&g.w_hh_a, &g.w_xh_a, &g.w_hh_b, &g.w_yh_b])
        {
            let d = (sum - want).mapv(f64::abs).fold(0.0f64, |m, v| m.max(*v));
            assert!(d < 1e-12, "{h}x{w}x{c}: {d}");
        }
        // The last forward step is B's last cell, whose h is the output's.
        let last = &common.steps[2 * h * w - 1];
        assert_eq!(
            last.output("h").unwrap().data,
            cell(&f.h_b, h - 1, w - 1).to_vec()
        );
    }
}
