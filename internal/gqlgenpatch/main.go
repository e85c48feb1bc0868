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
		why: "build an object's @defer group only when a field is deferred (it computes the response path)",
		old: "deferred := graphql.NewDeferredGroup(ctx)",
		new: "var deferred graphql.DeferredGroup // created by gqlexec.Resolve when a field is deferred",
	},
	{
		why: "marshal an object's fields without a map and iterator closures per object",
		old: "\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn out\n}\n",
		new: "\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn gqlexec.Fields(fields, out.Values)\n}\n",
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
	funcs := bytes.Split(src, []byte("\nfunc "))
	for i, f := range funcs {
		if bytes.Contains(f, []byte(resolveField)) && isPlainField(f) {
			funcs[i] = bytes.Replace(f, []byte(resolveField), []byte(resolvePlainField), 1)
			n++
		}
	}
	return bytes.Join(funcs, []byte("\nfunc ")), n
}

// objectsWithoutFieldSets makes the marshalers of non-root objects build a
// gqlexec.Object instead of a graphql.FieldSet: with every field resolved at once
// (Resolve) nothing is scheduled, and the Object writes itself. Root objects (Query,
// Mutation) schedule their fields and keep the FieldSet.
func objectsWithoutFieldSets(src []byte) []byte {
	funcs := bytes.Split(src, []byte("\nfunc "))
	for i, f := range funcs {
		if !bytes.Contains(f, []byte(newFieldSet)) || bytes.Contains(f, []byte("ResolveRootConcurrently")) ||
			bytes.Contains(f, []byte("RootResolverMiddleware")) {
			continue
		}
		f = bytes.Replace(f, []byte(newFieldSet), []byte("out := gqlexec.NewObject(fields)"), 1)
		funcs[i] = bytes.Replace(f, []byte("return gqlexec.Fields(fields, out.Values)"), []byte("return out"), 1)
	}
	return bytes.Join(funcs, []byte("\nfunc "))
}

const newFieldSet = "out := graphql.NewFieldSet(fields)"

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

// patchDir applies every rewrite to the .go files in dir.
func patchDir(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	applied := make([]int, len(rewrites))
	plainFields := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		out, plain, err := patch(src, applied)
		plainFields += plain
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if !bytes.Equal(src, out) {
			if err := os.WriteFile(f, out, 0o644); err != nil {
				return err
			}
		}
	}
	if plainFields == 0 {
		return fmt.Errorf("no plain field found in %s: gqlgen's output changed; update internal/gqlgenpatch", dir)
	}
	for i, n := range applied {
		if n == 0 {
			return fmt.Errorf("rewrite %q matched nothing in %s: gqlgen's output changed; update internal/gqlgenpatch", rewrites[i].why, dir)
		}
	}
	return nil
}

// patch applies the rewrites to one file, counting the replacements in applied, routes
// its plain fields (returning how many), and imports gqlexec when the result uses it.
func patch(src []byte, applied []int) ([]byte, int, error) {
	out := src
	for i, r := range rewrites {
		n := bytes.Count(out, []byte(r.old))
		out = bytes.ReplaceAll(out, []byte(r.old), []byte(r.new))
		applied[i] += n
	}
	out, plain := routePlainFields(out)
	out = objectsWithoutFieldSets(out)
	if bytes.Contains(out, []byte("gqlexec.")) && !bytes.Contains(out, []byte(gqlexecImport)) {
		if !bytes.Contains(out, []byte(graphqlImport)) {
			return nil, 0, fmt.Errorf("uses gqlexec but does not import %s", bytes.TrimSpace([]byte(graphqlImport)))
		}
		out = bytes.Replace(out, []byte(graphqlImport), []byte(graphqlImport+gqlexecImport), 1)
	}
	out, err := format.Source(out)
	return out, plain, err
}
