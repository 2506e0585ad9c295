// Package webhook delivers KSP's events to members' webhooks from the
// store's durable outbox: signed per Standard Webhooks, at least once,
// retried with exponential backoff for 24 hours, over connections that
// refuse private networks unless told otherwise.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// Sign returns the Standard Webhooks signature "v1,<base64 HMAC-SHA256>"
// of msgID.timestamp.body, keyed with the decoded bytes of secret
// ("whsec_" + base64).
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, ksp.WebhookSecretPrefix))
	if err != nil {
		return "", fmt.Errorf("webhook secret: not base64 after %q: %w", ksp.WebhookSecretPrefix, err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// SignatureHeader signs with each secret (the current one, then the
// previous one during a rotation's overlap) and joins the signatures with
// spaces, as Standard Webhooks lets a receiver accept any of them.
func SignatureHeader(secrets []string, msgID string, ts time.Time, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, msgID, ts, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}
