package ksp

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
)

// EntityKind tells a designated individual from a group or organisation.
type EntityKind string

// Kinds of designated entities.
const (
	EntityIndividual EntityKind = "individual"
	EntityGroup      EntityKind = "entity"
)

// Ideology is the programme's own classification of an entity, from a fixed
// vocabulary so that counts and filters mean the same thing to everyone.
type Ideology string

// The ideology vocabulary; empty means not classified.
const (
	IdeologyIslamist                   Ideology = "islamist"
	IdeologyFarRight                   Ideology = "far_right"
	IdeologyEthnoNationalistSeparatist Ideology = "ethno_nationalist_separatist"
	IdeologyLeftWing                   Ideology = "left_wing"
	IdeologyOther                      Ideology = "other"
)

// Ideologies lists the vocabulary.
var Ideologies = []Ideology{IdeologyIslamist, IdeologyFarRight, IdeologyEthnoNationalistSeparatist, IdeologyLeftWing, IdeologyOther}

// ListUN is the list name of the UN Security Council Consolidated List.
const ListUN = "UN"

// EntityAlias is another name of an entity, with the list's grading of it
// ("Good"/"Low" for individuals, "a.k.a."/"f.k.a." for groups, or empty).
type EntityAlias struct {
	Quality string `json:"quality"`
	Name    string `json:"name"`
}

// EntityListing is an entity's membership of one designation list. Dates are
// calendar dates (YYYY-MM-DD) as the lists publish them; DelistedOn is empty
// while the entity is listed.
type EntityListing struct {
	List            string `json:"list"`
	Regime          string `json:"regime"`
	ReferenceNumber string `json:"reference_number"`
	ListedOn        string `json:"listed_on"`
	DelistedOn      string `json:"delisted_on"`
}

// Entity is a designated group or individual.
type Entity struct {
	ID string `json:"id"`
	// ExternalKey ties an imported entity to its source record ("UN:" +
	// DATAID); empty for entities staff created by hand.
	ExternalKey  string        `json:"external_key,omitempty"`
	Kind         EntityKind    `json:"kind"`
	Name         string        `json:"name"`
	OriginalName string        `json:"original_name"`
	Aliases      []EntityAlias `json:"aliases"`
	Ideology     Ideology      `json:"ideology"`
	// Notes are the programme's own; an import never changes them.
	Notes string `json:"notes"`
	// Comments and Nationalities come from the list.
	Comments      string          `json:"comments"`
	Nationalities []string        `json:"nationalities"`
	Lists         []EntityListing `json:"lists"`
	Created       Time            `json:"created_at"`
	Updated       Time            `json:"updated_at"`
}

// EntityFilter selects entities. Q matches a case-insensitive substring of
// the name, the original-script name or an alias; Regime keeps entities with
// a listing under that regime (UN_LIST_TYPE, e.g. "Al-Qaida").
type EntityFilter struct {
	Q      *string
	Regime *string
	Page   Page
}

// EntityUpdate changes an entity; nil fields stay as they are.
type EntityUpdate struct {
	Name         *string          `json:"name,omitempty"`
	OriginalName *string          `json:"original_name,omitempty"`
	Aliases      *[]EntityAlias   `json:"aliases,omitempty"`
	Ideology     *Ideology        `json:"ideology,omitempty"`
	Notes        *string          `json:"notes,omitempty"`
	Lists        *[]EntityListing `json:"lists,omitempty"`
}

// ImportCounts is what an import of a list did, counted in entries.
type ImportCounts struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Delisted  int `json:"delisted"`
	Unchanged int `json:"unchanged"`
	// Flagged counts the signals flagged for review by the delistings.
	Flagged int `json:"flagged"`
}

// EntityService keeps designated entities. Members read them; staff create,
// edit and import.
type EntityService interface {
	// FindEntityByID finds an entity by its id or by a list reference number
	// such as "QDe.115".
	FindEntityByID(ctx context.Context, id string) (*Entity, error)
	// EntityRegimes lists the regimes of the stored listings, sorted, for
	// the regime filter.
	EntityRegimes(ctx context.Context) ([]string, error)
	// FindEntities lists entities, newest first.
	FindEntities(ctx context.Context, f EntityFilter) ([]*Entity, string, error)
	// CreateEntity creates an entity by hand; ID and times are filled in.
	CreateEntity(ctx context.Context, e *Entity) error
	// UpdateEntity changes an entity.
	UpdateEntity(ctx context.Context, id string, upd EntityUpdate) (*Entity, error)
	// ImportUNSC reads a UN Security Council Consolidated List XML from r
	// and brings the UN listings up to date in one transaction, keyed by
	// DATAID: new entries are added, changed ones updated, listed entities
	// missing from the file are delisted as of the file's dateGenerated. A
	// file that is not a consolidated list is refused (EINVALID); so is one
	// generated before the last imported (ECONFLICT) unless force.
	ImportUNSC(ctx context.Context, r io.Reader, force bool) (*ImportCounts, error)
	// A delisting (by import or by a staff edit of an entity's lists)
	// flags for review every signal attributed to the entity.
	SignalReviewService
}

// ValidateEntity checks and tidies an entity's own fields, recording
// problems in f.
func ValidateEntity(e *Entity, f *Fields) {
	e.Name = strings.TrimSpace(e.Name)
	e.OriginalName = strings.TrimSpace(e.OriginalName)
	if e.Name == "" {
		f.Add("name", "required")
	} else if len(e.Name) > 500 {
		f.Add("name", "at most 500 bytes")
	}
	if e.Kind != EntityIndividual && e.Kind != EntityGroup {
		f.Add("kind", "must be individual or entity")
	}
	if e.Ideology != "" && !slices.Contains(Ideologies, e.Ideology) {
		f.Add("ideology", "must be one of islamist, far_right, ethno_nationalist_separatist, left_wing, other, or empty")
	}
	if e.Aliases == nil {
		e.Aliases = []EntityAlias{}
	}
	for i := range e.Aliases {
		e.Aliases[i].Name = strings.TrimSpace(e.Aliases[i].Name)
		e.Aliases[i].Quality = strings.TrimSpace(e.Aliases[i].Quality)
		if e.Aliases[i].Name == "" {
			f.Add("aliases", "an alias has no name")
		}
	}
	if e.Nationalities == nil {
		e.Nationalities = []string{}
	}
	if e.Lists == nil {
		e.Lists = []EntityListing{}
	}
	seen := map[string]bool{}
	for _, l := range e.Lists {
		switch {
		case strings.TrimSpace(l.List) == "":
			f.Add("lists", "a listing has no list")
		case seen[l.List]:
			f.Add("lists", "list "+l.List+" given twice")
		case !validDate(l.ListedOn) || !validDate(l.DelistedOn):
			f.Add("lists", "dates are YYYY-MM-DD")
		}
		seen[l.List] = true
	}
}

// MaxReferenceNumber bounds a list reference number, as lists publish them
// ("QDe.115") with room to spare.
const MaxReferenceNumber = 100

// ValidEntityRef reports whether s has the shape of what a signal's
// entity_id accepts: an entity id, or a list reference number (printable,
// no spaces, at most MaxReferenceNumber bytes). Whether it names an entity
// is the store's to say.
func ValidEntityRef(s string) bool {
	if ValidID(s) {
		return true
	}
	if s == "" || len(s) > MaxReferenceNumber {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

func validDate(s string) bool {
	if s == "" {
		return true
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
