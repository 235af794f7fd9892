package quickbooks

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/contactsync/contactsync/connectors"
)

// SignatureHeader carries base64(HMAC-SHA256(verifier token, raw body)).
const SignatureHeader = "intuit-signature"

// VerifyWebhook checks intuit-signature with the Secret's webhook-verifier-token.
func (s *Source) VerifyWebhook(r *http.Request, body []byte) error {
	fail := func(kind connectors.ErrorKind, msg string) error {
		return &connectors.Error{Kind: kind, Provider: Provider, Op: "verify webhook", Message: msg}
	}
	if s.verifier == "" {
		return fail(connectors.KindInvalid, "no webhook verifier token: add Secret key "+KeyWebhookVerifierToken+
			" with the verifier token of the app's webhooks page")
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.Header.Get(SignatureHeader)))
	if err != nil || len(sig) == 0 {
		return fail(connectors.KindAuth, "missing or malformed "+SignatureHeader+" header")
	}
	m := hmac.New(sha256.New, []byte(s.verifier))
	m.Write(body)
	if !hmac.Equal(sig, m.Sum(nil)) {
		return fail(connectors.KindAuth, SignatureHeader+" does not match the body: check Secret key "+KeyWebhookVerifierToken)
	}
	return nil
}

// relevant are the entities whose changes concern contacts.
var relevant = map[string]bool{"customer": true, "invoice": true, "salesreceipt": true, "refundreceipt": true}

// ParseWebhook reads the legacy eventNotifications body or the CloudEvents
// array and names the realms with customer or sales changes.
func (s *Source) ParseWebhook(_ *http.Request, body []byte) (connectors.WebhookEvent, error) {
	invalid := func(msg string) error {
		return &connectors.Error{Kind: connectors.KindInvalid, Provider: Provider, Op: "parse webhook", Message: msg}
	}
	var realms []string
	add := func(realm string) {
		if realm != "" && !slices.Contains(realms, realm) {
			realms = append(realms, realm)
		}
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case bytes.HasPrefix(trimmed, []byte("[")):
		var events []struct {
			Type            string `json:"type"`
			IntuitAccountID string `json:"intuitaccountid"`
		}
		if err := json.Unmarshal(trimmed, &events); err != nil {
			return connectors.WebhookEvent{}, invalid("CloudEvents body is not a JSON array of events: " + err.Error())
		}
		for i, ev := range events {
			parts := strings.Split(ev.Type, ".")
			if len(parts) < 3 || parts[0] != "qbo" {
				return connectors.WebhookEvent{}, invalid("event " + strconv.Itoa(i) + ": field type " + strconv.Quote(ev.Type) + " is not qbo.<entity>.<operation>.v1")
			}
			if relevant[strings.ToLower(parts[1])] {
				add(ev.IntuitAccountID)
			}
		}
	case bytes.HasPrefix(trimmed, []byte("{")):
		var legacy struct {
			EventNotifications []struct {
				RealmID         string `json:"realmId"`
				DataChangeEvent struct {
					Entities []struct {
						Name string `json:"name"`
					} `json:"entities"`
				} `json:"dataChangeEvent"`
			} `json:"eventNotifications"`
		}
		if err := json.Unmarshal(trimmed, &legacy); err != nil {
			return connectors.WebhookEvent{}, invalid("eventNotifications body is malformed: " + err.Error())
		}
		if legacy.EventNotifications == nil {
			return connectors.WebhookEvent{}, invalid("body has no eventNotifications field")
		}
		for _, n := range legacy.EventNotifications {
			for _, e := range n.DataChangeEvent.Entities {
				if relevant[strings.ToLower(e.Name)] {
					add(n.RealmID)
					break
				}
			}
		}
	default:
		return connectors.WebhookEvent{}, invalid("body is neither an eventNotifications object nor a CloudEvents array")
	}
	slices.Sort(realms)
	return connectors.WebhookEvent{Accounts: realms}, nil
}
