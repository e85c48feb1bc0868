// Package page implements Relay-style cursor pagination arguments: validated page
// sizes and opaque keyset cursors.
package page

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/apperr"
)

// Page sizes.
const (
	DefaultSize = 20
	MaxSize     = 100
)

// Args are a connection's first/after arguments, validated.
type Args struct {
	First int
	// After is the decoded cursor, nil for the first page.
	After *Cursor
}

// Cursor is the keyset position of a row: the value of the sort key and the id that
// breaks ties. Clients see it base64-encoded and must treat it as opaque.
type Cursor struct {
	// Sort names the ordering the cursor belongs to; a cursor from another ordering is
	// refused rather than silently misread.
	Sort  string `json:"s"`
	Value string `json:"v"`
	ID    string `json:"i"`
}

// Encode returns the opaque form of c.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewArgs validates first/after for a connection sorted by sort.
func NewArgs(first *int, after *string, sort string) (Args, error) {
	a := Args{First: DefaultSize}
	if first != nil {
		if *first < 0 || *first > MaxSize {
			return a, apperr.Invalid("first", "first must be between 0 and %d", MaxSize)
		}
		a.First = *first
	}
	if after != nil && *after != "" {
		b, err := base64.RawURLEncoding.DecodeString(*after)
		var c Cursor
		if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
			return a, apperr.Invalid("after", "after is not a cursor returned by this connection")
		}
		if c.Sort != sort {
			return a, apperr.Invalid("after", "after is a cursor for another ordering (%s); start again without it", c.Sort)
		}
		a.After = &c
	}
	return a, nil
}

// TimeCursor is the cursor of a row ordered by a timestamp, ties broken by id.
func TimeCursor(sort string, t time.Time, id uuid.UUID) Cursor {
	return Cursor{Sort: sort, Value: t.Format(time.RFC3339Nano), ID: id.String()}
}

// TimeID decodes a cursor made by TimeCursor.
func (c Cursor) TimeID() (time.Time, uuid.UUID, error) {
	t, err := time.Parse(time.RFC3339Nano, c.Value)
	id, err2 := uuid.Parse(c.ID)
	if err != nil || err2 != nil {
		return t, id, apperr.Invalid("after", "after is not a cursor returned by this connection")
	}
	return t, id, nil
}

// Trim cuts rows, fetched with a LIMIT of first+1, to the page: the first rows and
// whether more follow.
func Trim[T any](rows []T, first int) ([]T, bool) {
	if len(rows) > first {
		return rows[:first], true
	}
	return rows, false
}
