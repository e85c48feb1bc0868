package graph

import "github.com/ordergraph/ordergraph/graph/generated"

// pageCost is the complexity of a connection: its children times the page size, so a
// first: 100 page of a deep selection costs what it will really cost.
func pageCost(child int, first *int) int {
	n := 20
	if first != nil && *first > 0 {
		n = *first
	}
	return 1 + child*n
}

func setComplexity(c *generated.ComplexityRoot) {
	c.Query.Users = func(child int, first *int, _ *string) int { return pageCost(child, first) }
}
