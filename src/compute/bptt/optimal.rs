//! The optimal checkpointing schedule of this cost model (5b), and the
//! binomial counts behind it.
//!
//! Model: reversing the states `h_{lo+1} … h_{lo+n}` (latest first) from a
//! held `h_lo` with `m` slots, where visiting `h_t` needs `h_t` alone (see
//! [`super::schedule`]). Any schedule's first stored state sits at some
//! `lo + j`; the states after it are then reversed from `h_{lo+j}` with one
//! slot fewer, `h_{lo+j}` is visited, and the states before it are reversed
//! again from `h_lo` with all `m` slots:
//!
//! `Opt(0, m) = 0`, `Opt(n, 0) = ∞`, `Opt(n, m) = min_j j + Opt(n − j, m − 1) + Opt(j − 1, m)`.
//!
//! The tests check that recurrence against a search over every legal
//! schedule. Its closed form is Griewank's: with `N(m, r) = C(m + r, m) − 1`,
//! the most states `m` slots reverse when no state is computed more than `r`
//! times (`N(m, r) = N(m − 1, r) + 1 + N(m, r − 1)`, Pascal's rule), and the
//! repetition number `r = min { r : N(m, r) ≥ n }`,
//!
//! `Opt(n, m) = r (n + 1) − C(m + r, m + 1)`,
//!
//! which is Griewank's `t(l, s) = r l − β(s + 1, r − 1)` at `l = n + 1`, `s = m`:
//! the free `h_0` plays the part of revolve's initial checkpoint.

use super::schedule::Op;

/// Binomials are exact up to this bound and saturate above it; every
/// comparison below involves numbers at most a few million times smaller.
const CAP: u128 = 1 << 100;

/// `C(n, k)`, saturating at [`CAP`]. Costs `min(k, n − k)` steps, and stops
/// early once the partial products `C(n − k + i, i)` (increasing) pass the cap.
pub fn binomial(n: u64, k: u64) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    let base = u128::from(n - k);
    let mut c: u128 = 1;
    for i in 1..=u128::from(k) {
        // C(base + i, i) = C(base + i − 1, i − 1) · (base + i) / i, exact.
        c = c * (base + i) / i;
        if c >= CAP {
            return CAP;
        }
    }
    c
}

/// `N(m, r) = C(m + r, m) − 1` (`0` for `r = 0` or `m = 0`).
pub fn reach(m: u64, r: u64) -> u128 {
    binomial(m + r, m) - 1
}

/// Smallest `r ≤ hint` with `N(m, r) ≥ n`, searching down from `hint`
/// (which must satisfy `N(m, hint) ≥ n`). Children of a task need at most
/// two steps down, so this is O(1) binomials per task.
fn repetition_below(n: u64, m: u64, hint: u64) -> u64 {
    let mut r = hint;
    while r > 0 && reach(m, r - 1) >= u128::from(n) {
        r -= 1;
    }
    r
}

/// The repetition number `r = min { r : N(m, r) ≥ n }`; `None` when `m = 0`
/// and `n > 0` (nothing can be held).
pub fn repetition(n: u64, m: u64) -> Option<u64> {
    if n == 0 {
        return Some(0);
    }
    if m == 0 {
        return None;
    }
    if m == 1 {
        return Some(n); // N(1, r) = r
    }
    // N(m, r) ≥ r·m ≥ r for m ≥ 1, so r = n always suffices: binary search.
    let (mut lo, mut hi) = (1u64, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if reach(m, mid) >= u128::from(n) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(lo)
}

/// Forward steps of the optimal schedule: `r (n + 1) − C(m + r, m + 1)`.
pub fn optimal_forward(n: u64, m: u64) -> Option<u64> {
    let r = repetition(n, m)?;
    if n == 0 {
        return Some(0);
    }
    // C(m + r, m + 1) = C(m + r, m) · r / (m + 1); C(m + r, m) < (n + 1)(m + 1)
    // because C(m + r − 1, m) < n + 1, so nothing saturates here.
    let sub = binomial(m + r, m) * u128::from(r) / u128::from(m + 1);
    u64::try_from(u128::from(r) * u128::from(n + 1) - sub).ok()
}

/// Size `a` of the part left of the first checkpoint (`j = a + 1`) for
/// reversing `n ≥ 1` states with `m ≥ 1` slots at repetition number `r`.
///
/// A first checkpoint is optimal exactly when the left part can be done at
/// repetition `r − 1` and the right part at `r` with one slot fewer, without
/// either being so small that the other exceeds its bound:
/// `a ∈ [max(N(m, r−2), n−1−N(m−1, r)), min(N(m, r−1), n−1−N(m−1, r−1))]`.
/// We take the largest `a` (the tests check that range against the
/// dynamic programme).
pub fn first_split(n: u64, m: u64, r: u64) -> u64 {
    debug_assert!(n >= 1 && m >= 1 && r >= 1);
    let left_max = reach(m, r - 1);
    let right_min = reach(m - 1, r - 1);
    // n − 1 − N(m−1, r−1) ≥ 0 because N(m−1, r−1) ≤ N(m, r−1) < n.
    let by_right = u128::from(n - 1).saturating_sub(right_min);
    left_max.min(by_right) as u64
}

/// Range of optimal left sizes `a` (both ends included), for the tests and
/// the text.
pub fn split_range(n: u64, m: u64, r: u64) -> (u64, u64) {
    let below = |x: u64| if x == 0 { 0 } else { reach(m, x - 1) };
    let lo = below(r - 1).max(u128::from(n - 1).saturating_sub(reach(m - 1, r)));
    (lo as u64, first_split(n, m, r))
}

enum Task {
    /// Reverse `h_{lo+1} … h_{lo+n}` from the held `h_lo` with `m` slots;
    /// `r` is the repetition number (or an upper bound of it).
    Reverse { lo: u64, n: u64, m: u64, r: u64 },
    /// Visit the stored checkpoint `h_t`, then free it.
    VisitFree { t: u64 },
}

/// Emit the optimal schedule for `t` steps and `m ≥ 1` slots. Returns the
/// largest number of pending tasks, which is at most `2 min(m, t) + 1`:
/// the schedule streams in O(m) memory whatever `t` is (no recursion, so no
/// stack depth either).
pub fn emit(t: u64, m: u64, sink: &mut dyn FnMut(Op)) -> usize {
    let Some(r) = repetition(t, m) else {
        return 0;
    };
    let mut stack = vec![Task::Reverse { lo: 0, n: t, m, r }];
    let mut most = 1;
    while let Some(task) = stack.pop() {
        match task {
            Task::VisitFree { t } => {
                sink(Op::Backward { t });
                sink(Op::Free { t });
            }
            Task::Reverse { n: 0, .. } => {}
            Task::Reverse { lo, n, m, r } => {
                let r = repetition_below(n, m, r);
                let a = first_split(n, m, r);
                let j = a + 1;
                sink(Op::Forward {
                    from: lo,
                    to: lo + j,
                });
                // The left part is within repetition r − 1 (a ≤ N(m, r − 1)).
                let left = Task::Reverse {
                    lo,
                    n: a,
                    m,
                    r: r.saturating_sub(1),
                };
                if j == n {
                    // Nothing after h_{lo+n}: visit the cursor directly.
                    sink(Op::Backward { t: lo + j });
                    stack.push(left);
                } else {
                    sink(Op::Store { t: lo + j });
                    stack.push(left);
                    stack.push(Task::VisitFree { t: lo + j });
                    stack.push(Task::Reverse {
                        lo: lo + j,
                        n: n - j,
                        m: m - 1,
                        r,
                    });
                }
                most = most.max(stack.len());
            }
        }
    }
    most
}

/// Griewank's classic count, for the model the literature uses: reverse step
/// `t` needs `h_{t−1}` and re-evaluates step `t` itself (so every checkpointing
/// schedule pays `T` extra steps), with `s = M − 1` checkpoints besides the
/// state being computed: `T + r T − C(s + r, s + 1)`, `r = min { r : C(s + r, s) ≥ T }`.
pub fn classic_revolve_forward(t: u64, slots: u64) -> Option<u64> {
    if t == 0 {
        return Some(0);
    }
    if slots < 2 {
        return (t == 1).then_some(1);
    }
    let s = slots - 1;
    // C(s + r, s) ≥ T  ⟺  N(s, r) ≥ T − 1.
    let r = repetition(t - 1, s)?;
    let sub = binomial(s + r, s) * u128::from(r) / u128::from(s + 1);
    u64::try_from(u128::from(t) * u128::from(r + 1) - sub).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomials() {
        assert_eq!(binomial(5, 2), 10);
        assert_eq!(binomial(40, 20), 137_846_528_820);
        assert_eq!(binomial(3, 5), 0);
        assert_eq!(binomial(2_000_000, 1_000_000), CAP);
        assert_eq!(reach(3, 0), 0);
        assert_eq!(reach(0, 7), 0);
        // N(m, r) = N(m − 1, r) + 1 + N(m, r − 1).
        for m in 1..20 {
            for r in 1..20 {
                assert_eq!(reach(m, r), reach(m - 1, r) + 1 + reach(m, r - 1));
            }
        }
    }

    #[test]
    fn repetition_is_the_least_sufficient_r() {
        for m in 1..12u64 {
            for n in 0..300u64 {
                let r = repetition(n, m).unwrap();
                assert!(reach(m, r) >= u128::from(n));
                assert!(r == 0 || reach(m, r - 1) < u128::from(n), "{n} {m}");
            }
        }
        assert_eq!(repetition(5, 0), None);
        assert_eq!(repetition(1_000_000, 1), Some(1_000_000));
    }

    #[test]
    fn classic_count_is_the_old_models_optimum() {
        // The classic model by DP: reversing n steps with m slots costs 1
        // for n = 1, else min_j j + C(n − j, m − 1) + C(j, m).
        let (n_max, m_max) = (150usize, 7usize);
        let inf = u64::MAX / 4;
        let mut opt = vec![vec![inf; m_max + 1]; n_max + 1];
        for slot in opt[1].iter_mut().skip(1) {
            *slot = 1;
        }
        for n in 2..=n_max {
            for m in 2..=m_max {
                opt[n][m] = (1..n)
                    .map(|j| j as u64 + opt[n - j][m - 1] + opt[j][m])
                    .min()
                    .unwrap_or(inf);
            }
        }
        for (n, row) in opt.iter().enumerate().skip(1) {
            for (m, best) in row.iter().enumerate().skip(2) {
                assert_eq!(
                    classic_revolve_forward(n as u64, m as u64),
                    Some(*best),
                    "n={n} m={m}"
                );
            }
        }
    }
}
