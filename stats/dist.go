package stats

// Continuous is a fully specified continuous distribution on the real line,
// as the one-sample tests against a given distribution need it.
type Continuous interface {
	PDF(x float64) float64
	CDF(x float64) float64
	Survival(x float64) float64    // 1 - CDF(x), accurate in the upper tail
	LogCDF(x float64) float64      // log CDF(x), finite far into the lower tail
	LogSurvival(x float64) float64 // log Survival(x), finite far into the upper tail
	Quantile(p float64) float64    // inverse of CDF for p in (0, 1)
}
