// Package storetest is the conformance suite every KSP store passes. The
// SQLite and PostgreSQL adapters run it from their own tests; every feature
// adds its store tests here, so that behaviour is written down once.
package storetest

import (
	"context"
	"database/sql"
	"os/user"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/secret"
)

// Store is what the suite needs of a store: the service interfaces plus the
// few hooks a test uses to look underneath (raw SQL, migrations, the
// interleaving hook). *sqlstore.DB and *postgres.DB implement it; an adapter
// returns its own type so that the methods it overrides are the ones tested.
type Store interface {
	ksp.Store
	// SQL returns the underlying pool.
	SQL() *sql.DB
	// Rebind rewrites ? placeholders for the dialect.
	Rebind(q string) string
	// Migrate applies the migrations not yet applied.
	Migrate(ctx context.Context) error
	// SetBeforeCommit installs a hook run before every write commits.
	SetBeforeCommit(fn func())
	// SetBatchSize sets how many bulk records go in one transaction.
	SetBatchSize(n int)
	// AppendEvent records an event outside any other write.
	AppendEvent(ctx context.Context, typ, objectID string, s ksp.Sharing, data any) (*ksp.Event, error)
	// PruneChanges drops tombstones older than olderThan (staff).
	PruneChanges(ctx context.Context, olderThan time.Time) (int64, error)
	// SetSecretBox, SealWebhookSecrets and SealedWebhookSecrets seal
	// webhook signing secrets at rest.
	SetSecretBox(box *secret.Box)
	SealWebhookSecrets(ctx context.Context) (int, error)
	SealedWebhookSecrets(ctx context.Context) (int, error)
}

// Opener returns a fresh, migrated, empty store for one test.
type Opener func(t *testing.T) Store

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"Migrations", testMigrations},
		{"SharingRuleSQL", testSharingRuleSQL},
		{"Applications", testApplications},
		{"Users", testUsers},
		{"APIKeys", testAPIKeys},
		{"KeyScopeSubset", testKeyScopeSubset},
		{"SuspendedOrgAdmin", testSuspendedOrgAdmin},
		{"SecretariatName", testSecretariatName},
		{"Orgs", testOrgs},
		{"AuditChain", testAuditChain},
		{"AuditTampering", testAuditTampering},
		{"AuditInvalidUTF8", testAuditInvalidUTF8},
		{"Pagination", testPagination},
		{"EventSequence", testEventSequence},
		{"WebhookAdmin", testWebhookAdmin},
		{"WebhookVisibility", testWebhookVisibility},
		{"WebhookOutbox", testWebhookOutbox},
		{"SignalVisibility", testSignalVisibility},
		{"HiddenResubmission", testHiddenResubmission},
		{"SignalLifecycle", testSignalLifecycle},
		{"SignalBadInput", testSignalBadInput},
		{"SignalBatch", testSignalBatch},
		{"SignalBatchPaths", testSignalBatchPaths},
		{"BulkRules", testBulkRules},
		{"ExportOwn", testExportOwn},
		{"ChangesFollower", testChangesFollower},
		{"ChangesPaging", testChangesPaging},
		{"SignalFilters", testSignalFilters},
		{"BankSearchSort", testBankSearchSort},
		{"BankSortLeak", testBankSortLeak},
		{"SignalHistory", testSignalHistory},
		{"DerivedFigures", testDerivedFigures},
		{"NegativeBankScopes", testNegativeBankScopes},
		{"StaffReadsAudited", testStaffReadsAudited},
		{"ChangesOncePerChange", testChangesOncePerChange},
		{"Sessions", testSessions},
		{"SecondFactor", testSecondFactor},
		{"SecondFactorReset", testSecondFactorReset},
		{"ResendInvitation", testResendInvitation},
		{"PasswordReset", testPasswordReset},
		{"Throttle", testThrottle},
		{"Secrets", testSecrets},
		{"EntityImport", testEntityImport},
		{"Entities", testEntities},
		{"EntityLink", testEntityLink},
		{"EntityDelistingReview", testEntityDelistingReview},
		{"MatchStats", testMatchStats},
		{"ApplicationReview", testApplicationReview},
		{"Resources", testResources},
		{"ResourceValidation", testResourceValidation},
		{"ResourceVisibility", testResourceVisibility},
		{"ResourceFilters", testResourceFilters},
		{"SearchConformance", testSearchConformance},
		{"SearchSnippets", testSearchSnippets},
		{"SearchVisibility", testSearchVisibility},
		{"SearchBadInput", testSearchBadInput},
		{"SearchCounts", testSearchCounts},
		{"SearchFollowsWrites", testSearchFollowsWrites},
		{"AlertRouting", testAlertRouting},
		{"AlertMerge", testAlertMerge},
		{"AlertEscalation", testAlertEscalation},
		{"AlertVisibility", testAlertVisibility},
		{"AlertBadInput", testAlertBadInput},
		{"CaseLifecycle", testCaseLifecycle},
		{"CaseDecisions", testCaseDecisions},
		{"CaseVisibility", testCaseVisibility},
		{"CaseRetention", testCaseRetention},
		{"CaseBadInput", testCaseBadInput},
		{"CaseConcurrency", testCaseConcurrency},
		{"IncidentActivation", testIncidentActivation},
		{"IncidentVisibility", testIncidentVisibility},
		{"IncidentInput", testIncidentInput},
		{"IncidentClose", testIncidentClose},
		{"IncidentLinks", testIncidentLinks},
		{"DomainClaims", testDomainClaims},
		{"AlertHostForms", testAlertHostForms},
		{"Notices", testNotices},
		{"StaffPages", testStaffPages},
		{"WebhookSecretsSealed", testWebhookSecretsSealed},
		{"AlertErasure", testAlertErasure},
		{"IncidentAlertLinks", testIncidentAlertLinks},
		{"AlertRefusals", testAlertRefusals},
		{"TransparencyFigures", testTransparencyFigures},
		{"TransparencyOrgReport", testTransparencyOrgReport},
		{"TransparencySuppression", testTransparencySuppression},
		{"TransparencyPublish", testTransparencyPublish},
		{"TransparencyStaffPowers", testTransparencyStaffPowers},
		{"Questions", testQuestions},
		{"QuestionBadInput", testQuestionBadInput},
		{"QuestionVisibility", testQuestionVisibility},
		{"QuestionModel", testQuestionModel},
		{"Mentorship", testMentorship},
		{"CalendarEvents", testCalendarEvents},
		{"CalendarVisibility", testCalendarVisibility},
		{"CalendarBadInput", testCalendarBadInput},
		{"Assessments", testAssessments},
		{"AssessmentPrivacy", testAssessmentPrivacy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

// Staff returns a context acting as the system with staff powers.
func Staff() context.Context {
	return ksp.NewContext(context.Background(), ksp.SystemActor("test"))
}

// As returns a context acting as the given user of org.
func As(o *ksp.Org, u *ksp.User) context.Context {
	return ksp.NewContext(context.Background(), &ksp.Actor{UserID: u.ID, OrgID: o.ID, OrgKind: o.Kind, Role: u.Role,
		Staff: o.ID == ksp.StaffOrgID, Suspended: o.Status == ksp.OrgStatusSuspended})
}

// Fixture is a small world of orgs and users the tests share.
type Fixture struct {
	DB        Store
	Platform  *ksp.Org // large platform
	Startup   *ksp.Org
	Gov       *ksp.Org
	PlatAdmin *ksp.User
	PlatView  *ksp.User
	StartAdm  *ksp.User
	GovAdmin  *ksp.User
	StaffUser *ksp.User
}

// NewFixture creates three member orgs and their users.
func NewFixture(t testing.TB, db Store) *Fixture {
	t.Helper()
	f := &Fixture{DB: db}
	ctx := Staff()
	mk := func(name string, kind ksp.OrgKind, size string) *ksp.Org {
		o := &ksp.Org{Name: name, Kind: kind, Size: size, Domains: []ksp.Domain{{Domain: ksp.Slugify(name) + ".example", Verified: true}}}
		if err := db.CreateOrg(ctx, o); err != nil {
			t.Fatalf("create org %s: %v", name, err)
		}
		return o
	}
	f.Platform = mk("Big Platform", ksp.KindPlatform, ksp.SizeLarge)
	f.Startup = mk("Tiny Startup", ksp.KindPlatform, ksp.SizeStartup)
	f.Gov = mk("Interior Ministry", ksp.KindGovernment, "")
	user := func(o *ksp.Org, email string, role ksp.Role) *ksp.User {
		u, _, err := db.CreateUser(ctx, o.ID, ksp.NewUser{Email: email, Name: email, Role: role, Password: "a long enough password"})
		if err != nil {
			t.Fatalf("create user %s: %v", email, err)
		}
		return u
	}
	f.PlatAdmin = user(f.Platform, "admin@big.example", ksp.RoleAdmin)
	f.PlatView = user(f.Platform, "viewer@big.example", ksp.RoleViewer)
	f.StartAdm = user(f.Startup, "admin@tiny.example", ksp.RoleAdmin)
	f.GovAdmin = user(f.Gov, "admin@gov.example", ksp.RoleAdmin)
	su, err := db.CreateStaffUser(ctx, "staff@ksp.example", "Staff", "a long enough password")
	if err != nil {
		t.Fatalf("create staff: %v", err)
	}
	f.StaffUser = su
	return f
}

// StaffOrg returns the staff org as stored.
func (f *Fixture) StaffOrg(t testing.TB) *ksp.Org {
	o, err := f.DB.FindOrgByID(Staff(), ksp.StaffOrgID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// CLIActor names the OS user, as CLI commands do.
func CLIActor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli:unknown"
}

// validSharings lists every distribution × TLP pair an item that may be
// public can have, owned by owner, with audience naming the orgs of
// distribution audience: what visibility tests store one item of each.
func validSharings(owner string, audience ...string) []ksp.Sharing {
	var out []ksp.Sharing
	for _, d := range ksp.Distributions {
		for _, tlp := range ksp.TLPs {
			s := ksp.Sharing{OwnerOrgID: owner, Distribution: d, TLP: tlp}
			if d == ksp.DistAudience {
				s.Audience = audience
			}
			var fe ksp.Fields
			if ksp.ValidateSharing(s, true, &fe); fe.Err() == nil {
				out = append(out, s)
			}
		}
	}
	return out
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if ksp.ErrorCode(err) != code {
		t.Fatalf("got error %v (code %q), want code %q", err, ksp.ErrorCode(err), code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// changedByHand tells db that a test changed rows under it in SQL. A store
// that caches resolved API keys (the PostgreSQL store) learns of such a
// change from a notification a moment after commit; FlushKeyCache is that
// notification, at once, so that the test need not wait for it.
func changedByHand(db Store) {
	if c, ok := db.(interface{ FlushKeyCache() }); ok {
		c.FlushKeyCache()
	}
}
