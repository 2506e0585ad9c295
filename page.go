package ksp

// List limits from API.md.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Page is the cursor pagination of every list: newest first, at most Limit
// items after Cursor (the opaque next_cursor of the previous page).
type Page struct {
	Limit  int
	Cursor string
}

// Normalize applies the default limit.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultLimit
	}
	return p
}
