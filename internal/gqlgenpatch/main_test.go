package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The committed generated code is patched: none of the concurrent calls is left, and
// every rewrite is in it.
func TestGeneratedCodeIsPatched(t *testing.T) {
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
	// Non-root objects write themselves (objectsWithoutFieldSets): there, returning out
	// is the patched form. Check the rewrites in the rest.
	var rest [][]byte
	objects := 0
	for _, f := range bytes.Split(all, []byte("\nfunc ")) {
		if bytes.Contains(f, []byte("out := gqlexec.NewObject(fields)")) {
			objects++
			if !bytes.Contains(f, []byte("\treturn out\n}")) {
				t.Errorf("object marshaler builds an Object but does not return it:\n%.300s", f)
			}
			continue
		}
		rest = append(rest, f)
	}
	if objects < 20 {
		t.Errorf("only %d object marshalers build an Object", objects)
	}
	unpatched := bytes.Join(rest, []byte("\nfunc "))
	for _, r := range rewrites {
		if bytes.Contains(unpatched, []byte(r.old)) {
			t.Errorf("generated code still has %q: run make generate", r.old)
		}
		if !bytes.Contains(all, []byte(r.new)) {
			t.Errorf("generated code lacks %q: run make generate", r.new)
		}
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
	out, _, err := patch(src, make([]int, len(rewrites)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(gqlexecImport)) || !bytes.Contains(out, []byte("gqlexec.MarshalSlice")) {
		t.Fatalf("not rewritten and imported:\n%s", out)
	}
}

// Every field routed to ResolvePlainField is one gqlgen itself marks as no resolver.
func TestPlainFieldsAreNoResolvers(t *testing.T) {
	files, _ := filepath.Glob("../../graph/generated/*.go")
	var all []byte
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, src...)
	}
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
