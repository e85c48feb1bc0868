package graph

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// FuzzCheckString: a string passes exactly when PostgreSQL text can hold it.
func FuzzCheckString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x00b", "\x00", "\xff", "\xed\xa0\x80", "é", "\ufffd", "\U0010ffff", "\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := checkString("f", s)
		ok := utf8.ValidString(s) && !strings.ContainsRune(s, 0)
		if (err == nil) != ok {
			t.Fatalf("checkString(%q) = %v", s, err)
		}
		if err != nil && err.Field != "f" {
			t.Fatalf("field %q", err.Field)
		}
	})
}

// FuzzLiteralCheck: whatever a client writes inside a GraphQL string literal (escapes
// included), the literal check passes only strings PostgreSQL text can hold, and never
// panics.
func FuzzLiteralCheck(f *testing.F) {
	for _, s := range []string{`abc`, `\u0000`, `a\u0000b`, `\uD800`, `\uDBFF\uDFFF`, `\u{0}`, `\u{10FFFF}`, `\xff`, "\xff", `\"`, `\\u0000`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := parser.ParseQuery(&ast.Source{Input: `{ products(filter: {search: "` + s + `"}) { totalCount } }`})
		if err != nil {
			return
		}
		for _, op := range doc.Operations {
			w := literalWalk{frags: fragments(doc), seen: map[string]bool{}}
			werr := w.set(op.SelectionSet)
			walkStrings(op.SelectionSet, func(v string) {
				if werr == nil && (!utf8.ValidString(v) || strings.ContainsRune(v, 0)) {
					t.Fatalf("literal %q passed the check", v)
				}
			})
		}
	})
}

func walkStrings(set ast.SelectionSet, f func(string)) {
	var value func(v *ast.Value)
	value = func(v *ast.Value) {
		if v == nil {
			return
		}
		if v.Kind == ast.StringValue || v.Kind == ast.BlockValue {
			f(v.Raw)
		}
		for _, c := range v.Children {
			value(c.Value)
		}
	}
	for _, sel := range set {
		if fl, ok := sel.(*ast.Field); ok {
			for _, a := range fl.Arguments {
				value(a.Value)
			}
			walkStrings(fl.SelectionSet, f)
		}
	}
}
