package graph

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// writeResponse writes what encoding/json writes for a response, byte for byte
// (data free of characters encoding/json would escape).
func TestWriteResponseMatchesEncodingJSON(t *testing.T) {
	yes := true
	for name, resp := range map[string]*graphql.Response{
		"data":   {Data: json.RawMessage(`{"orders":{"edges":[{"node":{"number":1,"note":"a \"quoted\" note"}}]}}`)},
		"null":   {},
		"errors": {Errors: gqlerror.List{{Message: "nope", Path: ast.Path{ast.PathName("order")}, Extensions: map[string]any{"code": "NOT_FOUND"}}}, Data: json.RawMessage(`{"order":null}`)},
		"all": {Data: json.RawMessage(`{"x":1}`), Label: "later", Path: ast.Path{ast.PathName("a"), ast.PathIndex(2)}, HasNext: &yes,
			Extensions: map[string]any{"complexity": 3}},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(resp)
			require.NoError(t, err)
			got := httptest.NewRecorder()
			writeResponse(got, http.StatusTeapot, resp)
			assert.Equal(t, string(want), got.Body.String())
			assert.Equal(t, http.StatusTeapot, got.Code)
			assert.Equal(t, strconv.Itoa(len(want)), got.Header().Get("Content-Length"))
		})
	}
}

func TestResponseContentType(t *testing.T) {
	for accept, want := range map[string]string{
		"":                                  mediaJSON,
		"*/*":                               mediaJSON,
		"application/json":                  mediaJSON,
		"application/graphql-response+json": mediaGraphQLResponse,
		"application/graphql-response+json, application/json;q=0.9": mediaGraphQLResponse,
		"text/html": mediaGraphQLResponse,
	} {
		r := httptest.NewRequest("POST", "/graphql", nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		assert.Equal(t, want, responseContentType(r), "Accept: %q", accept)
	}
}
