package graph

import (
	"fmt"
	"strings"
)

// attackShape builds a document of about n repetitions of one expensive pattern.
type attackShape struct {
	name  string
	build func(n int) string
}

func rep(n int, f func(i int) string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(f(i))
		b.WriteByte(' ')
	}
	return b.String()
}

var attackShapes = []attackShape{
	{"repeated field", func(n int) string { return "query Q { " + rep(n, func(int) string { return "__typename" }) + "}" }},
	{"repeated alias", func(n int) string {
		return "{ " + rep(n, func(int) string { return "a: __typename" }) + "}"
	}},
	{"distinct aliases", func(n int) string {
		return "{ " + rep(n, func(i int) string { return fmt.Sprintf("a%d: __typename", i) }) + "}"
	}},
	{"repeated subselection", func(n int) string {
		return "{ " + rep(n/3, func(int) string { return "me { id email }" }) + "}"
	}},
	{"conflicting arguments", func(n int) string {
		return "{ " + rep(n/6, func(i int) string { return fmt.Sprintf("products(first: %d) { totalCount }", i%2+1) }) + "}"
	}},
	{"many fragments", func(n int) string {
		return "{ " + rep(n/3, func(i int) string { return fmt.Sprintf("...F%d", i) }) + "} " +
			rep(n/3, func(i int) string { return fmt.Sprintf("fragment F%d on Query { __typename }", i) })
	}},
	{"many fragments distinct", func(n int) string {
		return "{ " + rep(n/3, func(i int) string { return fmt.Sprintf("...F%d", i) }) + "} " +
			rep(n/3, func(i int) string { return fmt.Sprintf("fragment F%d on Query { a%d: __typename }", i, i) })
	}},
	{"fragments spreading each other", func(n int) string {
		// F_i spreads F_{i-1} twice: 2^depth fields from a few tokens.
		depth := n / 350
		s := "{ ...F" + fmt.Sprint(depth) + " } fragment F0 on Query { __typename } "
		for i := 1; i <= depth; i++ {
			s += fmt.Sprintf("fragment F%d on Query { ...F%d ...F%d } ", i, i-1, i-1)
		}
		return s
	}},
	{"many inline fragments", func(n int) string {
		return "{ " + rep(n/4, func(int) string { return "... on Query { __typename }" }) + "}"
	}},
	{"fragment chain", func(n int) string {
		// F_i spreads F_{i-1} once, inside a field: deep through fragments.
		s := "{ ...F" + fmt.Sprint(n/12) + " } fragment F0 on Query { __typename } "
		for i := 1; i <= n/12; i++ {
			s += fmt.Sprintf("fragment F%d on Query { me { id } ...F%d } ", i, i-1)
		}
		return s
	}},
	{"deep nesting", func(n int) string {
		return "{ " + strings.Repeat("me { memberships { user { ", n/6) + "id" + strings.Repeat(" } } }", n/6) + " }"
	}},
	{"huge argument list", func(n int) string {
		return "{ products(" + rep(n/2, func(int) string { return "first: 1" }) + ") { totalCount } }"
	}},
	{"huge list literal", func(n int) string {
		return "{ orders(filter: {status: [" + rep(n, func(int) string { return "PENDING" }) + "]}) { totalCount } }"
	}},
	{"many operations", func(n int) string {
		return rep(n/3, func(i int) string { return fmt.Sprintf("query Q%d { __typename }", i) })
	}},
	{"many directives", func(n int) string {
		return "{ __typename " + rep(n/4, func(int) string { return "@include(if: true)" }) + "}"
	}},
	{"many variables", func(n int) string {
		return "query Q(" + rep(n/2, func(i int) string { return fmt.Sprintf("$v%d: Int", i) }) + ") { __typename }"
	}},
}
