package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/signalio"
)

// ChangesBody answers GET /api/v1/signals/changes.
type ChangesBody struct {
	Items []*ksp.Change `json:"items"`
	// LastSeq is the position to ask "after" next time.
	LastSeq int64 `json:"last_seq"`
}

// MatchBody answers POST /api/v1/match.
type MatchBody struct {
	Results []ksp.MatchResult `json:"results"`
}

// ImageMatchBody answers POST /api/v1/match/image.
type ImageMatchBody struct {
	PDQ     string         `json:"pdq,omitempty"`
	Quality *int           `json:"quality,omitempty"`
	MD5     string         `json:"md5"`
	SHA256  string         `json:"sha256"`
	Matches []ksp.MatchHit `json:"matches"`
	// PDQSkipped says why the perceptual hash was not matched (quality
	// below 50 matches too much to be meaningful).
	PDQSkipped string `json:"pdq_skipped,omitempty"`
}

func (s *Server) signalRoutes() []*Route {
	return []*Route{
		{Method: "GET", Path: "/api/v1/signals", Summary: "The hash bank, as the caller may see it (entity_id: an entity's id or list reference number)", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.Signal{}, List: true,
			Query: []string{"type", "label", "entity_id", "status", "since", "q", "sort", "limit", "cursor"}, handler: s.listSignals},
		{Method: "POST", Path: "/api/v1/signals", Summary: "Submit a signal: 201 new, 200 merged", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Req: ksp.SubmissionInput{}, Resp: ksp.Signal{}, Status: 201, handler: s.submitSignal},
		{Method: "POST", Path: "/api/v1/signals/batch", Summary: "Submit NDJSON records; good ones are kept, bad ones reported by line (a body that cannot be parsed to its end is refused whole, naming the line)", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit,
			ReqType: "application/x-ndjson", Resp: ksp.BatchResult{}, BodyLimit: s.cfg.BatchBodyLimit, handler: s.submitBatch},
		{Method: "GET", Path: "/api/v1/signals/changes", Summary: "Commit-ordered upserts and tombstones the caller may see", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ChangesBody{},
			Query: []string{"after", "limit"}, handler: s.signalChanges},
		{Method: "GET", Path: "/api/v1/signals/{id}", Summary: "One signal with the submissions the caller may see", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.Signal{}, handler: s.getSignal},
		{Method: "GET", Path: "/api/v1/signals/{id}/matches", Summary: "What a signal did: matches by other organisations per month, never which (submitting orgs and staff; months with fewer than 3 orgs withheld)", Role: ksp.RoleViewer, Scope: ksp.ScopeRead, Resp: ksp.SignalMatchStats{}, handler: s.signalMatches},
		{Method: "POST", Path: "/api/v1/signals/{id}/feedback", Summary: "Give your organisation's verdict", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Req: ksp.FeedbackInput{}, Resp: ksp.Signal{}, handler: s.feedback},
		{Method: "POST", Path: "/api/v1/signals/{id}/retract", Summary: "Withdraw your organisation's submission", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Resp: ksp.Signal{}, handler: s.retract},
		{Method: "POST", Path: "/api/v1/signals/{id}/resolve", Summary: "Settle a dispute", Staff: true, Scope: ksp.ScopeSubmit, Req: ksp.ResolveInput{}, Resp: ksp.Signal{}, handler: s.resolve},
		{Method: "POST", Path: "/api/v1/match", Summary: "Match hashes and URLs against the bank", Role: ksp.RoleViewer, Scope: ksp.ScopeMatch, Req: ksp.MatchRequest{}, Resp: MatchBody{}, handler: s.match},
		{Method: "POST", Path: "/api/v1/match/image", Summary: "Hash an image (nothing kept) and match it", Role: ksp.RoleViewer, Scope: ksp.ScopeMatch, ReqType: "application/octet-stream",
			Resp: ImageMatchBody{}, BodyLimit: s.cfg.MaxImageBytes, Query: []string{"threshold", "dihedral"}, handler: s.matchImage},
		{Method: "GET", Path: "/api/v1/negative-bank", Summary: "Your organisation's entries and the approved programme-wide ones (staff: all; pending=true: proposals awaiting approval)", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Resp: ksp.NegativeEntry{}, List: true, Query: []string{"pending", "limit", "cursor"}, handler: s.listNegatives},
		{Method: "POST", Path: "/api/v1/negative-bank", Summary: "Add a hash that cancels your organisation's matches (scope programme: propose it for everyone)", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Req: ksp.NegativeInput{}, Resp: ksp.NegativeEntry{}, Status: 201, handler: s.addNegative},
		{Method: "POST", Path: "/api/v1/negative-bank/{id}/approve", Summary: "Approve a programme-wide proposal", Staff: true, Scope: ksp.ScopeAdmin, Resp: ksp.NegativeEntry{}, handler: s.approveNegative},
		{Method: "DELETE", Path: "/api/v1/negative-bank/{id}", Summary: "Remove an entry (your organisation's, or any for staff)", Role: ksp.RoleAnalyst, Scope: ksp.ScopeSubmit, Status: 204, handler: s.removeNegative},
	}
}

// synced brings the matcher up to date after a write, so that the next
// match reflects it.
func (s *Server) synced(r *http.Request) {
	if s.cfg.Matcher != nil {
		if err := s.cfg.Matcher.Sync(r.Context()); err != nil {
			s.log.Warn("matcher sync after write failed", "err", err)
		}
	}
}

func (s *Server) listSignals(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.SignalFilter{Page: p}
	q := r.URL.Query()
	opt := func(name string, allowed []string) (*string, error) {
		v := q.Get(name)
		if v == "" {
			return nil, nil
		}
		if allowed != nil && !slices.Contains(allowed, v) {
			return nil, invalid(name, "must be one of "+strings.Join(allowed, ", "))
		}
		return &v, nil
	}
	if f.Type, err = opt("type", ksp.SignalTypes); err != nil {
		return nil, err
	}
	if f.Label, err = opt("label", ksp.Labels); err != nil {
		return nil, err
	}
	if f.Status, err = opt("status", ksp.SignalStatuses); err != nil {
		return nil, err
	}
	if f.EntityID, err = opt("entity_id", nil); err != nil {
		return nil, err
	}
	if f.EntityID != nil && !ksp.ValidID(*f.EntityID) {
		// A list reference number, as a submission's entity_id may be:
		// the entity's signals. One that names no entity lists nothing.
		if e, err := s.store.FindEntityByID(r.Context(), *f.EntityID); err == nil {
			f.EntityID = &e.ID
		} else if ksp.ErrorCode(err) != ksp.ENOTFOUND {
			return nil, err
		}
	}
	if since := q.Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			if d, derr := time.Parse("2006-01-02", since); derr == nil {
				t = d
			} else {
				return nil, invalid("since", "must be an RFC 3339 time or YYYY-MM-DD")
			}
		}
		st := ksp.T(t)
		f.Since = &st
	}
	// q and sort: the store checks them (ksp.SearchRanges, ksp.SignalSorts).
	f.Query, f.Sort = q.Get("q"), q.Get("sort")
	items, next, err := s.store.FindSignals(r.Context(), f)
	return list(items, next), err
}

func (s *Server) submitSignal(r *http.Request) (any, error) {
	var in ksp.SubmissionInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	res, err := s.store.Submit(r.Context(), in)
	if err != nil {
		return nil, err
	}
	s.synced(r)
	if res.Created {
		return withStatus{http.StatusCreated, res.Signal}, nil
	}
	return withStatus{http.StatusOK, res.Signal}, nil
}

func (s *Server) submitBatch(r *http.Request) (any, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/x-ndjson") && !strings.HasPrefix(ct, "application/json") {
		return nil, invalid("Content-Type", "must be application/x-ndjson")
	}
	// The body is read to its end before anything is stored: a line that
	// cannot be parsed anywhere refuses the whole body.
	sp, err := signalio.Spool(r.Body, "ndjson")
	var pe *signalio.ParseError
	switch {
	case isTooLarge(err):
		return nil, tooLarge()
	case errors.As(err, &pe):
		return nil, pe.Invalid()
	case err != nil:
		return nil, fmt.Errorf("read batch: %w", err)
	}
	defer sp.Close()
	res, err := s.store.SubmitBatch(r.Context(), sp.Next, "api:"+ksp.ActorFrom(r.Context()).AuditName())
	if err != nil {
		return nil, err
	}
	s.synced(r)
	return res, nil
}

func (s *Server) signalChanges(r *http.Request) (any, error) {
	q := r.URL.Query()
	var after int64
	if a := q.Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return nil, invalid("after", "must be a sequence number (0 or more)")
		}
		after = n
	}
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	items, last, err := s.store.Changes(r.Context(), after, p.Normalize().Limit)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []*ksp.Change{}
	}
	return ChangesBody{Items: items, LastSeq: last}, nil
}

func (s *Server) getSignal(r *http.Request) (any, error) {
	return s.store.FindSignalByID(r.Context(), r.PathValue("id"))
}

func (s *Server) signalMatches(r *http.Request) (any, error) {
	return s.store.SignalMatchStats(r.Context(), r.PathValue("id"))
}

func (s *Server) feedback(r *http.Request) (any, error) {
	var in ksp.FeedbackInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	sig, err := s.store.GiveFeedback(r.Context(), r.PathValue("id"), in)
	if err == nil {
		s.synced(r)
	}
	return sig, err
}

func (s *Server) retract(r *http.Request) (any, error) {
	sig, err := s.store.Retract(r.Context(), r.PathValue("id"))
	if err == nil {
		s.synced(r)
	}
	return sig, err
}

func (s *Server) resolve(r *http.Request) (any, error) {
	var in ksp.ResolveInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	sig, err := s.store.Resolve(r.Context(), r.PathValue("id"), in)
	if err == nil {
		s.synced(r)
	}
	return sig, err
}

func (s *Server) match(r *http.Request) (any, error) {
	var req ksp.MatchRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	th, err := ksp.ValidateMatchRequest(&req)
	if err != nil {
		return nil, err
	}
	res, err := s.cfg.Matcher.Match(r.Context(), req.Queries, th)
	if err != nil {
		return nil, err
	}
	return MatchBody{Results: res}, nil
}

func (s *Server) matchImage(r *http.Request) (any, error) {
	th := ksp.DefaultThreshold
	if t := r.URL.Query().Get("threshold"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > ksp.MaxThreshold {
			return nil, invalid("threshold", "must be from 0 to 64")
		}
		th = n
	}
	dihedral := false
	switch r.URL.Query().Get("dihedral") {
	case "", "false", "0":
	case "true", "1":
		dihedral = true
	default:
		return nil, invalid("dihedral", "must be true or false")
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		if isTooLarge(err) {
			return nil, ksp.Errorf(ksp.ETOOLARGE, "image larger than %d bytes", s.cfg.MaxImageBytes)
		}
		return nil, invalid("body", "could not read the image: "+err.Error())
	}
	if len(data) == 0 {
		return nil, invalid("body", "empty: send the image bytes as the request body")
	}
	res, err := filehash.HashBytes(data, filehash.Options{MaxPixels: s.cfg.MaxPixels, Dihedral: dihedral, Memory: s.cfg.DecodeBudget})
	switch {
	case errors.Is(err, filehash.ErrBusy):
		s.log.Warn("image upload refused: decode budget busy", "err", err, "format", res.Format, "width", res.Width, "height", res.Height)
		return nil, &ksp.Error{Code: ksp.EUNAVAILABLE, Message: "the server is decoding other images; try again shortly", RetryAfter: s.cfg.DecodeBudget.Wait()}
	case errors.Is(err, filehash.ErrTooManyPixels), errors.Is(err, filehash.ErrOverBudget):
		return nil, &ksp.Error{Code: ksp.ETOOLARGE, Message: err.Error(), Fields: []ksp.FieldError{{Field: "body", Reason: err.Error()}}}
	}
	if err != nil {
		return nil, invalid("body", err.Error())
	}
	if !res.IsImage {
		reason := "not an image (JPEG, PNG, GIF, WebP, BMP or TIFF)"
		if res.ImageError != nil {
			reason = fmt.Sprintf("a %s image that could not be decoded: %v", res.Format, res.ImageError)
		}
		return nil, invalid("body", reason)
	}
	out := ImageMatchBody{MD5: res.MD5, SHA256: res.SHA256, PDQ: res.PDQ.String(), Matches: []ksp.MatchHit{}}
	q := res.Quality
	out.Quality = &q
	queries, skipped := bank.ImageQueries(res)
	if skipped {
		out.PDQSkipped = fmt.Sprintf("PDQ quality %d is below %d: too little detail to match perceptually", res.Quality, ksp.MinPDQQuality)
	}
	results, err := s.cfg.Matcher.Match(r.Context(), queries, th)
	if err != nil {
		return nil, err
	}
	out.Matches = bank.Merge(results)
	return out, nil
}

func (s *Server) listNegatives(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	f := ksp.NegativeFilter{Page: p}
	switch r.URL.Query().Get("pending") {
	case "", "false":
	case "true":
		f.Pending = true
	default:
		return nil, invalid("pending", "must be true or false")
	}
	items, next, err := s.store.FindNegatives(r.Context(), f)
	return list(items, next), err
}

func (s *Server) approveNegative(r *http.Request) (any, error) {
	e, err := s.store.ApproveNegative(r.Context(), r.PathValue("id"))
	if err == nil {
		s.synced(r)
	}
	return e, err
}

func (s *Server) removeNegative(r *http.Request) (any, error) {
	err := s.store.RemoveNegative(r.Context(), r.PathValue("id"))
	if err == nil {
		s.synced(r)
	}
	return nil, err
}

func (s *Server) addNegative(r *http.Request) (any, error) {
	var in ksp.NegativeInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	e, err := s.store.AddNegative(r.Context(), in)
	if err == nil {
		s.synced(r)
	}
	return e, err
}
