package ksp

import "context"

// Types of item the search covers.
const (
	SearchResource = "resource"
	SearchEntity   = "entity"
	SearchQuestion = "question"
)

// SearchTypes lists every searchable type.
var SearchTypes = []string{SearchResource, SearchEntity, SearchQuestion}

// SearchQuery is one search. Q is the user's words (free text: a store turns
// it into its own query language, never passes it through). With no Types,
// every type the caller may see is searched and ranked together. Kind, Tag
// and Jurisdiction filter resources (and exclude other types when set);
// Regime filters entities.
type SearchQuery struct {
	Q            string
	Types        []string
	Kind         *ResourceKind
	Tag          *string
	Jurisdiction *string
	Regime       *string
	Page         Page
}

// SearchResult is one ranked hit. Snippet is HTML-escaped text in which only
// <mark> and </mark> appear as markup.
type SearchResult struct {
	Type    string  `json:"type"`
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Kind    string  `json:"kind,omitempty"`
	Snippet string  `json:"snippet"`
	Score   float64 `json:"score"`
}

// SearchCount is the number of searches run on one day (YYYY-MM-DD, UTC),
// kept for the transparency report; queries themselves are never stored.
type SearchCount struct {
	Day      string `json:"day"`
	Searches int64  `json:"searches"`
}

// SearchService searches the library, entities and questions under the
// sharing rule, inside the query.
type SearchService interface {
	// Search returns ranked results the caller may see and counts the
	// search in the day's aggregate.
	Search(ctx context.Context, q SearchQuery) ([]*SearchResult, string, error)
	// SearchCounts returns the daily counts from from to to (inclusive,
	// YYYY-MM-DD).
	SearchCounts(ctx context.Context, from, to string) ([]SearchCount, error)
}
