// Command gqlgenpatch rewrites gqlgen's generated executor to use the serial helpers
// of graph/gqlexec. `make generate` runs it right after `go tool gqlgen generate`:
//
//	go run ./internal/gqlgenpatch graph/generated
//
// Each rewrite is a literal replacement that must apply at least once across the
// files, so a gqlgen upgrade that changes the generated code fails here, loudly,
// instead of silently running the concurrent executor again. The rewrites and the
// measurements behind them are described in docs/performance.md.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
)

// rewrite is one literal replacement in the generated files.
type rewrite struct {
	why      string
	old, new string
}

var rewrites = []rewrite{
	{
		why: "resolve a field with fewer allocations (plain fields: see routePlainFields)",
		old: "return graphql.ResolveField(",
		new: "return gqlexec.ResolveField(",
	},
	{
		why: "collect an object's fields through a per-operation cache keyed without allocating",
		old: "graphql.CollectFields(ec.OperationContext, sel, ",
		new: "gqlexec.CollectFields(ctx, ec.OperationContext, sel, ",
	},
	{
		why: "share a scalar field's Child callback per type instead of a closure per field",
		old: "graphql.NewScalarFieldContext(",
		new: "gqlexec.NewScalarFieldContext(",
	},
	{
		why: "resolve resolver fields at once instead of scheduling a goroutine each",
		old: "out.ResolveConcurrently(ec.OperationContext, &deferred, i,",
		new: "gqlexec.Resolve(ctx, field, out, ec.OperationContext, &deferred, i,",
	},
	{
		why: "marshal list elements in order instead of a goroutine each",
		old: "graphql.MarshalSliceConcurrently(",
		new: "gqlexec.MarshalSlice(",
	},
	{
		why: "write a query's response into a recycled buffer instead of growing a new one to ≈ 150 kB by doubling",
		old: "var buf bytes.Buffer\n\t\t\tdata.MarshalGQL(&buf)\n\t\t\tresponse.Data = buf.Bytes()",
		new: "buf := gqlexec.ResponseBuffer()\n\t\t\tdata.MarshalGQL(buf)\n\t\t\tresponse.Data = buf.Bytes()",
	},
	{
		why: "build an object's @defer group only when a field is deferred (it computes the response path)",
		old: "deferred := graphql.NewDeferredGroup(ctx)",
		new: "var deferred graphql.DeferredGroup // created by gqlexec.Resolve when a field is deferred",
	},
}

const (
	resolveField      = "return gqlexec.ResolveField("
	resolvePlainField = "return gqlexec.ResolvePlainField("
)

// routePlainFields routes the fields that are neither resolvers nor carry directives
// to gqlexec.ResolvePlainField: a generated field function that calls no resolver
// (ec.Resolvers) and applies no directive reads a struct field or a getter. It
// returns how many it routed.
func routePlainFields(src []byte) (out []byte, n int) {
	out = eachFunc(src, func(f []byte) []byte {
		if !bytes.Contains(f, []byte(resolveField)) || !isPlainField(f) {
			return f
		}
		n++
		return bytes.Replace(f, []byte(resolveField), []byte(resolvePlainField), 1)
	})
	return out, n
}

// objectsWithoutFieldSets makes the marshalers of non-root objects build a
// gqlexec.Object instead of a graphql.FieldSet: with every field resolved at once
// (Resolve) nothing is scheduled, and the Object writes itself without gqlgen's map
// and closures per object. Root objects (Query, Mutation) schedule their fields and
// keep the FieldSet. It returns how many objects it changed.
func objectsWithoutFieldSets(src []byte) (out []byte, n int) {
	out = eachFunc(src, func(f []byte) []byte {
		if !bytes.Contains(f, []byte(newFieldSet)) || bytes.Contains(f, []byte("ResolveRootConcurrently")) ||
			bytes.Contains(f, []byte("RootResolverMiddleware")) {
			return f
		}
		n++
		return bytes.Replace(f, []byte(newFieldSet), []byte(newObject), 1)
	})
	return out, n
}

const (
	newFieldSet = "out := graphql.NewFieldSet(fields)"
	newObject   = "out := gqlexec.NewObject(fields)"
)

// eachFunc applies edit to each top-level function of a generated file.
func eachFunc(src []byte, edit func(f []byte) []byte) []byte {
	funcs := bytes.Split(src, []byte("\nfunc "))
	for i, f := range funcs {
		funcs[i] = edit(f)
	}
	return bytes.Join(funcs, []byte("\nfunc "))
}

// isPlainField says whether a generated field function's resolver only reads the
// object: no resolver call, no directive middleware (its middleware argument is nil).
func isPlainField(f []byte) bool {
	return !bytes.Contains(f, []byte("ec.Resolvers.")) && !bytes.Contains(f, []byte("ec.Directives.")) &&
		bytes.Contains(f, []byte("\t\tnil,\n\t\tfunc(ctx context.Context, selections ast.SelectionSet"))
}

const (
	graphqlImport = "\t\"github.com/99designs/gqlgen/graphql\"\n"
	gqlexecImport = "\t\"github.com/ordergraph/ordergraph/graph/gqlexec\"\n"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gqlgenpatch <dir of generated files>")
		os.Exit(2)
	}
	if err := patchDir(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenpatch:", err)
		os.Exit(1)
	}
}

// counts are how often each rewrite and each pass applied, across the files.
type counts struct {
	rewrites             []int
	plainFields, objects int
}

// patchDir applies every rewrite and pass to the .go files in dir.
func patchDir(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	c := counts{rewrites: make([]int, len(rewrites))}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		out, err := patch(src, &c)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if !bytes.Equal(src, out) {
			if err := os.WriteFile(f, out, 0o644); err != nil {
				return err
			}
		}
	}
	unmatched := func(what string) error {
		return fmt.Errorf("%s: nothing in %s: gqlgen's output changed; update internal/gqlgenpatch", what, dir)
	}
	for i, n := range c.rewrites {
		if n == 0 {
			return unmatched(fmt.Sprintf("rewrite %q", rewrites[i].why))
		}
	}
	if c.plainFields == 0 {
		return unmatched("plain fields")
	}
	if c.objects == 0 {
		return unmatched("non-root object marshalers")
	}
	return nil
}

// patch applies the rewrites and passes to one file, counting them in c, and imports
// gqlexec when the result uses it.
func patch(src []byte, c *counts) ([]byte, error) {
	out := src
	for i, r := range rewrites {
		c.rewrites[i] += bytes.Count(out, []byte(r.old))
		out = bytes.ReplaceAll(out, []byte(r.old), []byte(r.new))
	}
	out, n := routePlainFields(out)
	c.plainFields += n
	out, n = objectsWithoutFieldSets(out)
	c.objects += n
	if bytes.Contains(out, []byte("gqlexec.")) && !bytes.Contains(out, []byte(gqlexecImport)) {
		if !bytes.Contains(out, []byte(graphqlImport)) {
			return nil, fmt.Errorf("uses gqlexec but does not import %s", bytes.TrimSpace([]byte(graphqlImport)))
		}
		out = bytes.Replace(out, []byte(graphqlImport), []byte(graphqlImport+gqlexecImport), 1)
	}
	return format.Source(out)
}
