package web

import (
	"net/http"

	"github.com/kspplatform/ksp"
)

// Staff's review flags: signals attributed to an entity that was delisted.
// The queue is a section of the staff page; clearing a flag is a form on it.

// reviewsShown is how many open flags the staff page lists.
const reviewsShown = 50

// openReviews returns the newest open flags and whether there are more.
func (s *Server) openReviews(r *http.Request) ([]*ksp.SignalReview, bool, error) {
	list, next, err := s.store.FindSignalReviews(r.Context(), ksp.SignalReviewFilter{State: ksp.ReviewOpen, Page: ksp.Page{Limit: reviewsShown}})
	return list, next != "", err
}

func (s *Server) clearReview(w http.ResponseWriter, r *http.Request) error {
	rv, err := s.store.ResolveSignalReview(r.Context(), r.PathValue("id"), r.PostFormValue("note"))
	switch ksp.ErrorCode(err) {
	case "":
		s.flash(w, r, "success", "Flag cleared: signal "+rv.SignalID+" (entity "+rv.EntityName+").")
	case ksp.EINVALID, ksp.ECONFLICT:
		s.flash(w, r, "warning", ksp.ErrorMessage(err))
	default:
		return err
	}
	return redirect(w, r, "/staff#reviews")
}
