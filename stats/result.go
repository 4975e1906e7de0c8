package stats

// Result is the outcome of one hypothesis test.
type Result struct {
	Statistic float64
	PValue    float64
}
