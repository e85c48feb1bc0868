package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTemplatesMatchUpstream is the drift guard of the copied templates: the gqlgen
// version in go.mod must be the one templates/UPSTREAM records, and gqlgen's originals
// in the module cache (its codegen/*.gotpl, and the generate steps main.go repeats)
// must still have the recorded sha256. After a gqlgen upgrade this fails until the
// edits are carried over to the new originals and UPSTREAM is updated, so the
// executor never silently lags behind the gqlgen runtime it calls.
func TestTemplatesMatchUpstream(t *testing.T) {
	version, sums := readUpstream(t)

	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}} {{.Dir}}", "github.com/99designs/gqlgen").Output()
	require.NoError(t, err, "go list -m github.com/99designs/gqlgen")
	gotVersion, dir, ok := strings.Cut(strings.TrimSpace(string(out)), " ")
	require.True(t, ok && dir != "", "gqlgen's module directory: %q (go mod download?)", out)
	require.Equal(t, version, gotVersion,
		"go.mod has gqlgen %s, the templates were copied from %s: re-sync graph/generate/templates and UPSTREAM", gotVersion, version)

	for path, want := range sums {
		b, err := os.ReadFile(filepath.Join(dir, path))
		if !assert.NoError(t, err, "gqlgen %s no longer has %s", version, path) {
			continue
		}
		got := sha256.Sum256(b)
		assert.Equal(t, want, hex.EncodeToString(got[:]), "gqlgen's %s is not the one the copy derives from", path)
	}

	// Every template gqlgen renders the executor from has a copy, and no other.
	upstream, err := filepath.Glob(filepath.Join(dir, "codegen", "*.gotpl"))
	require.NoError(t, err)
	copies, err := filepath.Glob(filepath.Join("templates", "*.gotpl"))
	require.NoError(t, err)
	var recorded []string
	for path := range sums {
		if strings.HasSuffix(path, ".gotpl") {
			recorded = append(recorded, filepath.Base(path))
		}
	}
	assert.Equal(t, baseNames(upstream), baseNames(copies), "gqlgen's codegen/*.gotpl and graph/generate/templates")
	slices.Sort(recorded)
	assert.Equal(t, baseNames(upstream), recorded, "gqlgen's codegen/*.gotpl and those recorded in UPSTREAM")
}

// readUpstream reads templates/UPSTREAM: the gqlgen version and the sha256 of each
// original by its path in gqlgen's module.
func readUpstream(t *testing.T) (version string, sums map[string]string) {
	t.Helper()
	f, err := os.Open(filepath.Join("templates", "UPSTREAM"))
	require.NoError(t, err)
	defer f.Close()
	sums = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 0 || strings.HasPrefix(fields[0], "#"):
		case fields[0] == "version" && len(fields) == 2:
			version = fields[1]
		case fields[0] == "sha256" && len(fields) == 3:
			sums[fields[1]] = fields[2]
		default:
			t.Fatalf("UPSTREAM: unexpected line %q", sc.Text())
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, version, "UPSTREAM: no version")
	require.NotEmpty(t, sums, "UPSTREAM: no sha256")
	return version, sums
}

func baseNames(paths []string) []string {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	slices.Sort(names)
	return names
}
