package exec_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ordergraph/ordergraph/graph/exec"
)

// opContext is the context a field resolves in: an operation that records errors.
func opContext() (context.Context, *graphql.OperationContext) {
	oc := &graphql.OperationContext{
		RecoverFunc:        func(_ context.Context, v any) error { return fmt.Errorf("recovered: %v", v) },
		ResolverMiddleware: func(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) },
	}
	ctx := graphql.WithOperationContext(context.Background(), oc)
	ctx = graphql.WithResponseContext(ctx, graphql.DefaultErrorPresenter, oc.RecoverFunc)
	return graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "Query", Field: graphql.CollectedField{Field: &ast.Field{Alias: "list"}}}), oc
}

func marshal(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

func TestMarshalSliceInOrderWithIndexes(t *testing.T) {
	ctx, _ := opContext()
	got := exec.MarshalSlice(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		return graphql.MarshalInt(*graphql.GetFieldContext(ctx).Index * 10)
	})
	assert.Equal(t, "[0,10,20]", marshal(got))
}

func TestMarshalSliceRecoversAnElementPanic(t *testing.T) {
	ctx, _ := opContext()
	got := exec.MarshalSlice(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		if i == 1 {
			panic("boom")
		}
		return graphql.MarshalInt(i)
	})
	assert.Equal(t, "[0,null,2]", marshal(got))
	errs := graphql.GetErrors(ctx)
	require.Len(t, errs, 1)
	assert.Equal(t, "recovered: boom", errs[0].Message)
	assert.Equal(t, ast.Path{ast.PathName("list"), ast.PathIndex(1)}, errs[0].Path)
}

func TestDeferHandsTheFieldToAGroupCreatedForIt(t *testing.T) {
	ctx, oc := opContext()
	fields := []graphql.CollectedField{{Field: &ast.Field{Alias: "a"}}, {Field: &ast.Field{Alias: "b"}, Deferrables: []*graphql.Deferrable{{Label: "later"}}}}
	out := exec.NewObject(fields)
	var deferred graphql.DeferredGroup
	out.Values[0] = graphql.MarshalInt(0)
	assert.Nil(t, deferred.FieldSet, "no deferred group without a deferred field")
	exec.Defer(ctx, out, oc, &deferred, 1, true, true, func(context.Context) graphql.Marshaler { return graphql.MarshalInt(1) })
	assert.Equal(t, graphql.Null, out.Values[1], "sent later, not in the initial payload")
	require.NotNil(t, deferred.FieldSet)
	assert.Contains(t, deferred.Defers, "later")
	assert.Equal(t, ast.Path{ast.PathName("list")}, deferred.Path)
	assert.Equal(t, uint32(0), out.Invalids)
}

func TestObjectWritesEachResponseKeyOnce(t *testing.T) {
	fields := []graphql.CollectedField{{Field: &ast.Field{Alias: "id"}}, {Field: &ast.Field{Alias: "n"}}, {Field: &ast.Field{Alias: "id"}}}
	values := []graphql.Marshaler{graphql.MarshalString("x"), graphql.MarshalInt(2), graphql.MarshalString("dup")}
	o := exec.NewObject(fields)
	copy(o.Values, values)
	assert.Equal(t, `{"id":"x","n":2}`, marshal(o))
	assert.Equal(t, `{}`, marshal(exec.NewObject(nil)))
	var sb strings.Builder // any io.Writer, not only the executor's bytes.Buffer
	o.MarshalGQL(&sb)
	assert.Equal(t, `{"id":"x","n":2}`, sb.String())
}

// resolveWith runs how (ResolveField or ResolvePlainField) for a field "f" of Go type
// T whose resolver is fr and whose marshaler is m.
func resolveWith[T any](how func(context.Context, *graphql.OperationContext, graphql.CollectedField,
	func(context.Context, graphql.CollectedField) (*graphql.FieldContext, error),
	func(context.Context) (any, error),
	func(context.Context, graphql.Resolver) graphql.Resolver,
	func(context.Context, ast.SelectionSet, T) graphql.Marshaler, bool, bool) graphql.Marshaler,
	ctx context.Context, oc *graphql.OperationContext, isResolver, nonNull bool,
	fr func(context.Context) (any, error), m func(T) graphql.Marshaler) graphql.Marshaler {
	field := graphql.CollectedField{Field: &ast.Field{Alias: "f", Name: "f"}}
	return how(ctx, oc, field,
		func(context.Context, graphql.CollectedField) (*graphql.FieldContext, error) {
			return exec.NewScalarFieldContext("Obj", field, false, isResolver, "String")
		},
		fr, nil,
		func(_ context.Context, _ ast.SelectionSet, v T) graphql.Marshaler { return m(v) },
		true, nonNull)
}

// returning is a resolver that returns v and err.
func returning(v any, err error) func(context.Context) (any, error) {
	return func(context.Context) (any, error) { return v, err }
}

// resolve runs ResolveField for a String field named "f" whose resolver returns v and err.
func resolve(ctx context.Context, oc *graphql.OperationContext, isResolver, nonNull bool, v any, err error) graphql.Marshaler {
	return resolveWith(exec.ResolveField[string], ctx, oc, isResolver, nonNull, returning(v, err), graphql.MarshalString)
}

func TestResolveFieldResults(t *testing.T) {
	ctx, oc := opContext()
	assert.Equal(t, `"x"`, marshal(resolve(ctx, oc, false, true, "x", nil)))
	assert.Equal(t, `"m"`, marshal(resolve(ctx, oc, false, true, graphql.MarshalString("m"), nil)), "a Marshaler passes through")
	assert.Empty(t, graphql.GetErrors(ctx))

	assert.Equal(t, graphql.Null, resolve(ctx, oc, false, false, nil, nil), "nullable and null: no error")
	assert.Empty(t, graphql.GetErrors(ctx))

	assert.Equal(t, graphql.Null, resolve(ctx, oc, false, true, nil, nil))
	assert.Equal(t, graphql.Null, resolve(ctx, oc, true, true, nil, errors.New("denied")))
	assert.Equal(t, graphql.Null, resolve(ctx, oc, false, true, 42, nil))
	errs := graphql.GetErrors(ctx)
	require.Len(t, errs, 3)
	assert.Contains(t, errs[0].Message, "cannot return null for non-null field Obj.f")
	assert.Equal(t, "denied", errs[1].Message)
	assert.Equal(t, ast.Path{ast.PathName("list"), ast.PathName("f")}, errs[1].Path)
	assert.Contains(t, errs[2].Message, "unexpected type int")
}

func TestResolveFieldRecoversAPanic(t *testing.T) {
	ctx, oc := opContext()
	got := resolveWith(exec.ResolveField[string], ctx, oc, false, true,
		func(context.Context) (any, error) { panic("boom") }, graphql.MarshalString)
	assert.Equal(t, graphql.Null, got)
	require.Len(t, graphql.GetErrors(ctx), 1)
	assert.Equal(t, "recovered: boom", graphql.GetErrors(ctx)[0].Message)
}

// The lean path runs a field's directives, not the operation's field middleware (a
// pass-through when it is taken: see TestLean).
func TestResolveFieldRunsDirectives(t *testing.T) {
	ctx, oc := opContext()
	field := graphql.CollectedField{Field: &ast.Field{Alias: "f", Name: "f"}}
	var directiveSaw string
	got := exec.ResolveField(ctx, oc, field,
		func(context.Context, graphql.CollectedField) (*graphql.FieldContext, error) {
			return exec.NewScalarFieldContext("Obj", field, false, true, "String")
		},
		func(context.Context) (any, error) { return "v", nil },
		func(ctx context.Context, next graphql.Resolver) graphql.Resolver {
			return func(ctx context.Context) (any, error) {
				res, err := next(ctx)
				directiveSaw, _ = res.(string)
				return res, err
			}
		},
		func(_ context.Context, _ ast.SelectionSet, s string) graphql.Marshaler {
			return graphql.MarshalString(s)
		},
		true, true)
	assert.Equal(t, `"v"`, marshal(got))
	assert.Equal(t, "v", directiveSaw)
}

// Lean tells gqlgen's pass-through field middleware from a chain with a field
// interceptor, as gqlgen's executor sets them up.
func TestLean(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Name: "t.graphqls", Input: "type Query { a: Int }"})
	opFor := func(e *executor.Executor) *graphql.OperationContext {
		oc, errs := e.CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: "{ a }"})
		require.Nil(t, errs)
		return oc
	}
	plain := executor.New(fakeSchema{schema})
	assert.True(t, exec.Lean(opFor(plain)), "no extensions")
	plain.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler { return next(ctx) })
	plain.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler { return next(ctx) })
	assert.True(t, exec.Lean(opFor(plain)), "interceptors of operations and root fields only")

	around := executor.New(fakeSchema{schema})
	around.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) })
	assert.False(t, exec.Lean(opFor(around)), "AroundFields")
	_, oc := opContext() // a hand-made pass-through is not gqlgen's: the safe answer
	assert.False(t, exec.Lean(oc))
}

type fakeSchema struct{ s *ast.Schema }

func (f fakeSchema) Schema() *ast.Schema { return f.s }
func (fakeSchema) Complexity(context.Context, string, string, int, map[string]any) (int, bool) {
	return 0, false
}
func (fakeSchema) Exec(context.Context) graphql.ResponseHandler { return nil }

func TestScalarFieldContextHasNoChildren(t *testing.T) {
	fc, err := exec.NewScalarFieldContext("Obj", graphql.CollectedField{}, true, false, "Decimal")
	require.NoError(t, err)
	_, err = fc.Child(context.Background(), graphql.CollectedField{})
	assert.EqualError(t, err, "field of type Decimal does not have child fields")
	assert.True(t, fc.IsMethod)
	assert.False(t, fc.IsResolver)
}

// resolvePlain runs ResolvePlainField for a non-null field "f" of Go type T whose
// resolver returns v and err.
func resolvePlain[T any](ctx context.Context, oc *graphql.OperationContext, v any, err error, m func(T) graphql.Marshaler) graphql.Marshaler {
	return resolveWith(exec.ResolvePlainField[T], ctx, oc, false, true, returning(v, err), m)
}

func TestResolvePlainField(t *testing.T) {
	ctx, oc := opContext()
	str := func(s string) graphql.Marshaler { return graphql.MarshalString(s) }
	assert.Equal(t, `"x"`, marshal(resolvePlain(ctx, oc, "x", nil, str)))
	assert.Equal(t, `7`, marshal(resolvePlain(ctx, oc, int64(7), nil, graphql.MarshalInt64)))
	type named struct{ S string } // not a basic type: the ordinary path
	assert.Equal(t, `"n"`, marshal(resolvePlain(ctx, oc, named{"n"}, nil, func(n named) graphql.Marshaler { return graphql.MarshalString(n.S) })))
	assert.Empty(t, graphql.GetErrors(ctx))

	// Failures are reported on the field's own path, also for basic types.
	for name, c := range map[string]struct {
		v    any
		err  error
		m    func(string) graphql.Marshaler
		want string
	}{
		"error":          {nil, errors.New("nope"), str, "nope"},
		"null":           {nil, nil, str, "cannot return null"},
		"panic on nil":   {nil, nil, func(string) graphql.Marshaler { panic("boom") }, "cannot return null"},
		"panic on value": {"y", nil, func(string) graphql.Marshaler { panic("boom") }, "recovered: boom"},
	} {
		ctx, oc := opContext()
		assert.Equal(t, graphql.Null, resolvePlain(ctx, oc, c.v, c.err, c.m), name)
		errs := graphql.GetErrors(ctx)
		require.Len(t, errs, 1, name)
		assert.Contains(t, errs[0].Message, c.want, name)
		assert.Equal(t, ast.Path{ast.PathName("list"), ast.PathName("f")}, errs[0].Path, name)
	}

	field := graphql.CollectedField{Field: &ast.Field{Alias: "f"}}
	withDirective := func() {
		exec.ResolvePlainField(ctx, oc, field, nil, nil,
			func(ctx context.Context, next graphql.Resolver) graphql.Resolver { return next },
			func(context.Context, ast.SelectionSet, string) graphql.Marshaler { return nil }, true, true)
	}
	assert.Panics(t, withDirective, "a field with directives is not plain")
}

func TestFieldsCacheCollectsOncePerOperation(t *testing.T) {
	oc := &graphql.OperationContext{}
	sel := ast.SelectionSet{&ast.Field{Name: "a", Alias: "a"}, &ast.Field{Name: "b", Alias: "x"},
		&ast.Field{Name: "a", Alias: "a"}} // the same response key twice: merged
	satisfies := []string{"Obj"}
	want := graphql.CollectFields(oc, sel, satisfies)
	require.Len(t, want, 2)

	var c exec.FieldsCache // the zero value is ready
	first := c.Collect(oc, sel, satisfies)
	assert.Equal(t, want, first)
	// gqlgen caches per operation context too: ask with a fresh one, which only this
	// cache can answer with the same slice.
	again := c.Collect(&graphql.OperationContext{}, sel, satisfies)
	assert.Same(t, &first[0], &again[0], "answered from the cache")
	// Another selection set, or the same one for another type, is another entry.
	assert.Len(t, c.Collect(oc, sel[:1], satisfies), 1)
	assert.Equal(t, graphql.CollectFields(oc, sel, []string{"Other"}), c.Collect(oc, sel, []string{"Other"}))
	assert.Empty(t, c.Collect(oc, nil, satisfies))
}

func TestObjectOfManyFields(t *testing.T) {
	var fields []graphql.CollectedField
	want := "{"
	for i := range 9 {
		fields = append(fields, graphql.CollectedField{Field: &ast.Field{Alias: fmt.Sprintf("f%d", i)}})
		if i > 0 {
			want += ","
		}
		want += fmt.Sprintf(`"f%d":%d`, i, i)
	}
	o := exec.NewObject(fields)
	require.Len(t, o.Values, 9)
	for i := range o.Values {
		o.Values[i] = graphql.MarshalInt(i)
	}
	assert.Equal(t, want+"}", marshal(o))
}

// A recycled response buffer comes back empty, whatever it held.
func TestResponseBufferComesBackEmpty(t *testing.T) {
	for range 100 {
		b := exec.ResponseBuffer()
		if b.Len() != 0 {
			t.Fatalf("ResponseBuffer returned %d bytes of an earlier response", b.Len())
		}
		b.WriteString(`{"orders":{"edges":[]}}`)
		exec.RecycleResponse(b.Bytes())
	}
	exec.RecycleResponse(nil) // error responses have no data
	// Too big to keep: left to the GC. Kept, it would be the next buffer handed out in
	// this goroutine, once the one it holds now is taken.
	_ = exec.ResponseBuffer()
	exec.RecycleResponse(make([]byte, 10, 2<<20))
	if b := exec.ResponseBuffer(); b.Len() != 0 || b.Cap() >= 2<<20 {
		t.Fatalf("ResponseBuffer returned %d bytes in a buffer of %d", b.Len(), b.Cap())
	}
}
