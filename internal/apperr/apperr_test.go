package apperr

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestTruncate(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "short", Truncate("short", 10))
	assert.Equal(t, "0123456789", Truncate("0123456789", 10))
	assert.Equal(t, "0123456789…", Truncate("0123456789x", 10))
	// Never inside a rune.
	s := Truncate(strings.Repeat("é", 100), 11)
	assert.True(t, utf8.ValidString(s))
	assert.Equal(t, strings.Repeat("é", 5)+"…", s)
	assert.Equal(t, "…", Truncate("ééé", 0))
}
