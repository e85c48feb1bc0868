package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	graphexec "github.com/ordergraph/ordergraph/graph/exec"
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
	w.Header().Set("Content-Type", contentType)
	start := graphql.Now()

	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeResponse(w, http.StatusOK, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %+v", err)}))
		return
	}
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		writeResponse(w, http.StatusBadRequest, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("json request body could not be decoded: %+v body:%s", err, body)}))
		return
	}
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
