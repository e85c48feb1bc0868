package model

import (
	"github.com/ordergraph/ordergraph/internal/alert"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/product"
)

// Connections keep the filter they were listed with, so totalCount, which costs a
// count query, runs only when a client selects it.

// OrderConnection is a page of orders.
type OrderConnection struct {
	Edges    []*OrderEdge
	PageInfo *PageInfo
	Params   order.ListParams
}

// ProductConnection is a page of products.
type ProductConnection struct {
	Edges    []*ProductEdge
	PageInfo *PageInfo
	Filter   product.ListFilter
}

// CustomerConnection is a page of customers.
type CustomerConnection struct {
	Edges    []*CustomerEdge
	PageInfo *PageInfo
	Search   string
}

// InvoiceConnection is a page of invoices.
type InvoiceConnection struct {
	Edges    []*InvoiceEdge
	PageInfo *PageInfo
	Statuses []string
}

// AlertConnection is a page of alerts.
type AlertConnection struct {
	Edges    []*AlertEdge
	PageInfo *PageInfo
	Filter   alert.Filter
}
