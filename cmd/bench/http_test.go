package main

import (
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    vegeta.Result
		ok   bool
	}{
		{"data", vegeta.Result{Code: 200, Body: []byte(`{"data":{"orders":{"edges":[]}}}`)}, true},
		{"data and newline", vegeta.Result{Code: 200, Body: []byte("{\"data\":{\"a\":1}}\n")}, true},
		{"errors first", vegeta.Result{Code: 200, Body: []byte(`{"errors":[{"message":"x"}],"data":{"a":null}}`)}, false},
		{"null data", vegeta.Result{Code: 200, Body: []byte(`{"data":null}`)}, false},
		{"truncated", vegeta.Result{Code: 200, Body: []byte(`{"data":{"orders":{"edges":[`)}, false},
		{"HTTP 422", vegeta.Result{Code: 422, Body: []byte(`{"errors":[]}`)}, false},
		{"no connection", vegeta.Result{Error: "connection refused"}, false},
	} {
		if got := failure(&tc.r); (got == "") != tc.ok {
			t.Errorf("%s: failure() = %q, want ok=%v", tc.name, got, tc.ok)
		}
	}
}
