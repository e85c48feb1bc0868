// Package exec holds the execution helpers that graph/generated calls: the
// executor's templates (graph/generate/templates, copies of gqlgen's) emit calls to
// them where gqlgen's own templates call graphql.ResolveField, MarshalSliceConcurrently,
// CollectFields, NewFieldSet and NewDeferredGroup. One request's fields and list
// elements are resolved one after another in the request's goroutine instead of a
// goroutine each (root fields excepted), and a field costs fewer allocations.
//
// Why: this API's resolvers do not wait on I/O per object — the dataloaders fetch
// every relation of a page in one query the first time any object asks — so the
// goroutines gqlgen starts (one per list element and per resolver field, ~350 for a
// page of 50 orders) only cost CPU: creation, stack growth, scheduling and the
// synchronisation around them. Under load, when every core is busy, serial execution
// answers more requests per second with the same number of SQL statements.
//
// Field interceptors (handler.Server.AroundFields, extensions implementing
// graphql.FieldInterceptor, e.g. tracing) see every field: when an operation has
// one (Lean is false), fields are resolved by gqlgen's graphql.ResolveField.
package exec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// MarshalSlice marshals the elements of a list in order, in the calling goroutine.
// It has the signature and the semantics of graphql.MarshalSliceConcurrently: each
// element gets a field context carrying its index, and a panic in an element (unless
// omitPanicHandler) is reported as an error and marshals that element as null.
func MarshalSlice(ctx context.Context, length int, _ int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	// The elements' field contexts and indexes in two allocations for the whole list.
	fcs, indexes := make([]graphql.FieldContext, length), make([]int, length)
	for i := range length {
		indexes[i] = i
		fcs[i].Index = &indexes[i]
		childCtx := graphql.WithFieldContext(ctx, &fcs[i])
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

// Defer hands field i of out, a field with @defer, to the object's deferred group,
// creating the group on first use: gqlgen's generated code creates one per object,
// which computes the object's response path even when nothing is deferred (a fifth of
// the allocations of a page). The field is scheduled as
// (*graphql.FieldSet).ResolveConcurrently schedules it, with its panic guard and
// invalids accounting, and is null in the initial response. ctx must be the object's
// context (the group's payloads carry its path).
func Defer(ctx context.Context, out *Object, oc *graphql.OperationContext, deferred *graphql.DeferredGroup,
	i int, recoverFromPanic, nonNull bool, resolve func(ctx context.Context) graphql.Marshaler) {
	if deferred.FieldSet == nil {
		*deferred = graphql.NewDeferredGroup(ctx)
	}
	// ResolveConcurrently leaves the deferred field's own set alone but for its slot.
	graphql.NewFieldSet(out.fields).ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
	out.Values[i] = graphql.Null
}

// Object is an object being resolved and then written: its collected fields, their
// values and how many of those invalidate it. It stands in for graphql.FieldSet in
// the generated marshalers of non-root objects, in one allocation instead of three
// (field set, values, writer) for the handful of fields most objects have. The
// generated code stores each field's value in Values and counts in Invalids the
// values that make the object null.
type Object struct {
	fields   []graphql.CollectedField
	Values   []graphql.Marshaler
	Invalids uint32
	small    [6]graphql.Marshaler
}

// NewObject returns the Object for fields.
func NewObject(fields []graphql.CollectedField) *Object {
	o := &Object{fields: fields}
	if len(fields) <= len(o.small) {
		o.Values = o.small[:len(fields)]
	} else {
		o.Values = make([]graphql.Marshaler, len(fields))
	}
	return o
}

// MarshalGQL writes the object as JSON like (*graphql.FieldSet).MarshalGQL, without
// its map and two closures per object. A response key that appears twice (possible
// when fragments on different types select the same alias) is written once, the
// first time, as gqlgen does.
func (o *Object) MarshalGQL(w io.Writer) {
	// The executor writes the response into a bytes.Buffer: calling it directly,
	// instead of through io.Writer four times per field, is a tenth of the time here.
	b, ok := w.(*bytes.Buffer)
	if !ok {
		var buf bytes.Buffer
		defer func() { w.Write(buf.Bytes()) }()
		b = &buf
	}
	b.WriteByte('{')
	for i := range o.fields {
		alias := o.fields[i].Alias
		if o.seen(i, alias) {
			continue
		}
		if i > 0 {
			b.WriteByte(',')
		}
		// An alias is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*): nothing to escape.
		b.WriteByte('"')
		b.WriteString(alias)
		b.WriteString(`":`)
		o.Values[i].MarshalGQL(b)
	}
	b.WriteByte('}')
}

// seen says whether a field before i has the response key alias. Objects have a
// handful of fields, so a scan beats a map.
func (o *Object) seen(i int, alias string) bool {
	for j := range i {
		if o.fields[j].Alias == alias {
			return true
		}
	}
	return false
}

// ResolveField resolves one field like graphql.ResolveField, with the same arguments,
// results and errors, for an operation without field interceptors (Lean: the
// generated code calls graphql.ResolveField otherwise), with fewer allocations: the
// operation's field middleware, a pass-through then, is not called, and the field
// context keeps the resolver's result as it came instead of boxing it again. The
// generated code calls it for resolvers and fields with directives, and
// ResolvePlainField for the others.
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
) graphql.Marshaler {
	run := direct(fieldResolver)
	if middlewareChain != nil {
		run = func(ctx context.Context) (any, context.Context, error) {
			return resolveThroughDirectives(ctx, fieldResolver, middlewareChain)
		}
	}
	return resolve(ctx, oc, field, initializeFieldContext, run, marshal, recoverFromPanic, nonNull)
}

// Lean says whether oc's field middleware is gqlgen's pass-through, i.e. the server
// has no field interceptor: then a field need not go through it, and plain fields
// may skip their field context. gqlgen's executor sets OperationContext.ResolverMiddleware
// to the same function value (a closure without captures) for every operation of a
// server without field interceptors, and to a chain of closures otherwise.
func Lean(oc *graphql.OperationContext) bool {
	return reflect.ValueOf(oc.ResolverMiddleware).Pointer() == passThrough
}

// passThrough is the code of gqlgen's pass-through field middleware, taken from an
// executor without extensions (TestLean checks that it is told apart).
var passThrough = func() uintptr {
	es := probeSchema{gqlparser.MustLoadSchema(&ast.Source{Name: "probe.graphqls", Input: "type Query { a: Int }"})}
	oc, errs := executor.New(es).CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: "{ a }"})
	if errs != nil {
		panic("graph/exec: probing gqlgen's field middleware: " + errs.Error())
	}
	return reflect.ValueOf(oc.ResolverMiddleware).Pointer()
}()

// probeSchema is an executable schema for passThrough, which only creates an
// operation context with it.
type probeSchema struct{ schema *ast.Schema }

func (s probeSchema) Schema() *ast.Schema { return s.schema }
func (probeSchema) Complexity(context.Context, string, string, int, map[string]any) (int, bool) {
	return 0, false
}
func (probeSchema) Exec(context.Context) graphql.ResponseHandler { return nil }

// direct runs a field's resolver as it is; its children resolve in the field's context.
func direct(fieldResolver func(ctx context.Context) (any, error)) func(ctx context.Context) (any, context.Context, error) {
	return func(ctx context.Context) (any, context.Context, error) {
		res, err := fieldResolver(ctx)
		return res, ctx, err
	}
}

// resolveThroughDirectives runs a field through its directives and returns the
// context its children resolve in (the one the directives passed on).
func resolveThroughDirectives(ctx context.Context,
	fieldResolver func(ctx context.Context) (any, error),
	middlewareChain func(ctx context.Context, next graphql.Resolver) graphql.Resolver) (any, context.Context, error) {
	childCtx := ctx
	next := middlewareChain(ctx, func(rctx context.Context) (any, error) {
		childCtx = rctx
		return fieldResolver(rctx)
	})
	res, err := next(ctx)
	return res, childCtx, err
}

// resolve is the resolution of one field shared by ResolveField and
// ResolvePlainField, as gqlgen does it: the field's context, the panic guard, run
// (the resolver, which also gives the context the children resolve in) and the
// result handed to finishField.
func resolve[T any](
	ctx context.Context,
	oc *graphql.OperationContext,
	field graphql.CollectedField,
	initializeFieldContext func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error),
	run func(ctx context.Context) (any, context.Context, error),
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
	res, childCtx, err := run(ctx)
	return finishField(childCtx, oc, fc, field, res, err, marshal, nonNull)
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

// ResolvePlainField resolves a field that is neither a resolver nor carries
// directives (a struct field or a getter), with ResolveField's arguments, for an
// operation without field interceptors (Lean). Its resolver and
// marshaler are only called, never kept, so the closures the generated code passes
// stay on the stack. A field of a basic Go type (string, integers, floats, bool) —
// most leaves of a response — resolves without a field context or a derived context at
// all unless it fails: its resolver reads a value, and marshalling a basic value
// cannot fail. On a failure the field context is built then, so errors carry the
// field's path as usual.
func ResolvePlainField[T any](
	ctx context.Context,
	oc *graphql.OperationContext,
	field graphql.CollectedField,
	initializeFieldContext func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error),
	fieldResolver func(ctx context.Context) (any, error),
	middlewareChain func(ctx context.Context, next graphql.Resolver) graphql.Resolver,
	marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler,
	recoverFromPanic bool,
	nonNull bool,
) graphql.Marshaler {
	if middlewareChain != nil {
		panic("exec.ResolvePlainField called for a field with directives: graph/generate's field template misclassified it")
	}
	if isBasic[T]() {
		if m, ok := resolveBasicLeaf(ctx, field, fieldResolver, marshal); ok {
			return m
		}
		// Failed, null or panicked: again, with a field context, to report it.
	}
	return resolve(ctx, oc, field, initializeFieldContext, direct(fieldResolver), marshal, recoverFromPanic, nonNull)
}

// isBasic says whether T is a basic Go type, whose gqlgen marshalers never fail.
func isBasic[T any]() bool {
	switch any(*new(T)).(type) {
	case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return true
	}
	return false
}

// resolveBasicLeaf resolves a basic leaf in the parent's context. ok is false when
// the value is not there (an error, nil, another type or a panic): the caller then
// resolves it again the ordinary way, which reports the problem on the field's path.
func resolveBasicLeaf[T any](ctx context.Context, field graphql.CollectedField,
	fieldResolver func(ctx context.Context) (any, error),
	marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler) (m graphql.Marshaler, ok bool) {
	defer func() {
		if recover() != nil {
			m, ok = nil, false
		}
	}()
	res, err := fieldResolver(ctx)
	if err != nil || res == nil {
		return nil, false
	}
	v, ok := res.(T)
	if !ok {
		return nil, false
	}
	return marshal(ctx, field.Selections, v), true
}

// finishField turns a field's resolved value into its marshaler, reporting an error,
// a null in a non-null field, or a value of the wrong type, as gqlgen does.
func finishField[T any](ctx context.Context, oc *graphql.OperationContext, fc *graphql.FieldContext,
	field graphql.CollectedField, res any, err error,
	marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler, nonNull bool) graphql.Marshaler {
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

// FieldsCache holds an operation's collected field sets by selection set and type:
// the generated executor keeps one in each operation's execution context (its zero
// value is ready) and collects every object's fields through it.
type FieldsCache struct {
	mu sync.Mutex
	m  map[fieldsKey][]graphql.CollectedField
}

type fieldsKey struct {
	sel       *ast.Selection // the selection set's first element: its identity in the parsed operation
	n         int
	satisfies *string // the generated implementors list of the object type
}

// Collect is graphql.CollectFields (an object's fields in a selection set, for its
// type) with a cheaper cache: gqlgen builds its cache key per object with a hasher and
// copies of the type names — a few allocations for each of the ≈ 1,000 objects of a
// page. Within one operation the result depends only on the selection set and the
// type, so the key here is their identity. c must serve one operation only (oc's).
func (c *FieldsCache) Collect(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	if len(sel) == 0 || len(satisfies) == 0 {
		return graphql.CollectFields(oc, sel, satisfies)
	}
	key := fieldsKey{sel: &sel[0], n: len(sel), satisfies: &satisfies[0]}
	c.mu.Lock()
	fields, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return fields
	}
	fields = graphql.CollectFields(oc, sel, satisfies)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[fieldsKey][]graphql.CollectedField{}
	}
	c.m[key] = fields
	c.mu.Unlock()
	return fields
}

// responseBuffers holds the buffers query responses are written into, for reuse: a
// page of 50 orders is ≈ 150 kB, which a new bytes.Buffer reaches by doubling —
// allocating, and copying, about as much again on the way.
var responseBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxRecycledResponse bounds the buffers kept for reuse: a rare huge response is left
// to the garbage collector instead of staying in the pool.
const maxRecycledResponse = 1 << 20

// ResponseBuffer returns an empty buffer to write a query's response into; the
// generated executor writes a query's data into it, and the POST transport recycles it.
func ResponseBuffer() *bytes.Buffer {
	return responseBuffers.Get().(*bytes.Buffer) // empty: RecycleResponse keeps data[:0]
}

// RecycleResponse hands data, a response's Data, back for reuse once it has been
// written out; neither data nor the response may be used afterwards. Data that did not
// come from ResponseBuffer is fine too: it is only memory.
func RecycleResponse(data []byte) {
	if c := cap(data); c == 0 || c > maxRecycledResponse {
		return
	}
	responseBuffers.Put(bytes.NewBuffer(data[:0]))
}
