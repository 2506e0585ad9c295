package ksp

import (
	"net/url"
	"strings"
)

// AlertMergeURLs lists the normalised URLs an alert on u merges with: u
// itself and the same URL with the host's leading "www." label added or
// dropped. Sites serve www.example.com and example.com as one site in
// practice, and reporters copy either form, so two requests differing only
// in it are the same request to the platform (deconfliction). Any other
// difference of host (m., a subdomain, a port) is another URL. u must be
// normalised (NormalizeURL); an IP host has no variant.
func AlertMergeURLs(u string) []string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return []string{u}
	}
	host := p.Hostname()
	if strings.Trim(host, "0123456789.") == "" || strings.HasPrefix(p.Host, "[") {
		return []string{u}
	}
	// The host is replaced in the text, so the rest stays byte for byte
	// as normalised.
	prefix := p.Scheme + "://" + p.Host
	if !strings.HasPrefix(u, prefix) {
		return []string{u}
	}
	alt := "www." + p.Host
	if rest, ok := strings.CutPrefix(p.Host, "www."); ok {
		if !strings.Contains(strings.Split(rest, ":")[0], ".") {
			return []string{u} // www.example itself: no parent to share with
		}
		alt = rest
	}
	return []string{u, p.Scheme + "://" + alt + u[len(prefix):]}
}
