package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

const (
	// sizeLimitCode is the code of a document refused by sizeLimit.
	sizeLimitCode = "QUERY_TOO_LARGE"
	// DefaultMaxTokens bounds the lexer: a document of more tokens is not parsed.
	DefaultMaxTokens = 15000
	// DefaultMaxNodes bounds a document's size with every fragment spread expanded
	// (see documentSize).
	DefaultMaxNodes = 2000
	// DefaultMaxMergeCost bounds the pairs of fields and fragments that validation
	// compares (see mergeCost): a hundred fields of one name in one object, or a
	// hundred fragments spread into one.
	DefaultMaxMergeCost = 10000
)

// sizeLimit refuses a document that is too large before gqlgen validates it.
//
// GraphQL validation is not linear in the document: OverlappingFieldsCanBeMerged
// compares every pair of fields that share a response name, and fragments let a few
// tokens stand for an exponential number of fields, which the depth and complexity
// limits then walk. So the size that counts is the expanded one, and it is measured
// on a parse of our own, in time linear in the document, before the validator runs.
// A document the query cache already holds was measured and validated before and is
// not parsed again.
type sizeLimit struct {
	maxTokens, maxNodes, maxMergeCost int
	cache                             graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = sizeLimit{}

func (sizeLimit) ExtensionName() string                   { return "SizeLimit" }
func (sizeLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l sizeLimit) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if l.maxNodes <= 0 || p.Query == "" {
		return nil
	}
	if _, ok := l.cache.Get(ctx, p.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.maxTokens)
	if err != nil {
		return nil // gqlgen's own parse reports it, with its code
	}
	n, cycle := documentSize(doc, l.maxNodes)
	if cycle != "" {
		// Validation would refuse it too, but only after the quadratic rules ran on it.
		e := gqlerror.Errorf("Cannot spread fragment %q within itself.", cycle)
		e.Rule = "NoFragmentCycles"
		errcode.Set(e, errcode.ValidationFailed)
		return e
	}
	if n > l.maxNodes {
		return tooLarge("the document has more than %d fields, arguments and values (fragments counted where they are spread)", l.maxNodes)
	}
	if l.maxMergeCost > 0 && mergeCost(doc, l.maxMergeCost) > l.maxMergeCost {
		return tooLarge("the document repeats a field name or spreads fragments into one object too often (more than %d pairs to compare)", l.maxMergeCost)
	}
	return nil
}

func tooLarge(format string, args ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, args...)
	e.Extensions = map[string]any{"code": sizeLimitCode}
	return e
}

// documentSize counts the nodes of doc — selections, arguments, directives, variable
// definitions and literal values — as if every fragment spread were replaced by the
// fragment, for every operation, plus the fragment definitions themselves. It is the
// upper bound of the work that validating and planning the document walks through.
// Each fragment is measured once, so the count takes time linear in the document
// whatever the expansion; counts saturate at max+1. cycle names a fragment that
// spreads itself (the document is invalid and the count meaningless).
func documentSize(doc *ast.QueryDocument, max int) (n int, cycle string) {
	s := sizer{max: max, frags: fragments(doc), memo: map[string]int{}}
	for _, op := range doc.Operations {
		n = s.add(n, 1+len(op.VariableDefinitions))
		for _, v := range op.VariableDefinitions {
			n = s.add(n, s.value(v.DefaultValue))
		}
		n = s.add(n, s.directives(op.Directives))
		n = s.add(n, s.set(op.SelectionSet))
	}
	for _, f := range doc.Fragments {
		n = s.add(n, 1+s.directives(f.Directives))
		n = s.add(n, s.set(f.SelectionSet))
	}
	return n, s.cycle
}

type sizer struct {
	max   int
	frags map[string]*ast.FragmentDefinition
	memo  map[string]int // expanded size per fragment name; -1 while it is measured
	cycle string
}

func (s *sizer) add(a, b int) int {
	if a+b > s.max {
		return s.max + 1
	}
	return a + b
}

func (s *sizer) set(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			n = s.add(n, 1)
			for _, a := range sel.Arguments {
				n = s.add(n, 1+s.value(a.Value))
			}
			n = s.add(n, s.directives(sel.Directives))
			n = s.add(n, s.set(sel.SelectionSet))
		case *ast.InlineFragment:
			n = s.add(n, 1+s.directives(sel.Directives))
			n = s.add(n, s.set(sel.SelectionSet))
		case *ast.FragmentSpread:
			n = s.add(n, 1+s.directives(sel.Directives))
			n = s.add(n, s.fragment(sel.Name))
		}
		if n > s.max {
			break
		}
	}
	return n
}

func (s *sizer) fragment(name string) int {
	if n, ok := s.memo[name]; ok {
		if n < 0 {
			s.cycle = name
			return s.max + 1
		}
		return n
	}
	f, ok := s.frags[name]
	if !ok {
		return 0 // unknown: validation refuses it
	}
	s.memo[name] = -1
	n := s.add(s.directives(f.Directives), s.set(f.SelectionSet))
	s.memo[name] = n
	return n
}

func (s *sizer) directives(ds ast.DirectiveList) int {
	n := 0
	for _, d := range ds {
		n = s.add(n, 1)
		for _, a := range d.Arguments {
			n = s.add(n, 1+s.value(a.Value))
		}
	}
	return n
}

func (s *sizer) value(v *ast.Value) int {
	if v == nil {
		return 0
	}
	n := 1
	for _, c := range v.Children {
		n = s.add(n, s.value(c.Value))
		if n > s.max {
			break
		}
	}
	return n
}

// mergeCost estimates the work of validating that doc's fields merge
// (OverlappingFieldsCanBeMerged): every pair of fields that share a response name in
// one response object is compared, and so is every pair of fragments spread into it.
// Summing, over the response objects of the expanded document, the squares of how
// often each response name and how many fragment spreads occur there counts those
// pairs. It walks the expanded document: call it only once documentSize has bounded
// that. Counts saturate at max+1.
func mergeCost(doc *ast.QueryDocument, max int) int {
	s := sizer{max: max, frags: fragments(doc)}
	n := 0
	for _, op := range doc.Operations {
		n = s.add(n, s.merge([]ast.SelectionSet{op.SelectionSet}))
	}
	for _, f := range doc.Fragments {
		n = s.add(n, s.merge([]ast.SelectionSet{f.SelectionSet}))
	}
	return n
}

// merge is mergeCost for the response object that sets are merged into.
func (s *sizer) merge(sets []ast.SelectionSet) int {
	counts := map[string]int{}
	children := map[string][]ast.SelectionSet{}
	var names []string // in order of first appearance, for a deterministic walk
	spreads := 0
	var collect func(set ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				name := sel.Alias
				if name == "" {
					name = sel.Name
				}
				if counts[name] == 0 {
					names = append(names, name)
				}
				counts[name]++
				if len(sel.SelectionSet) > 0 {
					children[name] = append(children[name], sel.SelectionSet)
				}
			case *ast.InlineFragment:
				collect(sel.SelectionSet)
			case *ast.FragmentSpread:
				spreads++
				if f, ok := s.frags[sel.Name]; ok {
					collect(f.SelectionSet)
				}
			}
		}
	}
	for _, set := range sets {
		collect(set)
	}
	n := s.add(0, spreads*spreads)
	for _, name := range names {
		k := counts[name]
		n = s.add(n, k*k)
		if n > s.max {
			return n
		}
		if len(children[name]) > 0 {
			n = s.add(n, s.merge(children[name]))
		}
	}
	return n
}
