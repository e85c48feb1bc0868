package graph_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeneratedCodeIsCurrent runs `make generate`'s GraphQL step (go run
// ./graph/generate: gqlgen's models and resolvers, the executor from graph/generate's
// templates) on a copy of the module and compares what it writes with the committed
// files: a schema, gqlgen.yml, template or bound Go type changed without
// regenerating, or a generated file edited by hand, fails here.
//
// The copy is kept, always at the same path for a checkout (under os.TempDir): gqlgen
// type-checks the module, and the go command's cache only serves packages compiled in
// the same directory, so a new directory each time would compile the whole module
// again (several times as long). A lock keeps two runs from sharing it at once.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(root))
	tmp := filepath.Join(os.TempDir(), fmt.Sprintf("ordergraph-gencheck-%x", sum[:6]))
	lock, err := os.OpenFile(tmp+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() { lock.Close() }) // closing releases the lock
	require.NoError(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_EX))
	require.NoError(t, os.RemoveAll(tmp))
	copyModule(t, root, tmp)
	// The generator (as gqlgen) then builds the packages it wrote to check them; the
	// committed ones are built by this test already, and that build would be most of
	// its time.
	cfg, err := os.OpenFile(filepath.Join(tmp, "gqlgen.yml"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = cfg.WriteString("\nskip_validation: true\n")
	require.NoError(t, err)
	require.NoError(t, cfg.Close())

	gen := exec.Command("go", "run", "./graph/generate")
	gen.Dir = tmp
	out, err := gen.CombinedOutput()
	require.NoError(t, err, "go run ./graph/generate: %s", out)

	// What gqlgen writes: the executor, the models and the resolver files (it adds
	// stubs for new fields to those). A file on one side only differs too.
	files := map[string]bool{}
	for _, pattern := range []string{"graph/generated/*", "graph/model/models_gen.go", "graph/*.resolvers.go"} {
		for _, dir := range []string{root, tmp} {
			m, err := filepath.Glob(filepath.Join(dir, pattern))
			require.NoError(t, err)
			for _, f := range m {
				rel, err := filepath.Rel(dir, f)
				require.NoError(t, err)
				files[rel] = true
			}
		}
	}
	require.NotEmpty(t, files)
	for _, f := range slices.Sorted(maps.Keys(files)) {
		committed, _ := os.ReadFile(filepath.Join(root, f))
		regenerated, _ := os.ReadFile(filepath.Join(tmp, f))
		assert.True(t, bytes.Equal(committed, regenerated), "%s is not what `make generate` writes: run it", f)
	}
}

// copyModule copies the module's source files from src to dst: everything but version
// control, local data, build output and installed packages.
func copyModule(t *testing.T, src, dst string) {
	t.Helper()
	skip := map[string]bool{".git": true, ".data": true, ".reports": true, "bin": true, "bench-results": true, "node_modules": true}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		switch {
		case skip[d.Name()] || strings.HasSuffix(d.Name(), ".test"):
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	require.NoError(t, err)
}
