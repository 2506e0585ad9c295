package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kspplatform/ksp"
)

const claimCols = `domain, org_id, verified, token, method, verified_at, checked_at, check_error, created_at`

func scanClaim(sc interface{ Scan(...any) error }) (*ksp.DomainClaim, error) {
	var c ksp.DomainClaim
	var verifiedAt, checkedAt nullInt
	var created int64
	if err := sc.Scan(&c.Domain, &c.OrgID, &c.Verified, &c.Token, &c.Method, &verifiedAt, &checkedAt, &c.CheckError, &created); err != nil {
		return nil, err
	}
	c.VerifiedAt, c.CheckedAt = verifiedAt.time(), checkedAt.time()
	c.Created = fromMicros(created)
	if c.Verified && c.Method == "" { // verified by staff as the org was created
		c.Method, c.VerifiedAt = ksp.DomainProofStaff, &c.Created
	}
	c.FillInstructions()
	return &c, nil
}

// nullInt is a nullable microsecond time column.
type nullInt struct {
	v     int64
	valid bool
}

func (n *nullInt) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		n.valid = false
	case int64:
		n.v, n.valid = x, true
	default:
		return fmt.Errorf("time column: unexpected %T", src)
	}
	return nil
}

func (n nullInt) time() *ksp.Time {
	if !n.valid {
		return nil
	}
	t := fromMicros(n.v)
	return &t
}

var errDomainTaken = &ksp.Error{Code: ksp.ECONFLICT, Message: "domain belongs to another organisation",
	Fields: []ksp.FieldError{{Field: "domain", Reason: "verified by another organisation; a domain belongs to one organisation"}}}

// isUniqueViolation recognises both databases' unique-index errors: two
// orgs proving one domain at the same moment meet at the index.
func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "unique")
}

// verifiedOwner returns the org holding domain verified, or "".
func (tx *Tx) verifiedOwner(domain string) (string, error) {
	var owner string
	err := tx.queryRow(`SELECT org_id FROM domains WHERE domain = ? AND verified = ?`, domain, true).Scan(&owner)
	if err != nil && !isNoRows(err) {
		return "", fmt.Errorf("domain owner: %w", err)
	}
	return owner, nil
}

// addDomain records orgID's claim to domain (already normalised). A domain
// verified by another org is refused; so is a name under one (its alerts
// would leave the platform that verified the parent) unless staff add it.
// A claim the org already has is left as it is.
func (tx *Tx) addDomain(orgID, domain string, verified, staff bool) error {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM domains WHERE domain = ? AND org_id = ?`, domain, orgID).Scan(&n); err != nil {
		return fmt.Errorf("add domain: %w", err)
	}
	if n > 0 {
		return nil
	}
	owner, err := tx.verifiedOwner(domain)
	if err != nil {
		return err
	}
	if owner != "" {
		return errDomainTaken
	}
	if !staff {
		sfx := hostSuffixes(domain)[1:]
		if len(sfx) > 0 {
			ph := placeholders(len(sfx))
			args := []any{true, orgID}
			for _, s := range sfx {
				args = append(args, s)
			}
			var parent string
			err := tx.queryRow(`SELECT domain FROM domains WHERE verified = ? AND org_id <> ? AND domain IN (`+ph+`) ORDER BY domain LIMIT 1`, args...).Scan(&parent)
			if err != nil && !isNoRows(err) {
				return fmt.Errorf("add domain: %w", err)
			}
			if parent != "" {
				return &ksp.Error{Code: ksp.ECONFLICT, Message: "domain lies under another organisation's domain",
					Fields: []ksp.FieldError{{Field: "domain", Reason: "under " + parent + ", which another organisation verified; ask the programme's staff"}}}
			}
		}
	}
	if err := tx.queryRow(`SELECT COUNT(*) FROM domains WHERE org_id = ?`, orgID).Scan(&n); err != nil {
		return fmt.Errorf("add domain: %w", err)
	}
	if n >= ksp.MaxDomainsPerOrg {
		return &ksp.Error{Code: ksp.EINVALID, Message: "too many domains", Fields: []ksp.FieldError{{Field: "domain", Reason: fmt.Sprintf("an organisation may claim at most %d domains; remove one first", ksp.MaxDomainsPerOrg)}}}
	}
	// Only the columns of the first schema: upgrade tests create orgs on a
	// database an older release left. A domain verified as it is added
	// (staff creating an org) reads as staff-confirmed at creation.
	if _, err := tx.exec(`INSERT INTO domains (domain, org_id, verified, token, created_at) VALUES (?, ?, ?, ?, ?)`,
		domain, orgID, verified, ksp.RandomToken(16), micros(tx.now)); err != nil {
		if isUniqueViolation(err) {
			return errDomainTaken
		}
		return fmt.Errorf("add domain: %w", err)
	}
	return tx.audit("domain.add", "domain:"+domain, orgID, map[string]any{"verified": verified})
}

// AddDomain records an unverified claim of the org to a domain; the answer
// carries the org with its domains.
func (db *DB) AddDomain(ctx context.Context, orgID, domain string) (*ksp.Org, error) {
	a, err := requireOrgAdmin(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if a.Suspended && !a.Staff {
		return nil, errSuspended("claim a domain")
	}
	d, ok := ksp.NormalizeDomain(domain)
	if !ok {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "invalid domain", Fields: []ksp.FieldError{{Field: "domain", Reason: "not a domain name"}}}
	}
	var out *ksp.Org
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := db.findOrg(ctx, tx, a, orgID); err != nil {
			return err
		}
		if err := tx.addDomain(orgID, d, false, a.Staff); err != nil {
			return err
		}
		out, err = db.findOrg(ctx, tx, a, orgID)
		return err
	})
	return out, err
}

// VerifyDomain is staff confirming an org's claim by hand (audited with the
// method "staff").
func (db *DB) VerifyDomain(ctx context.Context, orgID, domain string) (*ksp.Org, error) {
	a, err := requireStaff(ctx)
	if err != nil {
		return nil, err
	}
	d, _ := ksp.NormalizeDomain(domain)
	var out *ksp.Org
	err = db.write(ctx, func(tx *Tx) error {
		c, err := tx.findClaim(orgID, d)
		if err != nil {
			return err
		}
		if !c.Verified {
			if err := tx.markVerified(c, ksp.DomainProof{Method: ksp.DomainProofStaff}); err != nil {
				return err
			}
		}
		out, err = db.findOrg(ctx, tx, a, orgID)
		return err
	})
	return out, err
}

func (tx *Tx) findClaim(orgID, domain string) (*ksp.DomainClaim, error) {
	if !ksp.ValidID(orgID) {
		return nil, ksp.NotFound("domain")
	}
	c, err := scanClaim(tx.queryRow(`SELECT `+claimCols+` FROM domains WHERE domain = ? AND org_id = ?`, domain, orgID))
	if isNoRows(err) {
		return nil, ksp.NotFound("domain")
	}
	if err != nil {
		return nil, fmt.Errorf("find domain: %w", err)
	}
	return c, nil
}

// markVerified makes c the verified holder of its domain, unless another
// org holds it.
func (tx *Tx) markVerified(c *ksp.DomainClaim, p ksp.DomainProof) error {
	owner, err := tx.verifiedOwner(c.Domain)
	if err != nil {
		return err
	}
	if owner != "" && owner != c.OrgID {
		return errDomainTaken
	}
	if _, err := tx.exec(`UPDATE domains SET verified = ?, method = ?, verified_at = ?, checked_at = ?, check_error = '' WHERE domain = ? AND org_id = ?`,
		true, p.Method, micros(tx.now), micros(tx.now), c.Domain, c.OrgID); err != nil {
		if isUniqueViolation(err) {
			return errDomainTaken
		}
		return fmt.Errorf("verify domain: %w", err)
	}
	c.Verified, c.Method, c.VerifiedAt, c.CheckedAt, c.CheckError = true, p.Method, ksp.TP(tx.now.Time), ksp.TP(tx.now.Time), ""
	return tx.audit("domain.verify", "domain:"+c.Domain, c.OrgID, map[string]any{"method": p.Method, "where": p.Where})
}

// FindDomainClaims lists an org's domain claims with their tokens (the
// org's admins and staff).
func (db *DB) FindDomainClaims(ctx context.Context, orgID string) ([]*ksp.DomainClaim, error) {
	a, err := requireOrgAdmin(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if _, err := db.findOrg(ctx, db.sql, a, orgID); err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT `+claimCols+` FROM domains WHERE org_id = ? ORDER BY domain`, orgID)
	if err != nil {
		return nil, fmt.Errorf("find domains: %w", err)
	}
	defer rows.Close()
	out := []*ksp.DomainClaim{}
	for rows.Next() {
		c, err := scanClaim(rows)
		if err != nil {
			return nil, fmt.Errorf("find domains: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// maxCheckError bounds the failure kept with a claim.
const maxCheckError = 500

// ProveDomain checks the org's claim with c and records what it found (see
// ksp.DomainService). The check runs outside any transaction: it waits on
// the network.
func (db *DB) ProveDomain(ctx context.Context, orgID, domain string, c ksp.DomainChecker) (*ksp.DomainClaim, error) {
	a, err := requireOrgAdmin(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if a.Suspended && !a.Staff {
		return nil, errSuspended("prove control of a domain")
	}
	d, ok := ksp.NormalizeDomain(domain)
	if !ok {
		return nil, ksp.NotFound("domain")
	}
	var claim *ksp.DomainClaim
	// A short transaction that writes nothing: the claim as it is now.
	err = db.write(ctx, func(tx *Tx) error {
		var err error
		if claim, err = tx.findClaim(orgID, d); err != nil {
			return err
		}
		if owner, err := tx.verifiedOwner(d); err != nil {
			return err
		} else if owner != "" && owner != orgID {
			return errDomainTaken
		}
		return nil
	})
	if err != nil || claim.Verified {
		return claim, err
	}
	if claim.Token == "" {
		return nil, ksp.Errorf(ksp.ECONFLICT, "this claim has no token; remove the domain and add it again")
	}
	proof, cerr := c.CheckDomain(ctx, claim.Domain, claim.Token)
	err = db.write(ctx, func(tx *Tx) error {
		cur, err := tx.findClaim(orgID, d)
		if err != nil {
			return err
		}
		if cur.Token != claim.Token {
			return ksp.Errorf(ksp.ECONFLICT, "the claim changed while it was checked; try again")
		}
		claim = cur
		if cerr == nil {
			return tx.markVerified(claim, proof)
		}
		msg := truncateUTF8(cerr.Error(), maxCheckError)
		if _, err := tx.exec(`UPDATE domains SET checked_at = ?, check_error = ? WHERE domain = ? AND org_id = ?`, micros(tx.now), msg, d, orgID); err != nil {
			return fmt.Errorf("record domain check: %w", err)
		}
		claim.CheckedAt, claim.CheckError = ksp.TP(tx.now.Time), msg
		return tx.audit("domain.check_failed", "domain:"+d, orgID, map[string]any{"reason": msg})
	})
	if err != nil {
		return nil, err
	}
	if cerr != nil {
		return claim, &ksp.Error{Code: ksp.EINVALID, Message: "control of " + d + " not proven",
			Fields: []ksp.FieldError{{Field: "domain", Reason: claim.CheckError}}}
	}
	return claim, nil
}

// RemoveDomain drops an org's claim to a domain.
func (db *DB) RemoveDomain(ctx context.Context, orgID, domain string) error {
	if _, err := requireOrgAdmin(ctx, orgID); err != nil {
		return err
	}
	d, ok := ksp.NormalizeDomain(domain)
	if !ok {
		return ksp.NotFound("domain")
	}
	return db.write(ctx, func(tx *Tx) error {
		c, err := tx.findClaim(orgID, d)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM domains WHERE domain = ? AND org_id = ?`, d, orgID); err != nil {
			return fmt.Errorf("remove domain: %w", err)
		}
		return tx.audit("domain.remove", "domain:"+d, orgID, map[string]any{"verified": c.Verified})
	})
}

// truncateUTF8 cuts s to at most n bytes at a rune boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
