package httpapi

import (
	"bufio"
	"io"
	"net/http"

	"github.com/kspplatform/ksp"
)

// NoteBody is the input of keeping a review note with an application.
type NoteBody struct {
	Body string `json:"body"`
}

// approveApplication takes an optional decision: clients written before
// the review (reason and checklist) send no body, and still approve.
func (s *Server) approveApplication(r *http.Request) (any, error) {
	var d ksp.Decision
	if err := decodeOptionalJSON(r, &d); err != nil {
		return nil, err
	}
	return s.store.ApproveApplication(r.Context(), r.PathValue("id"), d)
}

func (s *Server) rejectApplication(r *http.Request) (any, error) {
	var d ksp.Decision
	if err := decodeJSON(r, &d); err != nil {
		return nil, err
	}
	return s.store.RejectApplication(r.Context(), r.PathValue("id"), d)
}

func (s *Server) listApplicationNotes(r *http.Request) (any, error) {
	notes, err := s.store.FindApplicationNotes(r.Context(), r.PathValue("id"))
	return list(notes, ""), err
}

func (s *Server) addApplicationNote(r *http.Request) (any, error) {
	var b NoteBody
	if err := decodeJSON(r, &b); err != nil {
		return nil, err
	}
	return s.store.AddApplicationNote(r.Context(), r.PathValue("id"), b.Body)
}

// decodeOptionalJSON decodes the body into v when there is one, and leaves
// v as it is for an empty body.
func decodeOptionalJSON(r *http.Request, v any) error {
	br := bufio.NewReader(r.Body)
	if _, err := br.Peek(1); err == io.EOF {
		return nil
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{br, r.Body}
	return decodeJSON(r, v)
}
