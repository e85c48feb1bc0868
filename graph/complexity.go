package graph

import (
	"github.com/ordergraph/ordergraph/graph/generated"
	"github.com/ordergraph/ordergraph/graph/model"
)

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
	c.Query.Products = func(child int, first *int, _ *string, _ *model.ProductFilter) int { return pageCost(child, first) }
	c.Query.Customers = func(child int, first *int, _ *string, _ *model.CustomerFilter) int { return pageCost(child, first) }
	c.Query.Orders = func(child int, first *int, _ *string, _ *model.OrderFilter, _ *model.OrderOrder) int {
		return pageCost(child, first)
	}
	c.Query.Invoices = func(child int, first *int, _ *string, _ *model.InvoiceFilter) int { return pageCost(child, first) }
	c.Customer.Orders = func(child int, first *int, _ *string) int { return pageCost(child, first) }
}
