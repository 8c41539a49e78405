package cli

// nearest returns the candidate closest to name, for "did you mean …?",
// or "" when none is close: at most 2 edits (a swap of two neighbouring
// letters is one), a quarter of the name for long names, fewer edits than
// the name has letters; or name is the start of exactly one candidate.
func nearest(name string, candidates []string) string {
	limit := max(2, len(name)/4)
	best, bestDist := "", limit+1
	prefixOf := ""
	for _, c := range candidates {
		if len(name) >= 2 && len(name) < len(c) && c[:len(name)] == name {
			if prefixOf == "" {
				prefixOf = c
			} else {
				prefixOf = "-" // more than one: not a hint
			}
		}
		if d := editDistance(name, c, limit); d < bestDist && d < len(name) {
			best, bestDist = c, d
		}
	}
	if best == "" && prefixOf != "" && prefixOf != "-" {
		return prefixOf
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b
// (insertions, deletions, substitutions, transpositions of neighbours),
// or limit+1 when it is certainly larger than limit. Names are short: the
// inputs are bounded by the command line.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit || len(a) > 64 || len(b) > 64 {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
