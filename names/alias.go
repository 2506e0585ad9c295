package names

import "strings"

// SplitAliases splits a field that packs several names into the names, in
// order, each once. Names are separated by semicolons outside parentheses; a
// parenthesised group after a name is itself split the same way, so
// "X (original script); Y; Z" gives X, Y and Z, and
// "جبهة النصرة (the Victory Front; Jabhat al-Nusrah)" gives the three names.
// A group that only annotates (all in lower case, such as "original script"
// or "martyrs") is dropped, as is a trailing " - sub-unit name"-style note
// in lower case. White space, line breaks included, is collapsed.
func SplitAliases(s string) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(string, bool)
	add := func(n string, inGroup bool) {
		n = strings.Join(strings.Fields(n), " ")
		n = strings.Trim(n, " ;,")
		if i := strings.LastIndex(n, " - "); i > 0 && isAnnotation(n[i+3:]) {
			n = strings.TrimSpace(n[:i])
		}
		if n == "" || inGroup && isAnnotation(n) || seen[n] {
			return
		}
		seen[n] = true
		out = append(out, n)
	}
	walk = func(s string, inGroup bool) {
		for _, part := range splitTop(s) {
			var outer strings.Builder
			var groups []string
			depth, start := 0, 0
			for i, r := range part {
				switch r {
				case '(':
					if depth == 0 {
						start = i + 1
					}
					depth++
				case ')':
					if depth == 0 {
						continue // stray
					}
					depth--
					if depth == 0 {
						groups = append(groups, part[start:i])
					}
				default:
					if depth == 0 {
						outer.WriteRune(r)
					}
				}
			}
			if depth > 0 { // unclosed group: keep its text
				groups = append(groups, part[start:])
			}
			add(outer.String(), inGroup)
			for _, g := range groups {
				walk(g, true)
			}
		}
	}
	walk(s, false)
	return out
}

// splitTop splits s on the semicolons outside parentheses.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ';':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// isAnnotation reports a note rather than a name: letters all in lower case
// (Latin script) and at least one letter.
func isAnnotation(s string) bool {
	letters := 0
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			return false
		case r >= 'a' && r <= 'z':
			letters++
		case r > 0x7f:
			return false
		}
	}
	return letters > 0
}
