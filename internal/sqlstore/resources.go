package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
)

// resourceCols are the columns scanResource reads, for a resources table
// aliased r joined to its owner org aliased o.
const resourceCols = `r.id, r.kind, r.title, r.summary, r.body, r.tags, r.jurisdictions, r.language, r.owner_org_id, COALESCE(o.name, ''), r.distribution, r.tlp, r.revision, r.author_id, r.created_at, r.updated_at`

const resourceFrom = ` FROM resources r LEFT JOIN orgs o ON o.id = r.owner_org_id`

func scanResource(sc interface{ Scan(...any) error }) (*ksp.Resource, error) {
	var r ksp.Resource
	var tags, jurs, dist, tlp, kind string
	var created, updated int64
	if err := sc.Scan(&r.ID, &kind, &r.Title, &r.Summary, &r.Body, &tags, &jurs, &r.Language, &r.OwnerOrgID, &r.OwnerOrgName,
		&dist, &tlp, &r.Revision, &r.AuthorID, &created, &updated); err != nil {
		return nil, err
	}
	r.Kind, r.Distribution, r.TLP = ksp.ResourceKind(kind), ksp.Distribution(dist), ksp.TLP(tlp)
	if err := unmarshalList(tags, &r.Tags); err != nil {
		return nil, fmt.Errorf("resource %s tags: %w", r.ID, err)
	}
	if err := unmarshalList(jurs, &r.Jurisdictions); err != nil {
		return nil, fmt.Errorf("resource %s jurisdictions: %w", r.ID, err)
	}
	r.Created, r.Updated = fromMicros(created), fromMicros(updated)
	return &r, nil
}

// unmarshalList reads a JSON array of strings, never returning nil (the API
// shows an empty list as []).
func unmarshalList(s string, into *[]string) error {
	if err := json.Unmarshal([]byte(s), into); err != nil {
		return err
	}
	if *into == nil {
		*into = []string{}
	}
	return nil
}

// lines joins a list one item a line with a line break at each end, so that
// "contains item x" is LIKE '%\nx\n%' on one column (tag_lines, jur_lines).
func lines(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return "\n" + strings.Join(items, "\n") + "\n"
}

// likeLine is the LIKE pattern (with ESCAPE '\') that finds item as one
// line of a lines column: _ and % in a tag are literal characters.
func likeLine(item string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%\n" + r.Replace(item) + "\n%"
}

// FindResourceByID returns a resource the caller may see; anything else is
// not found. A staff read of a restricted resource is audited.
func (db *DB) FindResourceByID(ctx context.Context, id string) (*ksp.Resource, error) {
	a, r, err := db.readResource(ctx, id)
	if err != nil {
		return nil, err
	}
	redactResource(a, r)
	return r, nil
}

// readResource reads a resource as the caller (the sharing rule in the
// query), auditing a staff read of a restricted one: the start of every
// read of a resource or its revisions.
func (db *DB) readResource(ctx context.Context, id string) (*ksp.Actor, *ksp.Resource, error) {
	a := ksp.ActorFrom(ctx)
	r, err := db.visibleResource(ctx, db.sql, a.Viewer(), id)
	if err != nil {
		return nil, nil, err
	}
	if err := db.auditResourceReads(ctx, a, "resource.staff_read", []*ksp.Resource{r}); err != nil {
		return nil, nil, err
	}
	return a, r, nil
}

// visibleResource reads a resource through the sharing rule (in the query)
// and loads its audience.
func (db *DB) visibleResource(ctx context.Context, q querier, v ksp.Viewer, id string) (*ksp.Resource, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("resource")
	}
	vis, args := Visible(v, "r", "id")
	r, err := scanResource(q.QueryRowContext(ctx, db.rebind(`SELECT `+resourceCols+resourceFrom+` WHERE r.id = ? AND `+vis), append([]any{id}, args...)...))
	if isNoRows(err) {
		return nil, ksp.NotFound("resource")
	}
	if err != nil {
		return nil, fmt.Errorf("find resource: %w", err)
	}
	if err := db.loadResourceAudiences(ctx, q, []*ksp.Resource{r}); err != nil {
		return nil, err
	}
	return r, nil
}

// redactResource hides who else a resource is shared with from viewers who
// are neither its owner nor staff (as for signals, an audience is the
// owner's business).
func redactResource(a *ksp.Actor, r *ksp.Resource) {
	if insider(a, r) {
		return
	}
	r.Audience = nil
	r.AuthorID = ""
}

// insider reports whether a sees who inside the owner org wrote r: its own
// org and staff do; everyone else (other members, anonymous readers of a
// public resource) sees the owner org only, since the people who write
// counter-terrorism guidance are not to be named to the world.
func insider(a *ksp.Actor, r *ksp.Resource) bool {
	return a != nil && (a.Staff || a.OrgID == r.OwnerOrgID)
}

// redactRevision gives outsiders the owner org as a revision's author.
func redactRevision(a *ksp.Actor, r *ksp.Resource, rv *ksp.ResourceRevision) {
	if insider(a, r) {
		return
	}
	rv.AuthorID, rv.AuthorName = "", r.OwnerOrgName
}

func (db *DB) loadResourceAudiences(ctx context.Context, q querier, rs []*ksp.Resource) error {
	byID := map[string]*ksp.Resource{}
	var ph []string
	var args []any
	for _, r := range rs {
		if r.Distribution == ksp.DistAudience {
			byID[r.ID] = r
			ph = append(ph, "?")
			args = append(args, r.ID)
		}
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT item_id, org_id FROM audiences WHERE item_id IN (`+strings.Join(ph, ",")+`) ORDER BY org_id`), args...)
	if err != nil {
		return fmt.Errorf("load resource audiences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var item, org string
		if err := rows.Scan(&item, &org); err != nil {
			return fmt.Errorf("load resource audiences: %w", err)
		}
		byID[item].Audience = append(byID[item].Audience, org)
	}
	return rows.Err()
}

// checkResourceFilter normalises the filter's values as resources store
// them and refuses values no resource can have, naming the parameter.
func checkResourceFilter(f *ksp.ResourceFilter) error {
	var fe ksp.Fields
	if f.Kind != nil && !slices.Contains(ksp.ResourceKinds, *f.Kind) {
		fe.Add("kind", "must be one of guide, template, policy, law, case_study, research, training")
	}
	if f.Tag != nil {
		t := strings.ToLower(strings.TrimSpace(*f.Tag))
		f.Tag = &t
		if !ksp.ValidTag(t) {
			fe.Add("tag", "a tag is 1–40 of a-z, 0-9, _ and -")
		}
	}
	if f.Jurisdiction != nil {
		j := strings.ToUpper(strings.TrimSpace(*f.Jurisdiction))
		f.Jurisdiction = &j
		if !ksp.ValidJurisdiction(j) {
			fe.Add("jurisdiction", "an ISO 3166-1 alpha-2 code, EU or INT")
		}
	}
	if f.Language != nil {
		l := strings.TrimSpace(*f.Language)
		f.Language = &l
		if !ksp.ValidLanguage(l) || len(l) > 35 {
			fe.Add("language", "a language tag such as en or pt-BR")
		}
	}
	if f.Page.Limit > ksp.MaxLimit {
		fe.Add("limit", "at most 1000")
	}
	return fe.Err()
}

// resourceCursor is a list position: the last item's update time and id
// (resources are listed by update, which an edit moves, so the id alone
// cannot place a page).
func resourceCursor(r *ksp.Resource) string {
	return encodeCursor(strconv.FormatInt(micros(r.Updated), 10) + "|" + r.ID)
}

func decodeResourceCursor(c string) (int64, string, error) {
	k, err := decodeCursor(c)
	if err != nil {
		return 0, "", err
	}
	ts, id, ok := strings.Cut(k, "|")
	n, perr := strconv.ParseInt(ts, 10, 64)
	if !ok || perr != nil || !ksp.ValidID(id) {
		return 0, "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid cursor", Fields: []ksp.FieldError{{Field: "cursor", Reason: "not a cursor returned by this list"}}}
	}
	return n, id, nil
}

// FindResources lists the resources the caller may see, most recently
// updated first. The sharing rule and every filter are in the query, so a
// page is never cut by what the viewer cannot see.
func (db *DB) FindResources(ctx context.Context, f ksp.ResourceFilter) ([]*ksp.Resource, string, error) {
	a := ksp.ActorFrom(ctx)
	if err := checkResourceFilter(&f); err != nil {
		return nil, "", err
	}
	page := f.Page.Normalize()
	vis, args := Visible(a.Viewer(), "r", "id")
	where := []string{vis}
	if f.Kind != nil {
		where = append(where, "r.kind = ?")
		args = append(args, string(*f.Kind))
	}
	if f.Tag != nil {
		where = append(where, `r.tag_lines LIKE ? ESCAPE '\'`)
		args = append(args, likeLine(*f.Tag))
	}
	if f.Jurisdiction != nil {
		where = append(where, `r.jur_lines LIKE ? ESCAPE '\'`)
		args = append(args, likeLine(*f.Jurisdiction))
	}
	if f.Language != nil {
		where = append(where, "r.language = ?")
		args = append(args, *f.Language)
	}
	if page.Cursor != "" {
		ts, id, err := decodeResourceCursor(page.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "(r.updated_at < ? OR (r.updated_at = ? AND r.id < ?))")
		args = append(args, ts, ts, id)
	}
	rows, err := db.query(ctx, `SELECT `+resourceCols+resourceFrom+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY r.updated_at DESC, r.id DESC LIMIT `+strconv.Itoa(page.Limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find resources: %w", err)
	}
	defer rows.Close()
	out := []*ksp.Resource{}
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find resources: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find resources: %w", err)
	}
	rows.Close()
	next := ""
	if len(out) > page.Limit {
		out = out[:page.Limit]
		next = resourceCursor(out[len(out)-1])
	}
	if err := db.loadResourceAudiences(ctx, db.sql, out); err != nil {
		return nil, "", err
	}
	if err := db.auditResourceReads(ctx, a, "resource.staff_list", out); err != nil {
		return nil, "", err
	}
	for _, r := range out {
		redactResource(a, r)
	}
	return out, next, nil
}

// auditResourceReads records one audit event for a staff request that read
// restricted resources of other orgs; members' reads and the server's own
// (system actors) are not audited.
func (db *DB) auditResourceReads(ctx context.Context, a *ksp.Actor, action string, rs []*ksp.Resource) error {
	if a == nil || !a.Staff {
		return nil
	}
	var ids []string
	for _, r := range rs {
		if r.OwnerOrgID != a.OrgID && ksp.Restricted(r.Sharing) {
			ids = append(ids, r.ID)
		}
	}
	return db.auditRestrictedReads(ctx, a, action, "resources", "resources", ids)
}

// resourceWriter checks that the actor may write to the library at all:
// an analyst (or staff) of an org in good standing. The org's status is
// read again inside the write, since a key resolved before a suspension
// still says "member".
func resourceWriter(ctx context.Context) (*ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.HasRole(ksp.RoleAnalyst) {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "writing to the library needs the analyst role")
	}
	if a.Suspended && !a.Staff {
		return nil, errSuspended("write to the library")
	}
	return a, nil
}

func (tx *Tx) checkOrgInGoodStanding(a *ksp.Actor) error {
	if a.Staff {
		return nil
	}
	var status string
	err := tx.queryRow(`SELECT status FROM orgs WHERE id = ?`, a.OrgID).Scan(&status)
	if isNoRows(err) {
		return ksp.Errorf(ksp.EFORBIDDEN, "your organisation no longer exists")
	}
	if err != nil {
		return fmt.Errorf("check org status: %w", err)
	}
	if status == string(ksp.OrgStatusSuspended) {
		return errSuspended("write to the library")
	}
	return nil
}

// authorName is what a revision records as its author: the user's name,
// else the actor as the audit trail names it (CLI, system).
func (tx *Tx) authorName(a *ksp.Actor) (string, error) {
	if a.UserID != "" {
		var name, email string
		err := tx.queryRow(`SELECT name, email FROM users WHERE id = ?`, a.UserID).Scan(&name, &email)
		if err != nil && !isNoRows(err) {
			return "", fmt.Errorf("revision author: %w", err)
		}
		if name != "" {
			return name, nil
		}
		if email != "" {
			return email, nil
		}
	}
	return a.AuditName(), nil
}

// CreateResource stores r as revision 1, owned by the caller's org.
func (db *DB) CreateResource(ctx context.Context, r *ksp.Resource) error {
	a, err := resourceWriter(ctx)
	if err != nil {
		return err
	}
	ksp.NormalizeResource(r)
	r.OwnerOrgID = a.OrgID
	var fe ksp.Fields
	ksp.ValidateResource(r, &fe)
	if err := fe.Err(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.checkOrgInGoodStanding(a); err != nil {
			return err
		}
		if err := tx.checkAudience(r.Audience); err != nil {
			return err
		}
		r.ID = ksp.NewID()
		r.Revision = 1
		r.AuthorID = a.UserID
		r.Created, r.Updated = tx.now, tx.now
		if err := tx.queryRow(`SELECT name FROM orgs WHERE id = ?`, r.OwnerOrgID).Scan(&r.OwnerOrgName); err != nil {
			return fmt.Errorf("create resource: owner org: %w", err)
		}
		if _, err := tx.exec(`INSERT INTO resources (id, kind, title, summary, body, tags, jurisdictions, tag_lines, jur_lines, language, owner_org_id, distribution, tlp, revision, author_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, string(r.Kind), r.Title, r.Summary, r.Body, jsonList(r.Tags), jsonList(r.Jurisdictions), lines(r.Tags), lines(r.Jurisdictions),
			r.Language, r.OwnerOrgID, string(r.Distribution), string(r.TLP), r.Revision, r.AuthorID, micros(r.Created), micros(r.Updated)); err != nil {
			return fmt.Errorf("create resource: %w", err)
		}
		if r.Distribution == ksp.DistAudience {
			if err := tx.setAudience(r.ID, r.Audience); err != nil {
				return err
			}
		}
		if err := tx.insertRevision(a, r); err != nil {
			return err
		}
		return tx.audit("resource.create", "resource:"+r.ID, r.OwnerOrgID, map[string]any{
			"title": r.Title, "kind": string(r.Kind), "distribution": string(r.Distribution), "tlp": string(r.TLP)})
	})
}

// insertRevision keeps r's current content as revision r.Revision.
func (tx *Tx) insertRevision(a *ksp.Actor, r *ksp.Resource) error {
	name, err := tx.authorName(a)
	if err != nil {
		return err
	}
	if _, err := tx.exec(`INSERT INTO resource_revisions (resource_id, number, author_id, author_name, created_at, kind, title, summary, body, tags, jurisdictions, language)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Revision, a.UserID, name, micros(tx.now), string(r.Kind), r.Title, r.Summary, r.Body, jsonList(r.Tags), jsonList(r.Jurisdictions), r.Language); err != nil {
		return fmt.Errorf("resource revision: %w", err)
	}
	return nil
}

// editableResource reads a resource for a write inside tx: invisible is not
// found; visible but another org's is forbidden unless the actor is staff.
func (db *DB) editableResource(tx *Tx, a *ksp.Actor, id string) (*ksp.Resource, error) {
	r, err := db.visibleResource(tx.ctx, tx, a.Viewer(), id)
	if err != nil {
		return nil, err
	}
	if !a.Staff && r.OwnerOrgID != a.OrgID {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "only the organisation that owns a resource, or the programme's staff, may change it")
	}
	if err := tx.checkOrgInGoodStanding(a); err != nil {
		return nil, err
	}
	return r, nil
}
