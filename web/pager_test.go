package web

import (
	"net/http/httptest"
	"testing"
)

func TestPagerFor(t *testing.T) {
	for _, c := range []struct {
		url, next   string
		first, link string
	}{
		{"/signals", "", "", ""},
		{"/signals", "abc", "", "/signals?cursor=abc"},
		{"/signals?cursor=abc", "def", "/signals", "/signals?cursor=def"},
		{"/signals?cursor=abc", "", "/signals", ""},
		{"/signals?type=pdq&label=&cursor=abc", "d+f", "/signals?type=pdq", "/signals?cursor=d%2Bf&type=pdq"},
		{"/staff?status=all", "x", "", "/staff?cursor=x&status=all"},
	} {
		p := pagerFor(httptest.NewRequest("GET", c.url, nil), c.next)
		if p.First != c.first || p.Next != c.link {
			t.Errorf("pagerFor(%q, %q) = %+v, want first %q next %q", c.url, c.next, p, c.first, c.link)
		}
	}
}
