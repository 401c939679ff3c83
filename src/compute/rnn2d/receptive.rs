//! Receptive field of output cell (i, j): which input positions can influence
//! H^B[i,j] by the structure of the scans, and which do, measured from the
//! Jacobian dH^B[i,j]/dX.
//!
//! Structure: H^B[i,j] depends on Y[0..=i, j] (B scans down column j), and each
//! Y[p,j] = H^A[p,j] depends on X[p, 0..=j] (A scans along row p). So the field
//! is the rectangle rows 0..=i × columns 0..=j: (i + 1)(j + 1) positions, all C
//! channels of each.

use ndarray::Array2;

use super::{Image, Problem, module};

/// Number of input positions in the field of zero-based output cell (i, j).
pub fn structural_size(i: usize, j: usize) -> usize {
    (i + 1) * (j + 1)
}

/// mask[p, q] is true when X[p, q, ·] can influence H^B[i, j].
pub fn structural(h: usize, w: usize, i: usize, j: usize) -> Array2<bool> {
    Array2::from_shape_fn((h, w), |(p, q)| p <= i && q <= j)
}

/// Measured field: the rows of the Jacobian dH^B[i,j,·]/dX, one backward pass
/// per output channel with G = one-hot at (i, j, k).
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// mask[p, q]: some channel of X[p, q] has a non-zero derivative.
    pub mask: Array2<bool>,
    /// How many (p, q, channel) entries of X have a non-zero derivative.
    pub nonzero_entries: usize,
}

impl Measured {
    pub fn positions(&self) -> usize {
        self.mask.iter().filter(|&&m| m).count()
    }
}

/// Out-of-range (i, j) gives an empty field.
pub fn measured(p: &Problem, i: usize, j: usize) -> Measured {
    let (hh, ww, c) = p.x.dim();
    let mut influence = Image::zeros((hh, ww, c));
    if i < hh && j < ww {
        let fwd = module::forward(&p.x, &p.weights);
        for k in 0..c {
            let mut g = Image::zeros((hh, ww, c));
            g[[i, j, k]] = 1.0;
            let grads = module::backward(&p.x, &p.weights, &fwd, &g);
            // Exact zeros: a cell outside the field only ever receives products of
            // zero, so "non-zero" needs no tolerance (weights are generic random).
            influence.zip_mut_with(&grads.x, |acc, &d| {
                if d != 0.0 {
                    *acc = 1.0;
                }
            });
        }
    }
    let mask = Array2::from_shape_fn((hh, ww), |(p, q)| {
        (0..c).any(|k| influence[[p, q, k]] != 0.0)
    });
    Measured {
        mask,
        nonzero_entries: influence.iter().filter(|&&v| v != 0.0).count(),
    }
}
