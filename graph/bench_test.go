package graph_test

import (
	"fmt"
	"testing"
)

// BenchmarkOrdersPage executes the READ of `make bench` (a page of 50 orders with
// every relation) over real HTTP against one store. Allocations per operation are a
// steadier regression signal than throughput on a shared machine:
//
//	go test ./graph -run '^$' -bench OrdersPage -benchmem -cpuprofile cpu.out
func BenchmarkOrdersPage(b *testing.B) {
	e := newEnv(b)
	_, c := e.owner(b)
	for i := range 20 {
		e.newProduct(b, c, fmt.Sprintf("B%d", i), "4.20", 1_000_000)
	}
	for i := range 50 {
		e.ok(b, c, nil, createOrder, map[string]any{"in": orderInput(fmt.Sprintf("b-%d", i),
			line(fmt.Sprintf("B%d", i%20), 1), line(fmt.Sprintf("B%d", (i+1)%20), 2), line(fmt.Sprintf("B%d", (i+2)%20), 1))})
	}
	const q = `{ orders(first: 50) { edges { node { id number status createdAt total { amount currencyCode }
		customer { id email name } lines { quantity unitPrice { amount } total { amount } product { id sku name } }
		payments { status amount { amount } } invoice { number status } } } } }`
	b.ReportAllocs()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if r := e.do(b, c, q, nil); len(r.Errors) > 0 {
				b.Fatal(r.Errors)
			}
		}
	})
	// 32 concurrent clients, as in make bench: ns/op is the inverse of throughput
	// when every core is busy, which is what the goroutines gqlgen starts cost.
	b.Run("concurrent", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if r := e.do(b, c, q, nil); len(r.Errors) > 0 {
					b.Error(r.Errors)
					return
				}
			}
		})
	})
}
