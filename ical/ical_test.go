package ical

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// icalLine is one unfolded content line as the test's own parser reads it.
type icalLine struct {
	name   string
	params map[string]string
	value  string
}

// icalParse is a small RFC 5545 reader, written apart from the writer:
// it checks the physical form (CRLF, at most 75 octets, valid UTF-8,
// continuation lines starting with a space), unfolds, and splits each
// line into name, parameters and value.
func icalParse(t *testing.T, raw []byte) []icalLine {
	t.Helper()
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Fatal("feed does not end with CRLF")
	}
	phys := strings.Split(strings.TrimSuffix(string(raw), "\r\n"), "\r\n")
	var logical []string
	for i, p := range phys {
		if strings.ContainsAny(p, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %q", i+1, p)
		}
		if len(p) > 75 {
			t.Fatalf("line %d is %d octets: %q", i+1, len(p), p)
		}
		if !utf8.ValidString(p) {
			t.Fatalf("line %d splits a UTF-8 sequence: %q", i+1, p)
		}
		if strings.HasPrefix(p, " ") || strings.HasPrefix(p, "\t") {
			if len(logical) == 0 {
				t.Fatal("feed starts with a continuation line")
			}
			logical[len(logical)-1] += p[1:]
			continue
		}
		logical = append(logical, p)
	}
	var out []icalLine
	for _, l := range logical {
		// The name and parameters end at the first colon outside quotes.
		inQuote, colon := false, -1
		for i, r := range l {
			if r == '"' {
				inQuote = !inQuote
			}
			if r == ':' && !inQuote {
				colon = i
				break
			}
		}
		if colon < 0 {
			t.Fatalf("no colon in %q", l)
		}
		head := strings.Split(l[:colon], ";")
		il := icalLine{name: head[0], params: map[string]string{}, value: l[colon+1:]}
		for _, p := range head[1:] {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				t.Fatalf("bad parameter %q in %q", p, l)
			}
			il.params[k] = strings.Trim(v, `"`)
		}
		out = append(out, il)
	}
	return out
}

// icalUnescape reads a TEXT value, refusing unescaped , and ; and unknown
// escapes.
func icalUnescape(t *testing.T, v string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v):
			i++
			switch v[i] {
			case '\\', ';', ',':
				b.WriteByte(v[i])
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				t.Fatalf("unknown escape \\%c in %q", v[i], v)
			}
		case c == '\\' || c == ',' || c == ';':
			t.Fatalf("unescaped %q in TEXT %q", c, v)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

type icalObservance struct {
	onsetUTC time.Time
	to       int
}

func icalOffset(t *testing.T, s string) int {
	t.Helper()
	var sign, h, m, sec int
	switch s[0] {
	case '+':
		sign = 1
	case '-':
		sign = -1
	default:
		t.Fatalf("bad offset %q", s)
	}
	if _, err := fmt.Sscanf(s[1:5], "%02d%02d", &h, &m); err != nil {
		t.Fatalf("bad offset %q", s)
	}
	if len(s) == 7 {
		fmt.Sscanf(s[5:], "%02d", &sec)
	}
	return sign * (h*3600 + m*60 + sec)
}

// icalFeed is a parsed feed: events (property name to line) and time
// zones (observances by onset).
type icalFeed struct {
	events []map[string]icalLine
	zones  map[string][]icalObservance
	top    map[string]string
}

func icalRead(t *testing.T, raw []byte) icalFeed {
	t.Helper()
	f := icalFeed{zones: map[string][]icalObservance{}, top: map[string]string{}}
	var stack []string
	var ev map[string]icalLine
	var tzid string
	var obs map[string]string
	for _, l := range icalParse(t, raw) {
		switch l.name {
		case "BEGIN":
			stack = append(stack, l.value)
			switch l.value {
			case "VEVENT":
				ev = map[string]icalLine{}
			case "STANDARD", "DAYLIGHT":
				obs = map[string]string{}
			}
			continue
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != l.value {
				t.Fatalf("END:%s does not close %v", l.value, stack)
			}
			stack = stack[:len(stack)-1]
			switch l.value {
			case "VEVENT":
				f.events = append(f.events, ev)
			case "STANDARD", "DAYLIGHT":
				from := icalOffset(t, obs["TZOFFSETFROM"])
				local, err := time.Parse("20060102T150405", obs["DTSTART"])
				if err != nil {
					t.Fatalf("observance DTSTART %q: %v", obs["DTSTART"], err)
				}
				f.zones[tzid] = append(f.zones[tzid], icalObservance{onsetUTC: local.Add(-time.Duration(from) * time.Second), to: icalOffset(t, obs["TZOFFSETTO"])})
			}
			continue
		}
		if len(stack) == 0 {
			t.Fatalf("%s outside VCALENDAR", l.name)
		}
		switch stack[len(stack)-1] {
		case "VCALENDAR":
			f.top[l.name] = l.value
		case "VEVENT":
			if _, dup := ev[l.name]; dup {
				t.Fatalf("VEVENT repeats %s", l.name)
			}
			ev[l.name] = l
		case "VTIMEZONE":
			if l.name == "TZID" {
				tzid = l.value
			}
		case "STANDARD", "DAYLIGHT":
			obs[l.name] = l.value
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed components %v", stack)
	}
	if f.top["VERSION"] != "2.0" || f.top["PRODID"] == "" {
		t.Fatalf("calendar properties %v", f.top)
	}
	return f
}

// instant reads a DTSTART/DTEND line: UTC, or local time in a TZID that
// the feed's own VTIMEZONE resolves.
func (f icalFeed) instant(t *testing.T, l icalLine) time.Time {
	t.Helper()
	if strings.HasSuffix(l.value, "Z") {
		u, err := time.Parse("20060102T150405Z", l.value)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	obs, ok := f.zones[l.params["TZID"]]
	if !ok {
		t.Fatalf("TZID %q has no VTIMEZONE", l.params["TZID"])
	}
	local, err := time.Parse("20060102T150405", l.value)
	if err != nil {
		t.Fatal(err)
	}
	offsetAt := func(u time.Time) int {
		off, best := 0, time.Time{}
		for _, o := range obs {
			if !o.onsetUTC.After(u) && (best.IsZero() || o.onsetUTC.After(best)) {
				off, best = o.to, o.onsetUTC
			}
		}
		if best.IsZero() {
			t.Fatalf("no observance covers %v in %s", u, l.params["TZID"])
		}
		return off
	}
	for _, o := range obs {
		u := local.Add(-time.Duration(o.to) * time.Second)
		if offsetAt(u) == o.to {
			return u
		}
	}
	t.Fatalf("local time %s does not exist in %s", l.value, l.params["TZID"])
	return time.Time{}
}

func TestICalendarFeed(t *testing.T) {
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	zone := func(n string) *time.Location {
		loc, err := time.LoadLocation(n)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	long := strings.Repeat("Étude de cas – 恐怖主义内容 🙂; ", 12)
	tricky := "Agenda:\n09:30 Welcome, intro; \\ backslash\r\n10:00 Panel"
	cases := []struct {
		name       string
		loc        *time.Location
		start      time.Time
		wantTZ     bool
		summary    string
		descripton string
	}{
		{"Brussels summer", zone("Europe/Brussels"), time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC), true, "Workshop, summer; part 1", tricky},
		{"Brussels winter", zone("Europe/Brussels"), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), true, "Workshop winter", long},
		{"New York across DST", zone("America/New_York"), time.Date(2026, 3, 7, 23, 0, 0, 0, time.UTC), true, "Overnight", ""},
		{"Kolkata half hour", zone("Asia/Kolkata"), time.Date(2026, 5, 12, 4, 30, 0, 0, time.UTC), true, "Webinar", "x"},
		{"Lord Howe half-hour DST", zone("Australia/Lord_Howe"), time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), true, "Conference", "y"},
		{"UTC", time.UTC, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), false, "Online", "z"},
	}
	cal := Calendar{ProdID: "-//KSP//Calendar//EN", Name: "KSP events, public"}
	for i, c := range cases {
		cal.Events = append(cal.Events, Event{UID: fmt.Sprintf("ev%d@ksp.example", i), Stamp: stamp, Start: c.start, End: c.start.Add(26 * time.Hour),
			Location: c.loc, Summary: c.summary, Description: c.descripton, Place: "Rue de la Loi 1, Brussels", URL: "https://ksp.example/community/events/x"})
	}
	var buf bytes.Buffer
	if _, err := cal.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	feed := icalRead(t, buf.Bytes())
	if got := icalUnescape(t, feed.top["X-WR-CALNAME"]); got != "KSP events, public" {
		t.Fatalf("calendar name %q", got)
	}
	if len(feed.events) != len(cases) {
		t.Fatalf("%d events, want %d", len(feed.events), len(cases))
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := feed.events[i]
			for _, p := range []string{"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"} {
				if _, ok := ev[p]; !ok {
					t.Fatalf("missing %s", p)
				}
			}
			if ev["DTSTAMP"].value != "20260102T030405Z" {
				t.Fatalf("DTSTAMP %q", ev["DTSTAMP"].value)
			}
			if _, has := ev["DTSTART"].params["TZID"]; has != c.wantTZ {
				t.Fatalf("DTSTART %+v: TZID present %v, want %v", ev["DTSTART"], has, c.wantTZ)
			}
			if got := feed.instant(t, ev["DTSTART"]); !got.Equal(c.start) {
				t.Fatalf("DTSTART resolves to %v, want %v", got, c.start)
			}
			if got := feed.instant(t, ev["DTEND"]); !got.Equal(c.start.Add(26 * time.Hour)) {
				t.Fatalf("DTEND resolves to %v, want %v", got, c.start.Add(26*time.Hour))
			}
			if got := icalUnescape(t, ev["SUMMARY"].value); got != c.summary {
				t.Fatalf("SUMMARY %q, want %q", got, c.summary)
			}
			want := strings.ReplaceAll(c.descripton, "\r\n", "\n")
			if d, ok := ev["DESCRIPTION"]; ok || want != "" {
				if got := icalUnescape(t, d.value); got != want {
					t.Fatalf("DESCRIPTION %q, want %q", got, want)
				}
			}
		})
	}
}

func TestICalendarFolding(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("a", 75), strings.Repeat("a", 76), strings.Repeat("é", 100), strings.Repeat("🙂", 50),
		"x" + strings.Repeat("€", 60), strings.Repeat("ab", 200),
	} {
		var b bytes.Buffer
		writeLine(&b, "DESCRIPTION:"+s)
		lines := icalParse(t, b.Bytes())
		if len(lines) != 1 || lines[0].value != s {
			t.Fatalf("folding lost text: %q", lines)
		}
		for _, p := range strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n") {
			if len(p) > 75 {
				t.Fatalf("physical line of %d octets", len(p))
			}
		}
	}
}

func TestICalendarEscaping(t *testing.T) {
	for in, want := range map[string]string{
		`a,b;c\d`:         `a\,b\;c\\d`,
		"one\ntwo\r\nx\r": `one\ntwo\nx\n`,
		"bell\x07tab\t":   "belltab\t",
		"plain":           "plain",
	} {
		if got := Text(in); got != want {
			t.Fatalf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkICalendarFeed writes a feed of 500 events in three zones, each
// with a 2 KB description: the work of one /calendar.ics request at the
// feed's limit.
func BenchmarkICalendarFeed(b *testing.B) {
	zones := []string{"Europe/Brussels", "America/New_York", "UTC"}
	cal := Calendar{ProdID: "-//KSP//Bench//EN"}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 500; i++ {
		loc, _ := time.LoadLocation(zones[i%3])
		s := start.Add(time.Duration(i) * 19 * time.Hour)
		cal.Events = append(cal.Events, Event{UID: fmt.Sprintf("e%d@ksp.example", i), Stamp: s, Start: s, End: s.Add(2 * time.Hour), Location: loc,
			Summary: "Workshop, part " + fmt.Sprint(i), Description: strings.Repeat("Agenda; speaker, affiliation — détails. ", 50)})
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if _, err := cal.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
