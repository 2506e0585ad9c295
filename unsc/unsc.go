// Package unsc reads the UN Security Council Consolidated List XML
// (https://scsanctions.un.org/resources/xml/en/consolidated.xml).
//
// The parser walks the document token by token with an encoding/xml Decoder
// instead of unmarshalling into fixed structs, because the schema drifts
// between years (elements appear, disappear or come empty): unknown elements
// are skipped, missing ones leave their field empty, and all text is trimmed.
// The whole list (about 1,000 entries, 2 MB of XML) is returned in memory.
package unsc

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrNotConsolidatedList is returned (wrapped) when the document's root
// element is not CONSOLIDATED_LIST.
var ErrNotConsolidatedList = errors.New("not a consolidated list")

// Kind tells an individual from an entity (group, company, organisation).
type Kind string

// The two kinds of entries of the list.
const (
	KindIndividual Kind = "individual"
	KindEntity     Kind = "entity"
)

// Alias is another name an entry is known by.
type Alias struct {
	// Quality is the list's own grading: "Good" or "Low" for individuals,
	// "a.k.a." or "f.k.a." for entities, or empty.
	Quality string
	Name    string
}

// Entry is one INDIVIDUAL or ENTITY of the list. Every field has its white
// space tidied: runs made one space, and for Comments, lines kept but
// trimmed, blank ones dropped.
type Entry struct {
	// DataID is the UN's stable key of the entry (DATAID); it survives
	// changes of reference number and name.
	DataID string
	Kind   Kind
	// Name is FIRST_NAME to FOURTH_NAME joined by spaces for individuals and
	// FIRST_NAME for entities.
	Name               string
	NameOriginalScript string
	Aliases            []Alias
	// Regime is UN_LIST_TYPE ("Al-Qaida", "Taliban", "DPRK", …).
	Regime          string
	ReferenceNumber string
	// ListedOn is LISTED_ON as written (YYYY-MM-DD), empty when missing.
	ListedOn      string
	Comments      string
	Nationalities []string
}

// List is a parsed consolidated list.
type List struct {
	// Generated is the root's dateGenerated attribute.
	Generated   time.Time
	Individuals int
	Entities    int
	Entries     []Entry
}

// Parse reads a consolidated list from r. It fails on malformed XML, on a
// root element other than CONSOLIDATED_LIST (ErrNotConsolidatedList), on a
// missing or unreadable dateGenerated, and on an entry without DATAID or with
// a DATAID seen before.
func Parse(r io.Reader) (*List, error) {
	d := xml.NewDecoder(r)
	// The UN files are UTF-8; accept a declared charset that Go's decoder
	// does not know only when it is a UTF-8 alias.
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported charset %q", charset)
	}
	root, err := firstElement(d)
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "CONSOLIDATED_LIST" {
		return nil, fmt.Errorf("unsc: root element <%s>: %w", root.Name.Local, ErrNotConsolidatedList)
	}
	l := &List{}
	var gen string
	for _, a := range root.Attr {
		if a.Name.Local == "dateGenerated" {
			gen = strings.TrimSpace(a.Value)
		}
	}
	if gen == "" {
		return nil, errors.New("unsc: CONSOLIDATED_LIST has no dateGenerated")
	}
	if l.Generated, err = ParseTime(gen); err != nil {
		return nil, fmt.Errorf("unsc: dateGenerated: %w", err)
	}
	seen := map[string]bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("unsc: %w", unexpected(err))
		}
		switch t := tok.(type) {
		case xml.EndElement:
			// The root closed; anything after it is an error of the decoder
			// only if it is malformed, which we do not need to read.
			return l, nil
		case xml.StartElement:
			var kind Kind
			switch t.Name.Local {
			case "INDIVIDUALS":
				kind = KindIndividual
			case "ENTITIES":
				kind = KindEntity
			default:
				if err := d.Skip(); err != nil {
					return nil, fmt.Errorf("unsc: %w", unexpected(err))
				}
				continue
			}
			if err := parseGroup(d, kind, l, seen); err != nil {
				return nil, err
			}
		}
	}
}

// ParseTime reads a dateGenerated value: RFC 3339 with optional fractional
// seconds and a zone offset or Z, or, as a fallback, a bare date or a time
// without zone (taken as UTC).
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a date and time", s)
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func firstElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, fmt.Errorf("unsc: empty document: %w", ErrNotConsolidatedList)
		}
		if err != nil {
			return xml.StartElement{}, fmt.Errorf("unsc: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se, nil
		}
	}
}

// parseGroup reads the children of INDIVIDUALS or ENTITIES up to its end tag.
func parseGroup(d *xml.Decoder, kind Kind, l *List, seen map[string]bool) error {
	want := "INDIVIDUAL"
	if kind == KindEntity {
		want = "ENTITY"
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("unsc: %w", unexpected(err))
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Local != want {
				if err := d.Skip(); err != nil {
					return fmt.Errorf("unsc: %w", unexpected(err))
				}
				continue
			}
			e, err := parseEntry(d, kind)
			if err != nil {
				return err
			}
			if e.DataID == "" {
				return fmt.Errorf("unsc: %s %d (reference %q) has no DATAID", want, l.Individuals+l.Entities+1, e.ReferenceNumber)
			}
			if seen[e.DataID] {
				return fmt.Errorf("unsc: DATAID %s appears twice", e.DataID)
			}
			seen[e.DataID] = true
			if kind == KindIndividual {
				l.Individuals++
			} else {
				l.Entities++
			}
			l.Entries = append(l.Entries, e)
		}
	}
}

// node is a generic element tree, enough for one entry: entries are small
// and their nesting shallow, so building it keeps the field mapping simple
// and indifferent to element order.
type node struct {
	name     string
	text     string
	children []*node
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (n *node) all(name string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// textOf returns the text of the first child called name with runs of
// white space (line breaks of the UN's pretty-printing included) made one
// space.
func (n *node) textOf(name string) string {
	if c := n.child(name); c != nil {
		return oneLine(c.text)
	}
	return ""
}

// rawText is the raw (trimmed) text of the first child called name.
func (n *node) rawText(name string) string {
	if c := n.child(name); c != nil {
		return c.text
	}
	return ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// paragraphs tidies free text: each line's white space is made one space,
// blank lines are dropped and the lines are joined by a line break. The two
// snapshots indent the same comment differently; this makes them equal.
func paragraphs(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = oneLine(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// maxDepth bounds the nesting inside one entry (the real list nests three
// deep), so that a hostile document cannot exhaust the stack.
const maxDepth = 32

// readNode reads the content of the element just opened, depth levels below
// its entry, up to its end tag.
func readNode(d *xml.Decoder, name string, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("unsc: elements nested more than %d deep inside an entry", maxDepth)
	}
	n := &node{name: name}
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("unsc: %w", unexpected(err))
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			c, err := readNode(d, t.Name.Local, depth+1)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
		case xml.EndElement:
			n.text = strings.TrimSpace(text.String())
			return n, nil
		}
	}
}

func parseEntry(d *xml.Decoder, kind Kind) (Entry, error) {
	n, err := readNode(d, "", 0)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{
		DataID:             n.textOf("DATAID"),
		Kind:               kind,
		NameOriginalScript: n.textOf("NAME_ORIGINAL_SCRIPT"),
		Regime:             n.textOf("UN_LIST_TYPE"),
		ReferenceNumber:    n.textOf("REFERENCE_NUMBER"),
		ListedOn:           n.textOf("LISTED_ON"),
		Comments:           paragraphs(n.rawText("COMMENTS1")),
	}
	if kind == KindIndividual {
		var parts []string
		for _, f := range []string{"FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"} {
			if v := n.textOf(f); v != "" {
				parts = append(parts, v)
			}
		}
		e.Name = strings.Join(parts, " ")
	} else {
		e.Name = n.textOf("FIRST_NAME")
	}
	aliasTag := "INDIVIDUAL_ALIAS"
	if kind == KindEntity {
		aliasTag = "ENTITY_ALIAS"
	}
	for _, a := range n.all(aliasTag) {
		if name := a.textOf("ALIAS_NAME"); name != "" {
			e.Aliases = append(e.Aliases, Alias{Quality: a.textOf("QUALITY"), Name: name})
		}
	}
	for _, nat := range n.all("NATIONALITY") {
		for _, v := range nat.all("VALUE") {
			if t := oneLine(v.text); t != "" {
				e.Nationalities = append(e.Nationalities, t)
			}
		}
	}
	return e, nil
}
