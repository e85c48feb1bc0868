package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	graphexec "github.com/ordergraph/ordergraph/graph/exec"
	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/requestlog"
	"github.com/ordergraph/ordergraph/internal/web"
)

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// postTransport is gqlgen's POST transport (a JSON body; GraphQL over HTTP) with a
// cheaper response writer. gqlgen's marshals the whole response with encoding/json,
// which validates and compacts again the data the executor has just written as
// compact JSON: about a tenth of the CPU of a large page. Here the data is copied
// as it is and only errors and extensions go through encoding/json. Everything else
// — which requests it takes, content negotiation, status codes, error responses — is
// gqlgen's (transport.POST, v0.17.98).
type postTransport struct{ transport.POST }

func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseContentType(r)
	start := graphql.Now()

	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		// A body without a Content-Length, cut off at the limit while it was read:
		// answered as the edge answers one whose length is over it.
		transportError(w, r, http.StatusRequestEntityTooLarge, apperr.BadUserInput, web.BodyTooLargeMessage(tooLarge.Limit))
		return
	}
	if err != nil {
		transportError(w, r, http.StatusBadRequest, apperr.BadRequest, "could not read the request body")
		return
	}
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		// The decoder's message names the offending character and offset, not the body.
		transportError(w, r, http.StatusBadRequest, apperr.BadRequest, "the body is not a JSON GraphQL request: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", contentType)
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	rc, opErr := exec.CreateOperationContext(ctx, &params)
	if opErr != nil {
		writeResponse(w, statusFor(contentType, opErr), exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	resp := responses(ctx)
	writeResponse(w, http.StatusOK, resp)
	if resp != nil {
		// Written out and referenced nowhere else: the buffer serves the next response.
		graphexec.RecycleResponse(resp.Data)
	}
}

// getTransport is gqlgen's GET transport (transport.GET, v0.17.98: query, operationName,
// variables and extensions in the URL; queries only) with our error responses, which
// carry a code, and this package's response writer.
type getTransport struct{ transport.GET }

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		transportError(w, r, http.StatusBadRequest, apperr.BadRequest, "the URL's query string is malformed")
		return
	}
	raw := &graphql.RawParams{Query: query.Get("query"), OperationName: query.Get("operationName"), Headers: r.Header}
	raw.ReadTime.Start = graphql.Now()
	for name, dst := range map[string]*map[string]any{"variables": &raw.Variables, "extensions": &raw.Extensions} {
		if v := query.Get(name); v != "" {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if err := dec.Decode(dst); err != nil {
				transportError(w, r, http.StatusBadRequest, apperr.BadRequest, name+" is not a JSON object: "+err.Error())
				return
			}
		}
	}
	raw.ReadTime.End = graphql.Now()
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)

	rc, opErr := exec.CreateOperationContext(ctx, raw)
	if opErr != nil {
		writeResponse(w, statusFor(contentType, opErr), exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	if rc.Operation.Operation != ast.Query {
		// GraphQL over HTTP: a mutation by GET is 405, so that a link or a prefetch
		// never changes anything.
		w.Header().Set("Allow", http.MethodPost)
		transportError(w, r, http.StatusMethodNotAllowed, apperr.BadRequest, "GET requests only allow query operations; send mutations by POST")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	resp := responses(ctx)
	writeResponse(w, http.StatusOK, resp)
	if resp != nil {
		graphexec.RecycleResponse(resp.Data)
	}
}

// unsupportedTransport takes, last, every request no other transport supports — another
// method, a POST that is not application/json — and refuses it with a code.
type unsupportedTransport struct{}

func (unsupportedTransport) Supports(*http.Request) bool { return true }

func (unsupportedTransport) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	transportError(w, r, http.StatusBadRequest, apperr.BadRequest,
		"transport not supported: send POST with Content-Type: application/json, or a query by GET")
}

// transportError answers a request refused before any operation was read.
func transportError(w http.ResponseWriter, r *http.Request, status int, code apperr.Code, msg string) {
	web.WriteError(w, status, code, msg, requestlog.ID(r.Context()))
}

// responseContentType is the media type of the response: application/json unless the
// client accepts only application/graphql-response+json or prefers it (as gqlgen).
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaGraphQLResponse
}

// statusFor is the HTTP status of a request that failed before execution: a protocol
// error (unparsable or invalid operation) is 422, or 400 for graphql-response+json.
func statusFor(contentType string, errs gqlerror.List) int {
	if errcode.GetErrorKind(errs) != errcode.KindProtocol {
		return http.StatusOK
	}
	if contentType == mediaGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// writeResponse writes resp with status as encoding/json would (same keys, same
// order), copying its data, which the executor wrote as compact JSON, without
// re-encoding it — nor copying it into another buffer: the data (≈ 150 kB for a page of
// 50 orders) goes to the connection as it is, between a small head and tail, with its
// Content-Length.
func writeResponse(w http.ResponseWriter, status int, resp *graphql.Response) {
	if resp == nil {
		resp = &graphql.Response{}
	}
	var head, tail bytes.Buffer
	head.WriteByte('{')
	if len(resp.Errors) > 0 {
		head.WriteString(`"errors":`)
		writeJSON(&head, resp.Errors)
		head.WriteByte(',')
	}
	head.WriteString(`"data":`)
	data := []byte(resp.Data)
	if len(data) == 0 {
		data = []byte("null")
	}
	if resp.Label != "" {
		tail.WriteString(`,"label":`)
		writeJSON(&tail, resp.Label)
	}
	if len(resp.Path) > 0 {
		tail.WriteString(`,"path":`)
		writeJSON(&tail, resp.Path)
	}
	if resp.HasNext != nil {
		tail.WriteString(`,"hasNext":`)
		writeJSON(&tail, *resp.HasNext)
	}
	if len(resp.Extensions) > 0 {
		tail.WriteString(`,"extensions":`)
		writeJSON(&tail, resp.Extensions)
	}
	tail.WriteByte('}')
	w.Header().Set("Content-Length", strconv.Itoa(head.Len()+len(data)+tail.Len()))
	w.WriteHeader(status)
	w.Write(head.Bytes())
	w.Write(data)
	w.Write(tail.Bytes())
}

func writeJSON(b *bytes.Buffer, v any) {
	out, err := json.Marshal(v)
	if err != nil {
		// Errors and extensions are ours and marshal; should one not, say so in JSON.
		out, _ = json.Marshal("unable to marshal response: " + err.Error())
	}
	b.Write(out)
}
