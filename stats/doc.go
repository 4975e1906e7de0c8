// Package stats provides float64 statistics for checking whether samples
// follow a prior: special functions and distributions, univariate and
// multivariate goodness-of-fit tests, multiple-testing corrections, and the
// prior-matching report.
//
// Every test returns an error, never a panic, when the sample does not fit
// it (too few or too many points, NaN or Inf, constant data). The tests
// against a fully specified law (KolmogorovSmirnov, CramerVonMises,
// AndersonDarling) accept constant data and score it like any sample, so
// that beyond a handful of values they reject it.
//
// # Monte Carlo p-values
//
// A Monte Carlo p-value comes from a fixed number of replicates or from a
// sequential run.
//
// A test with observed statistic t draws replicate statistics T_1, T_2, ...
// under the null hypothesis, and large values count against the null.
//
// Fixed: B replicates, of which g are >= t, give p = (1 + g)/(B + 1).
//
// Sequential, after J. Besag and P. Clifford, "Sequential Monte Carlo
// p-values", Biometrika 78(2) (1991) 301-304: replicates are drawn in
// order and drawing stops at the first L for which h of T_1..T_L are >= t,
// giving p = h/L. When the maximum n is drawn with only g < h such
// replicates, p = (g + 1)/(n + 1), the fixed p-value of those n.
//
// Validity: under the null the observed statistic and the replicates are
// exchangeable, so the rank of t among any l of them is uniform (ties
// counted against t). Then P(p <= h/l) = P(fewer than h of T_1..T_(l-1)
// are >= t) = h/l for l = h..n, and P(p <= (g+1)/(n+1)) = (g + 1)/(n + 1)
// for g < h, so P(p <= a) <= a for every a, with equality on the values p
// can take.
//
// Cost: under the null the chance q that a replicate is >= t is uniform,
// L is about min(h/q, n), and its mean is exactly h (1 + H_n - H_h) with
// H the harmonic numbers, about h (1 + ln(n/h)): 56 for h = 10 and
// n = 999, 72 for n = 5199 and 85 for n = 18399. Far from the null q is
// tiny and all n are drawn, which costs n/B times a fixed run of B.
//
// Power: at a level a = h/l the sequential test rejects exactly when
// fewer than h of the first l - 1 replicates are >= t, which is the
// fixed test with B = l - 1 = h/a - 1 replicates at that level. With
// h = 10 that is B = 199 at a = 0.05, the old default of the report, and
// B = 999 at a = 0.01. Below h/n the test rejects only through the
// (g + 1)/(n + 1) branch, as a fixed test of n replicates would.
//
// # Energy statistic
//
// The energy statistic of Székely and Rizzo, for a sample x_1..x_n and a
// target distribution F with X, X' ~ F independent, is
//
//	E = n (2/n Σ_i E|x_i - X| - E|X - X'| - 1/n² Σ_ij |x_i - x_j|),
//
// n times the V-statistic estimate of the energy distance between the
// sample's distribution and F. The population energy distance is zero only
// when the two distributions are equal.
//
// Sources: G. J. Székely and M. L. Rizzo, "A new test for multivariate
// normality", J. Multivariate Analysis 93 (2005) 58-80; the statistic and
// bootstrap match R package energy 1.7-11, mvnorm.etest, on the fixtures in
// testdata/multivariate.json.
//
// # Epps-Pulley statistic
//
// For a sample y_1..y_n the Epps-Pulley statistic is n times a weighted L²
// distance between the empirical characteristic function
// ψ_n(t) = (1/n) Σ_j exp(i t y_j) and exp(-t²/2), the characteristic
// function of N(0, 1), under the standard normal weight φ:
//
//	T = n ∫ |ψ_n(t) - exp(-t²/2)|² φ(t) dt
//	  = 1 + (2/n) Σ_{j<k} exp(-(y_j - y_k)²/2) - √2 Σ_j exp(-y_j²/4) + n/√3.
//
// This is the statistic of Epps and Pulley (1983) as Baringhaus and Henze
// (1988) extended it to the BHEP family, with tuning parameter β = 1 (the
// weight φ_β is the N(0, β²) density). B. Ebner and N. Henze, "On the
// eigenvalues associated with the limit null distribution of the
// Epps-Pulley test of normality" (arXiv:2109.04897), restate it with the
// divisor-n standardization used here. The closed form follows from
// ∫ cos(at) φ(t) dt = exp(-a²/2). The pairwise sum is exact in O(n M)
// through a power series of M terms (about 30 to 100 for values within a
// few units of 0), and O(n²) for samples with values beyond ±8.
//
// # Report priors other than gaussian and uniform
//
// For the logistic, laplace and exponential priors the report runs:
//
//   - the fully specified per-component tests (ks-prior,
//     anderson-darling-prior, cramer-von-mises-prior) on the values
//     themselves, against PriorByName(prior);
//   - every normality test, per component and multivariate, on the values
//     mapped to N(0, 1) by ToGaussian. Under the null each mapped column is
//     exactly N(0, 1) and the columns are independent, so the mapped matrix
//     is N(0, I). The composite tests keep their level, because N(0, 1) is
//     a member of the normal family. The tests against N(0, I)
//     (energy-prior, sliced-epps-pulley, mean-covariance) and the
//     sphericity test apply as for the Gaussian prior. Together they
//     detect a wrong shape of the mapped marginals and dependence between
//     components, which the marginal tests cannot see.
//
// A value outside the prior's support (a negative value for the
// exponential prior) maps to -Inf; the mapped tests of its column, and the
// multivariate tests, are then listed as unable to run, while the
// specified tests reject it.
package stats
