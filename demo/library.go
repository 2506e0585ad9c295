package demo

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/kspplatform/ksp"
)

// libraryFS holds the demo library: one Markdown file per resource, each
// opening with a front-matter block (demo/library/README.md).
//
//go:embed library/*.md
var libraryFS embed.FS

// LibraryFiles returns the names of the embedded resource files, sorted
// (the README that documents the format is not a resource).
func LibraryFiles() ([]string, error) {
	names, err := fs.Glob(libraryFS, "library/*.md")
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if !strings.EqualFold(path.Base(n), "README.md") {
			out = append(out, n)
		}
	}
	return out, nil
}

// LibraryResources parses every embedded resource file.
func LibraryResources() ([]*ksp.Resource, error) {
	names, err := LibraryFiles()
	if err != nil {
		return nil, err
	}
	var out []*ksp.Resource
	for _, n := range names {
		b, err := libraryFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		r, err := ParseResource(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// ParseResource reads a resource file: a front-matter block between two
// "---" lines, one "key: value" a line (tags and jurisdictions separated by
// commas), then the Markdown body. Unknown keys and missing required ones
// (title, kind) are errors, so that a typo in a file fails the demo's test
// instead of dropping a field.
func ParseResource(src string) (*ksp.Resource, error) {
	src = strings.ReplaceAll(strings.TrimPrefix(src, "\uFEFF"), "\r\n", "\n")
	rest, ok := strings.CutPrefix(src, "---\n")
	if !ok {
		return nil, fmt.Errorf("no front matter: the file must start with a line ---")
	}
	head, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		if head, ok = strings.CutSuffix(rest, "\n---"); !ok {
			return nil, fmt.Errorf("front matter not closed by a line ---")
		}
	}
	r := &ksp.Resource{Body: strings.TrimLeft(body, "\n"), Sharing: ksp.Sharing{Distribution: ksp.DefaultDistribution, TLP: ksp.DefaultTLP}}
	seen := map[string]bool{}
	for i, line := range strings.Split(head, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("front matter line %d: want key: value", i+2)
		}
		key, val = strings.TrimSpace(key), unquote(strings.TrimSpace(val))
		if seen[key] {
			return nil, fmt.Errorf("front matter line %d: %s given twice", i+2, key)
		}
		seen[key] = true
		switch key {
		case "title":
			r.Title = val
		case "kind":
			r.Kind = ksp.ResourceKind(val)
		case "summary":
			r.Summary = val
		case "tags":
			r.Tags = commaList(val)
		case "jurisdictions":
			r.Jurisdictions = commaList(val)
		case "language":
			r.Language = val
		case "distribution":
			r.Distribution = ksp.Distribution(val)
		case "tlp":
			r.TLP = ksp.TLP(val)
		default:
			return nil, fmt.Errorf("front matter line %d: unknown key %q", i+2, key)
		}
	}
	for _, k := range []string{"title", "kind"} {
		if !seen[k] {
			return nil, fmt.Errorf("front matter lacks %s", k)
		}
	}
	ksp.NormalizeResource(r)
	var fe ksp.Fields
	ksp.ValidateResource(r, &fe)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	return v
}

func commaList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// SeedLibrary adds the embedded resources, owned by the programme's staff
// org and written by its first staff member. A resource already there (the
// same title, owned by staff) is brought up to date with its file instead,
// which adds a revision only when the file changed.
func SeedLibrary(ctx context.Context, w *World) error {
	rs, err := LibraryResources()
	if err != nil {
		return fmt.Errorf("demo library: %w", err)
	}
	author := w.Actor(Staff[0].Local + "@" + staffDomain)
	if author == nil {
		return fmt.Errorf("demo library: staff member %s missing", Staff[0].Local)
	}
	as := ksp.NewContext(ctx, author)
	existing := map[string]*ksp.Resource{}
	cursor := ""
	for {
		list, next, err := w.Store.FindResources(as, ksp.ResourceFilter{Page: ksp.Page{Limit: ksp.MaxLimit, Cursor: cursor}})
		if err != nil {
			return fmt.Errorf("demo library: %w", err)
		}
		for _, r := range list {
			if r.OwnerOrgID == ksp.StaffOrgID {
				existing[r.Title] = r
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	for _, r := range rs {
		old := existing[r.Title]
		if old == nil {
			if err := w.Store.CreateResource(as, r); err != nil {
				return fmt.Errorf("demo library: %s: %w", r.Title, err)
			}
			continue
		}
		aud := []string{}
		upd := ksp.ResourceUpdate{Kind: &r.Kind, Summary: &r.Summary, Body: &r.Body, Tags: &r.Tags, Jurisdictions: &r.Jurisdictions,
			Language: &r.Language, Distribution: &r.Distribution, Audience: &aud, TLP: &r.TLP}
		if _, err := w.Store.UpdateResource(as, old.ID, upd); err != nil {
			return fmt.Errorf("demo library: %s: %w", r.Title, err)
		}
	}
	return nil
}
