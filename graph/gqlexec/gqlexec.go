// Package gqlexec holds leaner counterparts of gqlgen's execution helpers, which
// `make generate` makes the generated executor call (internal/gqlgenpatch). One
// request's fields and list elements are resolved one after another in the request's
// goroutine instead of a goroutine each, and a field costs fewer allocations.
//
// Why: this API's resolvers do not wait on I/O per object — the dataloaders fetch
// every relation of a page in one query the first time any object asks — so the
// goroutines gqlgen starts (one per list element and per resolver field, ~350 for a
// page of 50 orders) only cost CPU: creation, stack growth, scheduling and the
// synchronisation around them. Under load, when every core is busy, serial execution
// answers more requests per second with the same number of SQL statements.
package gqlexec

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// MarshalSlice marshals the elements of a list in order, in the calling goroutine.
// It has the signature and the semantics of graphql.MarshalSliceConcurrently: each
// element gets a field context carrying its index, and a panic in an element (unless
// omitPanicHandler) is reported as an error and marshals that element as null.
func MarshalSlice(ctx context.Context, length int, _ int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		ret[i] = marshalRecovering(childCtx, i, marshalElement)
	}
	return ret
}

func marshalRecovering(ctx context.Context, i int, marshal func(ctx context.Context, i int) graphql.Marshaler) (m graphql.Marshaler) {
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			m = graphql.Null
		}
	}()
	return marshal(ctx, i)
}

// Resolve resolves field i of out at once, in the calling goroutine, where
// (*graphql.FieldSet).ResolveConcurrently would schedule it for out.Dispatch. The
// result and its accounting are the same: a panic (when recoverFromPanic) is reported
// and resolves to null, and a result that invalidates the enclosing object (null for
// a non-null field) is counted in out.Invalids. A deferred field (@defer) is handed to
// ResolveConcurrently, with the object's deferred group created on first use (the
// generated code no longer creates one per object: it computes the response path).
func Resolve(ctx context.Context, field graphql.CollectedField, out *graphql.FieldSet,
	oc *graphql.OperationContext, deferred *graphql.DeferredGroup, i int, recoverFromPanic, nonNull bool,
	resolve func(ctx context.Context) graphql.Marshaler) {
	if field.IsDeferred() {
		if deferred.FieldSet == nil {
			*deferred = graphql.NewDeferredGroup(ctx)
		}
		out.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
		return
	}
	var v graphql.Marshaler
	if recoverFromPanic {
		v = resolveRecovering(ctx, oc, resolve)
	} else {
		v = resolve(ctx)
	}
	out.Values[i] = v
	if nonNull && v == graphql.Null || !nonNull && v == graphql.RequiredNull {
		out.Invalids++
	}
}

func resolveRecovering(ctx context.Context, oc *graphql.OperationContext, resolve func(ctx context.Context) graphql.Marshaler) (v graphql.Marshaler) {
	defer func() {
		if r := recover(); r != nil {
			oc.Error(ctx, oc.Recover(ctx, r))
			v = graphql.Null
		}
	}()
	return resolve(ctx)
}

// Object marshals an object's collected fields and their values as a JSON object,
// like (*graphql.FieldSet).MarshalGQL but without a map and two closures per object.
// A response key that appears twice (possible when fragments on different types
// select the same alias) is written once, the first time, as gqlgen does.
func Object(fields []graphql.CollectedField, values []graphql.Marshaler) graphql.Marshaler {
	return &object{fields: fields, values: values}
}

type object struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

func (o *object) MarshalGQL(w io.Writer) {
	io.WriteString(w, "{")
	for i := range o.fields {
		alias := o.fields[i].Alias
		if o.seen(i, alias) {
			continue
		}
		if i > 0 {
			io.WriteString(w, ",")
		}
		// An alias is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*): nothing to escape.
		io.WriteString(w, `"`)
		io.WriteString(w, alias)
		io.WriteString(w, `":`)
		o.values[i].MarshalGQL(w)
	}
	io.WriteString(w, "}")
}

// seen says whether a field before i has the response key alias. Objects have a
// handful of fields, so a scan beats a map.
func (o *object) seen(i int, alias string) bool {
	for j := range i {
		if o.fields[j].Alias == alias {
			return true
		}
	}
	return false
}

// ResolveField resolves one field like graphql.ResolveField, with the same arguments,
// results and errors, and fewer allocations per field:
//
//   - plain fields and getters (neither resolvers nor carrying directives) are read
//     directly, without the operation's field middleware: field interceptors
//     (handler.Server.AroundFields) see resolver fields only;
//   - the field context keeps the resolver's result as it came, instead of boxing it
//     again.
func ResolveField[T any](
	ctx context.Context,
	oc *graphql.OperationContext,
	field graphql.CollectedField,
	initializeFieldContext func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error),
	fieldResolver func(ctx context.Context) (any, error),
	middlewareChain func(ctx context.Context, next graphql.Resolver) graphql.Resolver,
	marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler,
	recoverFromPanic bool,
	nonNull bool,
) (ret graphql.Marshaler) {
	fc, err := initializeFieldContext(ctx, field)
	if err != nil {
		return graphql.Null
	}
	ctx = graphql.WithFieldContext(ctx, fc)
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				oc.Error(ctx, oc.Recover(ctx, r))
				ret = graphql.Null
			}
		}()
	}

	var res any
	if fc.IsResolver || middlewareChain != nil {
		res, ctx, err = resolveThroughMiddleware(ctx, oc, fieldResolver, middlewareChain)
	} else {
		res, err = fieldResolver(ctx)
	}
	if err != nil {
		oc.Error(ctx, graphql.AddFieldLocationToError(ctx, err))
		if fc.NonNull && !nonNull {
			return graphql.RequiredNull
		}
		return graphql.Null
	}
	if res == nil {
		if nonNull || fc.NonNull {
			graphql.AddInvalidNullError(ctx, "")
		}
		if fc.NonNull && !nonNull {
			return graphql.RequiredNull
		}
		return graphql.Null
	}
	if v, ok := res.(T); ok {
		fc.Result = res
		return marshal(ctx, field.Selections, v)
	}
	if m, ok := res.(graphql.Marshaler); ok {
		fc.Result = res
		return m
	}
	var want T
	graphql.AddErrorf(ctx, `unexpected type %T from middleware/directive chain, should be %T`, res, want)
	return graphql.Null
}

// resolveThroughMiddleware runs a resolver field through its directives and the
// operation's field middleware, and returns the context its children resolve in
// (the one the middleware passed on).
func resolveThroughMiddleware(ctx context.Context, oc *graphql.OperationContext,
	fieldResolver func(ctx context.Context) (any, error),
	middlewareChain func(ctx context.Context, next graphql.Resolver) graphql.Resolver) (any, context.Context, error) {
	childCtx := ctx
	next := func(rctx context.Context) (any, error) {
		childCtx = rctx
		return fieldResolver(rctx)
	}
	if middlewareChain != nil {
		next = middlewareChain(ctx, next)
	}
	res, err := oc.ResolverMiddleware(ctx, next)
	return res, childCtx, err
}

// NewScalarFieldContext is graphql.NewScalarFieldContext with its Child callback
// (which only ever fails: validation rejects sub-selections on a scalar) shared per
// type name instead of a closure per field.
func NewScalarFieldContext(objectName string, field graphql.CollectedField, isMethod, isResolver bool,
	typeName string) (*graphql.FieldContext, error) {
	return &graphql.FieldContext{Object: objectName, Field: field, IsMethod: isMethod, IsResolver: isResolver,
		Child: noChildFields(typeName)}, nil
}

type childFunc = func(context.Context, graphql.CollectedField) (*graphql.FieldContext, error)

var noChildFieldsByType sync.Map // type name → childFunc

func noChildFields(typeName string) childFunc {
	if f, ok := noChildFieldsByType.Load(typeName); ok {
		return f.(childFunc)
	}
	err := errors.New("field of type " + typeName + " does not have child fields")
	f, _ := noChildFieldsByType.LoadOrStore(typeName, childFunc(func(context.Context, graphql.CollectedField) (*graphql.FieldContext, error) {
		return nil, err
	}))
	return f.(childFunc)
}
