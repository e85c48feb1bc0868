package model

import (
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/ordergraph/ordergraph/internal/apperr"
)

// MarshalDateTime writes the DateTime scalar (RFC 3339).
func MarshalDateTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

// UnmarshalDateTime reads the DateTime scalar. A malformed value is the client's
// mistake (BAD_USER_INPUT), which gqlgen's own time scalar does not say.
func UnmarshalDateTime(v any) (time.Time, error) {
	t, err := graphql.UnmarshalTime(v)
	if err != nil {
		return t, apperr.New(apperr.BadUserInput, "%v is not an RFC 3339 date-time such as 2026-11-22T09:00:00Z", v)
	}
	return t, nil
}
