package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

const depthLimitCode = "DEPTH_LIMIT_EXCEEDED"

// depthLimit refuses operations nested deeper than max fields (fragments count at the
// depth they are spread). Complexity limits bound breadth; this bounds recursion
// through cycles such as order → customer → orders → ….
type depthLimit int

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit(0)

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if d <= 0 || oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, 0); depth > int(d) {
		err := gqlerror.Errorf("operation is nested %d levels deep, more than the limit of %d", depth, int(d))
		err.Extensions = map[string]any{"code": depthLimitCode}
		return err
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, visited int) int {
	if visited > 100 { // fragment cycles are invalid anyway; never recurse forever
		return visited
	}
	max := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				d = 1
			} else {
				d = 1 + selectionDepth(s.SelectionSet, visited+1)
			}
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, visited+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, visited+1)
			}
		}
		if d > max {
			max = d
		}
	}
	return max
}
