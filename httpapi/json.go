package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// DefaultBodyLimit bounds every request body unless a route sets its own.
const DefaultBodyLimit = 1 << 20

// statusOf maps the error codes of API.md to HTTP statuses: the one place
// where that happens.
var statusOf = map[string]int{
	ksp.EINVALID:        http.StatusBadRequest,
	ksp.EUNAUTHORIZED:   http.StatusUnauthorized,
	ksp.EFORBIDDEN:      http.StatusForbidden,
	ksp.ENOTFOUND:       http.StatusNotFound,
	ksp.ECONFLICT:       http.StatusConflict,
	ksp.ERESYNCREQUIRED: http.StatusGone,
	ksp.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	ksp.ERATELIMITED:    http.StatusTooManyRequests,
	ksp.EUNAVAILABLE:    http.StatusServiceUnavailable,
	ksp.EINTERNAL:       http.StatusInternalServerError,
}

// ErrorCodes returns the error codes of API.md, sorted: those statusOf maps.
func ErrorCodes() []string {
	codes := make([]string, 0, len(statusOf))
	for c := range statusOf {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// defaultRetryAfter is the Retry-After of an unavailable answer whose error
// does not say how long to wait.
const defaultRetryAfter = time.Second

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Fields  []ksp.FieldError `json:"fields,omitempty"`
}

// StatusOf returns the HTTP status for err.
func StatusOf(err error) int {
	if s, ok := statusOf[ksp.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// writeError answers with err; internal errors are logged and replaced by a
// generic message.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := ksp.ErrorCode(err)
	body := ErrorBody{Error: ErrorDetail{Code: code, Message: ksp.ErrorMessage(err)}}
	var ke *ksp.Error
	if errors.As(err, &ke) {
		body.Error.Fields = ke.Fields
		if ke.RetryAfter > 0 {
			w.Header().Set("Retry-After", retryAfter(ke.RetryAfter))
		}
	}
	if code == ksp.EUNAVAILABLE && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", retryAfter(defaultRetryAfter))
	}
	if code == ksp.EINTERNAL {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if code == ksp.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ksp"`)
	}
	writeJSON(w, StatusOf(err), body)
}

// noStoreNoSniff sets the headers every API answer carries: answers hold
// what one caller may see, so no cache keeps them, and a browser must take
// JSON for JSON, never sniff it into something it would render or run.
func noStoreNoSniff(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	noStoreNoSniff(w.Header())
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"error":{"code":"internal","message":"internal error"}}`+"\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func invalid(field, reason string) *ksp.Error {
	return &ksp.Error{Code: ksp.EINVALID, Message: fmt.Sprintf("invalid %s: %s", field, reason), Fields: []ksp.FieldError{{Field: field, Reason: reason}}}
}

// decodeJSON reads the request body into v: one JSON object, no unknown
// fields, nothing after it, within the body limit. Errors name the field.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return invalid("Content-Type", "must be application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if isTooLarge(err) {
			return tooLarge()
		}
		return invalid("body", "unexpected data after the JSON object")
	}
	return nil
}

func tooLarge() *ksp.Error {
	return ksp.Errorf(ksp.ETOOLARGE, "request body too large")
}

func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case isTooLarge(err):
		return tooLarge()
	case errors.As(err, &syn):
		return invalid("body", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return invalid(field, fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value))
	case errors.Is(err, io.EOF):
		return invalid("body", "empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("body", "malformed JSON: unexpected end")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(name, "unknown field")
	}
	var ke *ksp.Error
	if errors.As(err, &ke) {
		return ke
	}
	return invalid("body", err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	case "ptr":
		return "a value"
	}
	return "a number"
}
