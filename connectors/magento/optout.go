package magento

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/contactsync/contactsync/connectors"
)

// WriteOptOut sets is_subscribed=false on every customer with this email.
// PUT /V1/customers/{id} replaces the whole customer, so each one is read
// by ID and sent back whole (addresses and custom attributes included) with
// only the flag changed.
func (s *Source) WriteOptOut(ctx context.Context, email string) (int, error) {
	norm := connectors.NormalizeEmail(email)
	op := "write opt-out for " + connectors.MaskEmail(norm)
	if !usableEmail(norm) {
		return 0, &connectors.Error{Kind: connectors.KindInvalid, Provider: Name, Op: op, Message: "the email is empty or holds a comma"}
	}
	q := search{groups: [][]cond{{{"email", norm, "eq"}}}, sorts: [][2]string{{"entity_id", "ASC"}}, pageSize: 100, page: 1}
	var found customerPage
	if err := s.get(ctx, op, "customers/search", q.values(), &found); err != nil {
		return 0, err
	}
	changed := 0
	for _, c := range found.Items {
		path := "customers/" + strconv.FormatInt(c.ID, 10)
		var full map[string]any
		if err := s.get(ctx, op, path, nil, &full); err != nil {
			if connectors.KindOf(err) == connectors.KindNotFound {
				continue
			}
			return changed, err
		}
		ext, _ := full["extension_attributes"].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
		}
		if sub, ok := ext["is_subscribed"].(bool); ok && !sub {
			continue
		}
		ext["is_subscribed"] = false
		full["extension_attributes"] = ext
		body, err := json.Marshal(map[string]any{"customer": full})
		if err != nil {
			return changed, &connectors.Error{Kind: connectors.KindInvalid, Provider: Name, Op: op, Err: err}
		}
		if err := s.do(ctx, op, http.MethodPut, path, nil, body, nil); err != nil {
			return changed, err
		}
		changed++
	}
	return changed, nil
}
