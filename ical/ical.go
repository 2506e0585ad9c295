// Package ical writes iCalendar (RFC 5545) feeds: content lines folded at
// 75 octets without splitting a UTF-8 sequence, TEXT values escaped, and
// one VTIMEZONE per zone used, built from the Go zone database, so that an
// event keeps its wall-clock time in calendar apps that honour TZID and
// its instant in those that only read the offsets. It imports nothing of
// the project.
package ical

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one VEVENT.
type Event struct {
	UID         string
	Stamp       time.Time // DTSTAMP: when the feed's copy was last changed
	Start, End  time.Time
	Location    *time.Location // the zone DTSTART and DTEND are written in
	Summary     string
	Description string
	Place       string // LOCATION
	URL         string
	Categories  []string
}

// Calendar is a VCALENDAR of events.
type Calendar struct {
	ProdID string
	Name   string // X-WR-CALNAME, the name apps give a subscribed feed
	Events []Event
}

// utc reports whether times in loc are written as UTC ("…Z") rather
// than with a TZID.
func utc(loc *time.Location) bool {
	if loc == nil {
		return true
	}
	switch loc.String() {
	case "UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Universal", "Etc/Universal":
		return true
	}
	return false
}

// WriteTo writes the calendar to w.
func (c *Calendar) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	line := func(name, value string) { writeLine(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", Text(c.ProdID))
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	if c.Name != "" {
		line("X-WR-CALNAME", Text(c.Name))
	}
	// One VTIMEZONE per zone used, covering every event in it.
	type span struct{ from, to time.Time }
	zones := map[string]span{}
	locs := map[string]*time.Location{}
	for _, e := range c.Events {
		if utc(e.Location) {
			continue
		}
		name := e.Location.String()
		s, ok := zones[name]
		if !ok || e.Start.Before(s.from) {
			s.from = e.Start
		}
		if !ok || e.End.After(s.to) {
			s.to = e.End
		}
		zones[name], locs[name] = s, e.Location
	}
	names := make([]string, 0, len(zones))
	for n := range zones {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		writeTimeZone(&b, locs[n], zones[n].from, zones[n].to)
	}
	for _, e := range c.Events {
		line("BEGIN", "VEVENT")
		line("UID", Text(e.UID))
		line("DTSTAMP", e.Stamp.UTC().Format("20060102T150405Z"))
		if utc(e.Location) {
			line("DTSTART", e.Start.UTC().Format("20060102T150405Z"))
			line("DTEND", e.End.UTC().Format("20060102T150405Z"))
		} else {
			tz := paramValue(e.Location.String())
			line("DTSTART;TZID="+tz, e.Start.In(e.Location).Format("20060102T150405"))
			line("DTEND;TZID="+tz, e.End.In(e.Location).Format("20060102T150405"))
		}
		line("SUMMARY", Text(e.Summary))
		if e.Description != "" {
			line("DESCRIPTION", Text(e.Description))
		}
		if e.Place != "" {
			line("LOCATION", Text(e.Place))
		}
		if e.URL != "" {
			line("URL", e.URL)
		}
		if len(e.Categories) > 0 {
			parts := make([]string, len(e.Categories))
			for i, c := range e.Categories {
				parts[i] = Text(c)
			}
			line("CATEGORIES", strings.Join(parts, ","))
		}
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.WriteTo(w)
}

// Text escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon and
// comma are escaped, and every line break becomes \n.
func Text(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case ';':
			b.WriteString(`\;`)
		case ',':
			b.WriteString(`\,`)
		case '\n':
			b.WriteString(`\n`)
		default:
			if r < 0x20 && r != '\t' || r == 0x7f {
				continue // control characters are not allowed in TEXT
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// paramValue quotes a parameter value when it holds characters that a
// bare one may not (":", ";", ","); IANA names rarely do.
func paramValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 {
			return -1
		}
		return r
	}, s)
	if strings.ContainsAny(s, ":;,") {
		return `"` + s + `"`
	}
	return s
}

// maxOctets is the longest a content line may be, CRLF excluded.
const maxOctets = 75

// writeLine writes one content line, folded: after 75 octets a CRLF and a
// space start a continuation line (whose space counts towards its 75).
// A fold never falls inside a UTF-8 sequence.
func writeLine(b *bytes.Buffer, s string) {
	limit := maxOctets
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = maxOctets - 1
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// writeTimeZone writes a VTIMEZONE for loc whose observances cover from
// to to: the one in effect at from, and one per transition up to to (with
// a year of margin each side, so that an app moving the event slightly
// still finds its offset). Transitions are listed one by one rather than
// as RRULEs: exact for any zone, however irregular its history.
func writeTimeZone(b *bytes.Buffer, loc *time.Location, from, to time.Time) {
	from, to = from.AddDate(-1, 0, 0).In(loc), to.AddDate(1, 0, 0)
	writeLine(b, "BEGIN:VTIMEZONE")
	writeLine(b, "TZID:"+loc.String())
	_, prevOff := from.Zone()
	start, _ := from.ZoneBounds()
	before := prevOff
	if start.IsZero() {
		start = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	} else {
		_, before = start.Add(-time.Second).In(loc).Zone()
	}
	observance(b, from, start, before)
	t := from
	for i := 0; i < 1000; i++ {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.After(to) {
			break
		}
		t = end.In(loc)
		observance(b, t, t, prevOff)
		_, prevOff = t.Zone()
	}
	writeLine(b, "END:VTIMEZONE")
}

// observance writes the STANDARD or DAYLIGHT block of the zone in effect
// at t, starting at onset (written in the local time of the offset before
// it, fromOff, as RFC 5545 requires).
func observance(b *bytes.Buffer, t, onset time.Time, fromOff int) {
	name, off := t.Zone()
	kind := "STANDARD"
	if t.IsDST() {
		kind = "DAYLIGHT"
	}
	writeLine(b, "BEGIN:"+kind)
	writeLine(b, "DTSTART:"+onset.UTC().Add(time.Duration(fromOff)*time.Second).Format("20060102T150405"))
	writeLine(b, "TZOFFSETFROM:"+offset(fromOff))
	writeLine(b, "TZOFFSETTO:"+offset(off))
	if name != "" && !strings.HasPrefix(name, "+") && !strings.HasPrefix(name, "-") {
		writeLine(b, "TZNAME:"+Text(name))
	}
	writeLine(b, "END:"+kind)
}

// offset formats seconds east of UTC as ±HHMM (or ±HHMMSS when the zone
// has seconds, as some historical ones do).
func offset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	h, m, s := sec/3600, sec/60%60, sec%60
	if s != 0 {
		return fmt.Sprintf("%s%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%s%02d%02d", sign, h, m)
}
