package graph

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ordergraph/ordergraph/internal/apperr"
)

// decimalScalar is the schema's money scalar: a decimal string, never a number.
const decimalScalar = "Decimal"

// inputCheck is the one check every input value passes, after validation and before
// any resolver runs: each string — in the variables and in the document's literal
// arguments, at any depth — must be valid UTF-8 without NUL bytes (PostgreSQL text
// takes neither), and every Decimal must be a string (GraphQL String literal or JSON
// string). A value that fails is BAD_USER_INPUT naming it by its argument path
// (input.lines.0.sku), as the domain's own errors do, whether it was written in the
// document or passed in a variable. Each variable and each fragment is checked once,
// so the work is linear in the request.
type inputCheck struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = inputCheck{}

func (inputCheck) ExtensionName() string                   { return "InputCheck" }
func (inputCheck) Validate(graphql.ExecutableSchema) error { return nil }

func (c inputCheck) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if op == nil {
		return nil
	}
	types := make(map[string]*ast.Type, len(op.VariableDefinitions))
	for _, d := range op.VariableDefinitions {
		types[d.Variable] = d.Type
	}
	checked := map[string]*apperr.Error{}
	w := literalWalk{seen: map[string]bool{}, frags: fragments(oc.Doc), variable: func(name string) *apperr.Error {
		err, ok := checked[name]
		if !ok {
			err = c.value(oc.Variables[name], types[name], "")
			checked[name] = err
		}
		return err
	}}
	err := w.set(op.SelectionSet)
	if err == nil {
		err = w.directives(op.Directives)
	}
	if err != nil {
		return &gqlerror.Error{Message: err.Message, Err: err}
	}
	return nil
}

// value checks a variable's value v of type t (as decoded from JSON); the error's
// field is the path below the variable, "" for the variable itself.
func (c inputCheck) value(v any, t *ast.Type, path string) *apperr.Error {
	if v == nil || t == nil {
		return nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok { // a single value stands for a list of one
			return c.value(v, t.Elem, path)
		}
		for i, item := range list {
			if err := c.value(item, t.Elem, path+"."+strconv.Itoa(i)); err != nil {
				return err
			}
		}
		return nil
	}
	def := c.schema.Types[t.NamedType]
	if def == nil {
		return nil
	}
	if def.Kind == ast.InputObject {
		m, _ := v.(map[string]any)
		for _, f := range def.Fields {
			if err := c.value(m[f.Name], f.Type, path+"."+f.Name); err != nil {
				return err
			}
		}
		return nil
	}
	s, isString := v.(string)
	if def.Name == decimalScalar && !isString {
		return notDecimal(path, jsonKind(v))
	}
	if isString {
		return checkString(path, s)
	}
	return nil
}

// jsonKind names the JSON type of a decoded value, for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

func notDecimal(field, kind string) *apperr.Error {
	return apperr.Invalid(field, "must be a decimal string such as \"19.99\", not %s", kind)
}

// checkString reports why s cannot be stored as text — a NUL byte or invalid UTF-8 —
// naming field, or returns nil.
func checkString(field, s string) *apperr.Error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return apperr.Invalid(field, "must not contain NUL characters (\\u0000 at byte %d)", i)
	}
	if !utf8.ValidString(s) {
		return apperr.Invalid(field, "must be valid UTF-8")
	}
	return nil
}

// literalWalk checks the arguments of an operation's fields and directives.
type literalWalk struct {
	frags map[string]*ast.FragmentDefinition
	seen  map[string]bool // fragments already checked
	// variable checks the variable name once; its error's field is relative to it.
	variable func(name string) *apperr.Error
}

func (w *literalWalk) set(set ast.SelectionSet) *apperr.Error {
	for _, sel := range set {
		var err *apperr.Error
		switch sel := sel.(type) {
		case *ast.Field:
			if err = w.arguments(sel.Arguments, ""); err == nil {
				if err = w.directives(sel.Directives); err == nil {
					err = w.set(sel.SelectionSet)
				}
			}
		case *ast.InlineFragment:
			if err = w.directives(sel.Directives); err == nil {
				err = w.set(sel.SelectionSet)
			}
		case *ast.FragmentSpread:
			if err = w.directives(sel.Directives); err == nil && !w.seen[sel.Name] {
				w.seen[sel.Name] = true
				if f := w.frags[sel.Name]; f != nil {
					err = w.set(f.SelectionSet)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *literalWalk) directives(ds ast.DirectiveList) *apperr.Error {
	for _, d := range ds {
		if err := w.arguments(d.Arguments, "@"+d.Name+"."); err != nil {
			return err
		}
	}
	return nil
}

func (w *literalWalk) arguments(args ast.ArgumentList, prefix string) *apperr.Error {
	for _, a := range args {
		if err := w.literal(a.Value, prefix+a.Name); err != nil {
			return err
		}
	}
	return nil
}

// fragments indexes doc's fragments by name (the first of duplicates, as
// ast.FragmentDefinitionList.ForName; validation refuses duplicates anyway).
func fragments(doc *ast.QueryDocument) map[string]*ast.FragmentDefinition {
	m := make(map[string]*ast.FragmentDefinition, len(doc.Fragments))
	for _, f := range doc.Fragments {
		if _, ok := m[f.Name]; !ok {
			m[f.Name] = f
		}
	}
	return m
}

// literal checks a value of the document, and the variables it refers to.
func (w *literalWalk) literal(v *ast.Value, path string) *apperr.Error {
	if v == nil || v.Kind == ast.NullValue {
		return nil
	}
	if v.Kind == ast.Variable {
		if w.variable == nil {
			return nil
		}
		if err := w.variable(v.Raw); err != nil {
			return apperr.Invalid(path+err.Field, "%s", err.Message)
		}
		return nil
	}
	if v.Definition != nil && v.Definition.Name == decimalScalar && v.Kind != ast.StringValue && v.Kind != ast.BlockValue {
		kind := map[ast.ValueKind]string{ast.ObjectValue: "an object", ast.ListValue: "a list",
			ast.BooleanValue: "a boolean", ast.EnumValue: "an enum value"}[v.Kind]
		if kind == "" {
			kind = "a number"
		}
		if v.Kind != ast.ListValue || v.ExpectedType == nil || v.ExpectedType.Elem == nil {
			return notDecimal(path, kind)
		}
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		return checkString(path, v.Raw)
	case ast.ListValue:
		for i, c := range v.Children {
			if err := w.literal(c.Value, fmt.Sprintf("%s.%d", path, i)); err != nil {
				return err
			}
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			if err := w.literal(c.Value, path+"."+c.Name); err != nil {
				return err
			}
		}
	}
	return nil
}
