package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// generatedCode is the committed generated code, all files in one.
func generatedCode(t *testing.T) []byte {
	t.Helper()
	files, err := filepath.Glob("../../graph/generated/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated files: %v", err)
	}
	var all []byte
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, src...)
	}
	return all
}

// The committed generated code is patched: none of the concurrent calls is left, and
// every rewrite is in it.
func TestGeneratedCodeIsPatched(t *testing.T) {
	all := generatedCode(t)
	for _, r := range rewrites {
		if bytes.Contains(all, []byte(r.old)) {
			t.Errorf("generated code still has %q: run make generate", r.old)
		}
		if !bytes.Contains(all, []byte(r.new)) {
			t.Errorf("generated code lacks %q: run make generate", r.new)
		}
	}
	// Non-root objects build an Object and return it; only roots keep a FieldSet.
	objects := 0
	eachFunc(all, func(f []byte) []byte {
		switch {
		case bytes.Contains(f, []byte(newObject)):
			objects++
			if !bytes.Contains(f, []byte("\treturn out\n}")) {
				t.Errorf("object marshaler builds an Object but does not return it:\n%.300s", f)
			}
		case bytes.Contains(f, []byte(newFieldSet)) && !bytes.Contains(f, []byte("ResolveRootConcurrently")) &&
			!bytes.Contains(f, []byte("RootResolverMiddleware")):
			t.Errorf("non-root object marshaler still builds a FieldSet: run make generate\n%.300s", f)
		}
		return f
	})
	if objects < 20 {
		t.Errorf("only %d object marshalers build an Object", objects)
	}
}

func TestPatchFailsWhenARewriteMatchesNothing(t *testing.T) {
	dir := t.TempDir()
	src := "package generated\n\nimport (\n" + graphqlImport + ")\n\nvar _ = graphql.MarshalSliceConcurrently(nil, 0, 0, false, nil)\n"
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	err := patchDir(dir)
	if err == nil || !strings.Contains(err.Error(), "gqlgen's output changed") {
		t.Fatalf("want an error saying the generated code is not what the rewrites expect, got %v", err)
	}
}

func TestPatchImportsGqlexec(t *testing.T) {
	src := []byte("package generated\n\nimport (\n" + graphqlImport + ")\n\nvar _ = graphql.MarshalSliceConcurrently(nil, 0, 0, false, nil)\n")
	out, err := patch(src, &counts{rewrites: make([]int, len(rewrites))})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(gqlexecImport)) || !bytes.Contains(out, []byte("gqlexec.MarshalSlice")) {
		t.Fatalf("not rewritten and imported:\n%s", out)
	}
}

// Every field routed to ResolvePlainField is one gqlgen itself marks as no resolver.
func TestPlainFieldsAreNoResolvers(t *testing.T) {
	all := generatedCode(t)
	plain := regexp.MustCompile(`func \(ec \*executionContext\) (_\w+)\(ctx[^\n]*\n\treturn gqlexec\.ResolvePlainField\(`)
	matches := plain.FindAllSubmatch(all, -1)
	if len(matches) < 50 {
		t.Fatalf("only %d plain fields found", len(matches))
	}
	for _, m := range matches {
		name := string(m[1]) // _Order_number → fieldContext_Order_number
		fcFunc := regexp.MustCompile(`func \(ec \*executionContext\) fieldContext` + regexp.QuoteMeta(name) + `\([^\n]*\n((?:[^\n]*\n)*?)}\n`)
		body := fcFunc.FindSubmatch(all)
		if body == nil {
			t.Errorf("%s: no field context function", name)
			continue
		}
		b := string(body[1])
		if strings.Contains(b, "IsResolver: true") || regexp.MustCompile(`NewScalarFieldContext\([^,]+, field, \w+, true,`).MatchString(b) {
			t.Errorf("%s is a resolver but was routed to ResolvePlainField", name)
		}
	}
}
