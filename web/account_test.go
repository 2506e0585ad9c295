package web

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/qr"
	"github.com/kspplatform/ksp/internal/totp"
)

var svgRE = regexp.MustCompile(`(?s)<svg .*?</svg>`)

// The setup page shows the otpauth URI as a QR code drawn in the page, the
// key as text beside it, and a text alternative.
func TestSecondFactorQRCode(t *testing.T) {
	h := newHarness(t, Config{})
	o := h.org("Plat", ksp.KindPlatform, ksp.SizeSmall)
	admin := h.user(o, "admin+ops@plat.example", ksp.RoleAdmin, false)
	c := h.client()
	c.get("/login")
	// Admins must enrol: signing in leads to the setup page.
	c.want(c.post("/login", url.Values{"email": {admin.email}, "password": {admin.password}}), 200, "Set up your second factor", "scan this QR code", "Cannot scan it?")
	m := secretRE.FindStringSubmatch(c.body)
	if m == nil {
		t.Fatal("no secret on the page")
	}
	uri := "otpauth://totp/KSP:admin%2Bops@plat.example?secret=" + m[1] + "&issuer=KSP&algorithm=SHA1&digits=6&period=30"
	if !strings.Contains(c.body, `href="`+html.EscapeString(uri)+`"`) {
		t.Fatalf("the page's otpauth link is not %s", uri)
	}
	svg := svgRE.FindString(c.body)
	if svg == "" {
		t.Fatal("no QR code on the page")
	}
	code, err := qr.Encode([]byte(uri))
	if err != nil {
		t.Fatal(err)
	}
	want := code.SVG("QR code to scan with your authenticator app. It holds the same setup key as the text below, for the account admin+ops@plat.example.")
	if svg != want {
		t.Fatalf("the QR code does not encode %s:\n%.300s", uri, svg)
	}
	for _, s := range []string{`role="img"`, `aria-label="QR code to scan`, "<title>QR code to scan", totp.Group(m[1])} {
		if !strings.Contains(c.body, s) {
			t.Fatalf("page lacks %q", s)
		}
	}
	// Nothing outside the page: no image URL, no script drawing it.
	if strings.Contains(svg, "href") || strings.Contains(svg, "<script") || strings.Contains(c.body, "<img") {
		t.Fatal("the QR code refers to something outside the page")
	}
	// A wrong code keeps the same secret, and so the same QR code.
	c.want(c.post("/account/two-factor", map[string][]string{"secret": {m[1]}, "code": {"123456"}}), 400, "does not match")
	if svgRE.FindString(c.body) != want {
		t.Fatal("the QR code changed after a wrong code")
	}
}

// An address too long for a QR code still gets the key to type.
func TestSecondFactorWithoutQRCode(t *testing.T) {
	h := newHarness(t, Config{})
	o := h.org("Plat", ksp.KindPlatform, ksp.SizeSmall)
	long := strings.Repeat("a", 60) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + ".example"
	admin := h.user(o, long, ksp.RoleAdmin, false)
	c := h.client()
	c.get("/login")
	c.want(c.post("/login", url.Values{"email": {admin.email}, "password": {admin.password}}), 200, "Set up your second factor", "enter a setup key by hand", long)
	if strings.Contains(c.body, "<svg") || secretRE.FindStringSubmatch(c.body) == nil {
		t.Fatal("expected the key and no QR code")
	}
}
