package stats

import (
	"fmt"
	"math"
	"sort"
)

// AUROC returns the area under the ROC curve of a score that should be
// larger for positives than for negatives: P(S_pos > S_neg) +
// P(S_pos = S_neg)/2 over all pairs, which is the Mann-Whitney U statistic
// of the positives divided by len(negative)·len(positive). It is computed
// exactly, ties included, from the midranks of the pooled sample in
// O((m+n) log(m+n)).
//
// Special cases: an empty group or a NaN score returns an error; ±Inf
// scores are ranked like any other value.
func AUROC(negative, positive []float64) (float64, error) {
	m, n := len(negative), len(positive)
	if m == 0 || n == 0 {
		return math.NaN(), fmt.Errorf("stats: AUROC: needs at least one negative and one positive score, got %d and %d", m, n)
	}
	type scored struct {
		v   float64
		pos bool
	}
	all := make([]scored, 0, m+n)
	for i, v := range negative {
		if math.IsNaN(v) {
			return math.NaN(), fmt.Errorf("stats: AUROC: negative score %d is NaN", i)
		}
		all = append(all, scored{v, false})
	}
	for i, v := range positive {
		if math.IsNaN(v) {
			return math.NaN(), fmt.Errorf("stats: AUROC: positive score %d is NaN", i)
		}
		all = append(all, scored{v, true})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })

	// Sum the midranks (1-based) of the positives.
	rankSum := 0.0
	for lo := 0; lo < len(all); {
		hi := lo + 1
		for hi < len(all) && all[hi].v == all[lo].v {
			hi++
		}
		mid := float64(lo+hi+1) / 2
		for _, s := range all[lo:hi] {
			if s.pos {
				rankSum += mid
			}
		}
		lo = hi
	}
	u := rankSum - float64(n)*float64(n+1)/2
	return u / (float64(m) * float64(n)), nil
}
