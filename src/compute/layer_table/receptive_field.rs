//! Receptive fields along one spatial axis, computed two independent ways.
//!
//! Square kernels and equal strides make the two axes independent: the input
//! pixels an output location `(y, x)` depends on are `rows(y) × cols(x)`, so
//! everything here works on one axis and the table combines two of them.
//!
//! 1. **Analytic** ([`analytic`]): the usual recurrences
//!    `r_l = r_{l-1} + (k_l - 1)·j_{l-1}`, `j_l = j_{l-1}·s_l`,
//!    `start_l = start_{l-1} - p_l·j_{l-1}`. Output `o` of layer `l` nominally
//!    covers input indices `start_l + o·j_l ..= start_l + o·j_l + r_l - 1`; that
//!    range may hang over the zero padding, which carries no input.
//! 2. **Exact** ([`exact_set`], [`full_per_layer`]): index arithmetic with the
//!    padding made explicit. Output `o` of a layer reads positions
//!    `o·s - p ..= o·s - p + k - 1` of its input; the ones outside
//!    `0..n` are padding and depend on nothing. Following that back to the input
//!    gives the exact set of pixels, including the holes a stride larger than its
//!    kernel leaves.
//!
//! The tests check that the two agree (see `tests` below).

/// One layer's geometry along one axis. ReLU is `k = 1, s = 1, p = 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    pub kernel: u64,
    pub stride: u64,
    pub padding: u64,
}

impl Axis {
    pub const IDENTITY: Axis = Axis {
        kernel: 1,
        stride: 1,
        padding: 0,
    };

    /// Output positions for `n` input positions, `⌊(n + 2p − k)/s⌋ + 1`, or
    /// `None` if the kernel does not fit the padded input (or stride is 0).
    pub fn out_len(&self, n: u64) -> Option<u64> {
        let padded = n.checked_add(self.padding.checked_mul(2)?)?;
        if self.kernel == 0 || self.stride == 0 || self.kernel > padded {
            return None;
        }
        Some((padded - self.kernel) / self.stride + 1)
    }

    /// The (possibly negative, possibly out of range) window of input positions
    /// that output `o` reads: `o·s − p ..= o·s − p + k − 1`.
    fn window(&self, o: usize) -> (i64, i64) {
        // Sizes are bounded by the table (≤ 4096 positions, k, s, p ≤ 255), so
        // these products are far from i64's range.
        let a = o as i64 * self.stride as i64 - self.padding as i64;
        (a, a + self.kernel as i64 - 1)
    }

    /// The window clipped to the real positions `0..n`, or `None` if it lies
    /// entirely in the padding.
    fn real_window(&self, o: usize, n: usize) -> Option<(usize, usize)> {
        let (a, b) = self.window(o);
        let a = a.max(0);
        let b = b.min(n as i64 - 1);
        (a <= b).then_some((a as usize, b as usize))
    }
}

/// Size, jump and offset of a layer's receptive field (the analytic method).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Analytic {
    /// Nominal extent in input pixels, padding included.
    pub size: u64,
    /// Distance in input pixels between neighbouring outputs (product of strides).
    pub jump: u64,
    /// Input index where output 0's nominal field starts (≤ 0: it begins in the padding).
    pub start: i64,
}

impl Analytic {
    pub const INPUT: Analytic = Analytic {
        size: 1,
        jump: 1,
        start: 0,
    };

    /// The nominal input range of output `o`: `start + o·jump ..= … + size − 1`.
    pub fn nominal(&self, o: u64) -> (i64, i64) {
        let lo = self.start + (o * self.jump) as i64;
        (lo, lo + self.size as i64 - 1)
    }

    /// Analytic full-field test: every output's nominal range covers `0..n_in`.
    /// `lo(o)` and `hi(o)` grow with `o`, so only the two border outputs matter:
    /// the first must reach the last input pixel, the last must reach pixel 0.
    pub fn nominally_full(&self, n_in: u64, n_out: u64) -> bool {
        let (_, hi_first) = self.nominal(0);
        let (lo_last, _) = self.nominal(n_out.saturating_sub(1));
        lo_last <= 0 && hi_first >= n_in as i64 - 1
    }

    /// The next layer's field, or `None` on arithmetic overflow.
    pub fn then(&self, axis: Axis) -> Option<Analytic> {
        let grow = (axis.kernel - 1).checked_mul(self.jump)?;
        let shift = i64::try_from(axis.padding.checked_mul(self.jump)?).ok()?;
        let out = Analytic {
            size: self.size.checked_add(grow)?,
            jump: self.jump.checked_mul(axis.stride)?,
            start: self.start.checked_sub(shift)?,
        };
        // Keep `nominal` (which adds o·jump with o ≤ 4096) within i64.
        (out.size < 1 << 40 && out.jump < 1 << 40 && out.start > -(1 << 40)).then_some(out)
    }
}

/// The analytic field of every layer (index 0 is the input itself), or the
/// index of the first layer (1-based) whose field overflows.
pub fn analytic(axes: &[Axis]) -> Result<Vec<Analytic>, usize> {
    let mut out = vec![Analytic::INPUT];
    for (i, axis) in axes.iter().enumerate() {
        let prev = out[out.len() - 1];
        out.push(prev.then(*axis).ok_or(i + 1)?);
    }
    Ok(out)
}

/// Positions along the axis after each layer (index 0 is the input), or the
/// 1-based index of the first layer that does not fit.
pub fn lengths(n_in: u64, axes: &[Axis]) -> Result<Vec<u64>, usize> {
    let mut out = vec![n_in];
    for (i, axis) in axes.iter().enumerate() {
        let n = out[out.len() - 1];
        out.push(axis.out_len(n).ok_or(i + 1)?);
    }
    Ok(out)
}

/// Exact set of input positions that output `o` of layer `layer` (0 = input)
/// depends on, as a mask over `0..n_in`; walks back through the layers,
/// dropping every window position that falls in the padding.
///
/// The caller guarantees `axes` fit `n_in` (see [`lengths`]) and
/// `o < lengths[layer]`; out-of-range requests give an empty set.
pub fn exact_set(n_in: usize, axes: &[Axis], layer: usize, o: usize) -> Vec<bool> {
    let Ok(lens) = lengths(n_in as u64, axes) else {
        return vec![false; n_in];
    };
    if layer >= lens.len() || o as u64 >= lens[layer] {
        return vec![false; n_in];
    }
    let mut set = vec![false; lens[layer] as usize];
    set[o] = true;
    for l in (1..=layer).rev() {
        let n_prev = lens[l - 1] as usize;
        // Mark each window with a difference array, so a layer costs O(n).
        let mut diff = vec![0i32; n_prev + 1];
        for (q, _) in set.iter().enumerate().filter(|(_, s)| **s) {
            if let Some((a, b)) = axes[l - 1].real_window(q, n_prev) {
                diff[a] += 1;
                diff[b + 1] -= 1;
            }
        }
        let mut run = 0;
        set = diff[..n_prev]
            .iter()
            .map(|d| {
                run += d;
                run > 0
            })
            .collect();
    }
    set
}

/// Bitsets of input positions, one per position of a layer, `words` u64 each.
struct Sets {
    words: usize,
    bits: Vec<u64>,
}

impl Sets {
    fn get(&self, q: usize) -> &[u64] {
        &self.bits[q * self.words..(q + 1) * self.words]
    }

    fn len(&self) -> usize {
        self.bits.len() / self.words
    }
}

/// For each layer (index 0 is the input), whether **every** output position
/// along this axis depends on **every** input position; exact, by propagating
/// each position's input set forward.
///
/// A window is a run of at most `k` consecutive positions, so its union is
/// formed in O(1) bitset ORs with the van Herk/Gil-Werman trick (prefix and
/// suffix ORs within blocks of `k`): O(n·n_in/64) per layer, whatever `k` is.
pub fn full_per_layer(n_in: usize, axes: &[Axis]) -> Vec<bool> {
    let words = n_in.div_ceil(64).max(1);
    let mut bits = vec![0u64; n_in * words];
    for i in 0..n_in {
        bits[i * words + i / 64] |= 1 << (i % 64);
    }
    let mut sets = Sets { words, bits };
    let is_full = |s: &Sets| (0..s.len()).all(|q| covers_all(s.get(q), n_in));
    let mut full = vec![n_in > 0 && is_full(&sets)];
    for axis in axes {
        let n_prev = sets.len();
        let Some(n_out) = axis.out_len(n_prev as u64) else {
            break;
        };
        sets = step(&sets, *axis, n_out as usize);
        full.push(is_full(&sets));
    }
    full
}

fn covers_all(set: &[u64], n: usize) -> bool {
    let full_words = n / 64;
    set[..full_words].iter().all(|w| *w == u64::MAX)
        && (n.is_multiple_of(64) || set[full_words] == (1u64 << (n % 64)) - 1)
}

/// One layer of forward propagation: output `o`'s set is the OR of the sets
/// of the real positions in its window.
fn step(prev: &Sets, axis: Axis, n_out: usize) -> Sets {
    let words = prev.words;
    let n = prev.len();
    let k = axis.kernel as usize;
    // prefix[q] = OR of prev[block_start(q) ..= q]; suffix[q] = OR of
    // prev[q ..= min(block_end(q), n − 1)], with blocks [mk, mk + k).
    let mut prefix = prev.bits.clone();
    let mut suffix = prev.bits.clone();
    for q in 1..n {
        if q % k != 0 {
            for w in 0..words {
                prefix[q * words + w] |= prefix[(q - 1) * words + w];
            }
        }
    }
    for q in (0..n.saturating_sub(1)).rev() {
        if (q + 1) % k != 0 {
            for w in 0..words {
                suffix[q * words + w] |= suffix[(q + 1) * words + w];
            }
        }
    }
    let mut bits = vec![0u64; n_out * words];
    for o in 0..n_out {
        let Some((a, b)) = axis.real_window(o, n) else {
            continue;
        };
        let out = &mut bits[o * words..(o + 1) * words];
        // The window [a, b] has at most k positions, so it lies in one block
        // or in two neighbouring ones.
        if a / k != b / k {
            for w in 0..words {
                out[w] = suffix[a * words + w] | prefix[b * words + w];
            }
        } else if a % k == 0 {
            out.copy_from_slice(&prefix[b * words..(b + 1) * words]);
        } else {
            // Same block, not at its start: only a window clipped at the right
            // edge, so b = n − 1 and the suffix ends there too.
            out.copy_from_slice(&suffix[a * words..(a + 1) * words]);
        }
    }
    Sets { words, bits }
}

/// The exact set of every output position of `layer` (for tests and small
/// inputs), by forward propagation; `None` if the layers do not fit.
pub fn all_sets(n_in: usize, axes: &[Axis], layer: usize) -> Option<Vec<Vec<bool>>> {
    let words = n_in.div_ceil(64).max(1);
    let mut bits = vec![0u64; n_in * words];
    for i in 0..n_in {
        bits[i * words + i / 64] |= 1 << (i % 64);
    }
    let mut sets = Sets { words, bits };
    for axis in axes.get(..layer)? {
        let n_out = axis.out_len(sets.len() as u64)?;
        sets = step(&sets, *axis, n_out as usize);
    }
    Some(
        (0..sets.len())
            .map(|q| {
                let s = sets.get(q);
                (0..n_in).map(|i| s[i / 64] >> (i % 64) & 1 == 1).collect()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ax(kernel: u64, stride: u64, padding: u64) -> Axis {
        Axis {
            kernel,
            stride,
            padding,
        }
    }

    fn span(set: &[bool]) -> Option<(usize, usize)> {
        let lo = set.iter().position(|b| *b)?;
        let hi = set.iter().rposition(|b| *b)?;
        Some((lo, hi))
    }

    /// Two "same" 3x3 convs: output 0 nominally covers −2..=2 (size 5), of
    /// which only 0..=2 are real pixels.
    #[test]
    fn two_same_convs_by_hand() {
        let axes = [ax(3, 1, 1), ax(3, 1, 1)];
        let a = analytic(&axes).unwrap();
        assert_eq!(
            a[2],
            Analytic {
                size: 5,
                jump: 1,
                start: -2
            }
        );
        let set = exact_set(8, &axes, 2, 0);
        assert_eq!(span(&set), Some((0, 2)));
        assert_eq!(set.iter().filter(|b| **b).count(), 3);
        let set = exact_set(8, &axes, 2, 4);
        assert_eq!(span(&set), Some((2, 6)));
    }

    /// Stride larger than kernel leaves holes: 1x1 stride 2 then 2x2 stride 1
    /// gives output 0 the pixels {0, 2}: size 3, two of them seen.
    #[test]
    fn holes_when_stride_exceeds_kernel() {
        let axes = [ax(1, 2, 0), ax(2, 1, 0)];
        assert_eq!(analytic(&axes).unwrap()[2].size, 3);
        let set = exact_set(6, &axes, 2, 0);
        assert_eq!(set, vec![true, false, true, false, false, false]);
    }

    /// A window entirely in the padding depends on nothing.
    #[test]
    fn window_in_padding_is_empty() {
        let axes = [ax(1, 1, 2)];
        assert_eq!(lengths(3, &axes).unwrap(), vec![3, 7]);
        assert!(exact_set(3, &axes, 1, 0).iter().all(|b| !b));
        assert!(exact_set(3, &axes, 1, 2).iter().any(|b| *b));
        assert_eq!(full_per_layer(3, &axes), vec![false, false]);
    }

    #[test]
    fn single_pixel_input_is_full_at_once() {
        assert_eq!(full_per_layer(1, &[ax(3, 1, 1)]), vec![true, true]);
    }

    #[test]
    fn overflow_is_reported_with_its_layer() {
        let axes = vec![ax(1, 255, 0); 20];
        assert!(matches!(analytic(&axes), Err(l) if l > 1 && l <= 20));
    }

    #[derive(Debug, Clone)]
    struct Arch {
        n_in: usize,
        axes: Vec<Axis>,
    }

    /// Random architectures that fit their input: sizes 1..=40, up to 8 layers
    /// with kernel 1..=5, stride 1..=4 and padding 0..=3 (so holes, windows in
    /// the padding and dropped borders all occur).
    fn arch() -> impl Strategy<Value = Arch> {
        (
            1usize..=40,
            prop::collection::vec((1u64..=5, 1u64..=4, 0u64..=3), 0..=8),
        )
            .prop_map(|(n_in, raw)| {
                let mut axes = Vec::new();
                let mut n = n_in as u64;
                for (k, s, p) in raw {
                    let a = ax(k, s, p);
                    if let Some(m) = a.out_len(n) {
                        axes.push(a);
                        n = m;
                    }
                }
                Arch { n_in, axes }
            })
    }

    /// No holes and no dropped edge: every stride ≤ its kernel, padding < kernel,
    /// and each layer's last window reaches its input's last real position.
    fn regular(arch: &Arch) -> bool {
        let lens = lengths(arch.n_in as u64, &arch.axes).unwrap();
        arch.axes.iter().zip(&lens).all(|(a, n)| {
            let last = a.out_len(*n).unwrap() - 1;
            a.stride <= a.kernel
                && a.padding < a.kernel
                && last * a.stride + a.kernel > n - 1 + a.padding
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// The analytic and exact methods agree:
        /// - every exact set lies inside its nominal range (clipped to the input);
        /// - an output whose nominal range lies inside the input has exactly that
        ///   range as hull, so the hull size is `rf_size` and neighbours are
        ///   `rf_jump` apart;
        /// - for regular architectures the exact set *is* the clipped range at
        ///   every location, in particular at the border ones, and both methods
        ///   give the same full-field verdict;
        /// - the exact backward walk (one location) equals the forward bitsets
        ///   (all locations), and `full_per_layer` matches them.
        #[test]
        fn analytic_and_exact_agree(arch in arch()) {
            let n = arch.n_in;
            let lens = lengths(n as u64, &arch.axes).unwrap();
            let fields = analytic(&arch.axes).unwrap();
            let full = full_per_layer(n, &arch.axes);
            let regular = regular(&arch);
            for layer in 0..lens.len() {
                let f = fields[layer];
                let all = all_sets(n, &arch.axes, layer).unwrap();
                prop_assert_eq!(all.len() as u64, lens[layer]);
                for (o, set) in all.iter().enumerate() {
                    prop_assert_eq!(set, &exact_set(n, &arch.axes, layer, o));
                    let (lo, hi) = f.nominal(o as u64);
                    for (i, seen) in set.iter().enumerate() {
                        if *seen {
                            prop_assert!(lo <= i as i64 && i as i64 <= hi);
                        } else if regular {
                            prop_assert!(!(lo <= i as i64 && i as i64 <= hi));
                        }
                    }
                    if lo >= 0 && hi < n as i64 {
                        prop_assert_eq!(span(set), Some((lo as usize, hi as usize)));
                    }
                }
                let exact_full = all.iter().all(|s| s.iter().all(|b| *b));
                prop_assert_eq!(full[layer], exact_full);
                if exact_full {
                    prop_assert!(f.nominally_full(n as u64, lens[layer]));
                }
                if regular {
                    prop_assert_eq!(f.nominally_full(n as u64, lens[layer]), exact_full);
                }
            }
        }

        /// A third, independent check: run the layers forward as real 1-D
        /// convolutions (all-ones kernels, zero padding, f64) on a one-hot
        /// input at pixel `x`; output `o` is non-zero exactly when `x` is in
        /// the exact set of `o`.
        #[test]
        fn dense_forward_agrees(arch in arch()) {
            let n = arch.n_in;
            for x in 0..n {
                let mut signal = vec![0.0f64; n];
                signal[x] = 1.0;
                for (l, axis) in arch.axes.iter().enumerate() {
                    let len = axis.out_len(signal.len() as u64).unwrap() as usize;
                    signal = (0..len)
                        .map(|o| {
                            (0..axis.kernel as i64)
                                .map(|t| o as i64 * axis.stride as i64 - axis.padding as i64 + t)
                                .filter(|i| *i >= 0 && (*i as usize) < signal.len())
                                .map(|i| signal[i as usize])
                                .sum()
                        })
                        .collect();
                    let sets = all_sets(n, &arch.axes, l + 1).unwrap();
                    for (o, v) in signal.iter().enumerate() {
                        prop_assert_eq!(*v > 0.0, sets[o][x], "layer {} output {} pixel {}", l + 1, o, x);
                    }
                }
            }
        }

        /// The O(1)-per-window union equals a naive OR over the window, for
        /// inputs wider than one 64-bit word.
        #[test]
        fn van_herk_matches_naive(n in 1usize..=150, k in 1u64..=9, s in 1u64..=4, p in 0u64..=4) {
            let axis = ax(k, s, p);
            prop_assume!(axis.out_len(n as u64).is_some());
            let sets = all_sets(n, &[axis], 1).unwrap();
            for (o, set) in sets.iter().enumerate() {
                let naive: Vec<bool> = (0..n)
                    .map(|i| axis.real_window(o, n).is_some_and(|(a, b)| a <= i && i <= b))
                    .collect();
                prop_assert_eq!(set, &naive);
            }
        }
    }
}
