package constantcontacttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Documented limits of contacts_json_import: only the first 4 MB of the
// payload and the first 40,000 contacts are processed; the rest is dropped
// silently, not refused.
const (
	importByteCap    = 4 << 20
	importContactCap = 40000
)

// importItem is one entry of import_data: fixed columns plus "cf:<name>".
type importItem map[string]any

// parseImport walks the payload as a stream so it can keep only the items
// that end within the first 4 MB.
func parseImport(b []byte) ([]importItem, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, fmt.Errorf("body is not a JSON object")
	}
	var items []importItem
	var listIDs []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		switch t {
		case "import_data":
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return nil, nil, fmt.Errorf("import_data is not an array")
			}
			for dec.More() {
				var it importItem
				if err := dec.Decode(&it); err != nil {
					return nil, nil, err
				}
				if dec.InputOffset() <= importByteCap && len(items) < importContactCap {
					items = append(items, it)
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, nil, err
			}
		case "list_ids":
			if err := dec.Decode(&listIDs); err != nil {
				return nil, nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, nil, err
			}
		}
	}
	return items, listIDs, nil
}

func (e *Emulator) importJSON(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	var items []importItem
	var listIDs []string
	if err == nil {
		items, listIDs, err = parseImport(b)
	}
	if err != nil || len(items) == 0 {
		writeError(w, http.StatusBadRequest, keyValidation, "Bad request. Either the JSON was malformed or there was a data validation error.")
		return
	}
	if len(listIDs) < 1 || len(listIDs) > 50 {
		writeError(w, http.StatusBadRequest, keyValidation, "list_ids must hold 1 to 50 list ids")
		return
	}
	for _, id := range listIDs {
		if l := e.lists[id]; l == nil || l.deleted != nil {
			writeError(w, http.StatusBadRequest, keyValidation, "list_id "+id+" does not exist")
			return
		}
	}
	e.queue(w, len(items), true, func(a *activity) {
		for i, it := range items {
			if msg := e.importOne(it, listIDs, a); msg != "" {
				a.errCount++
				a.errors = append(a.errors, fmt.Sprintf("Line %d: %s", i+1, msg))
			}
		}
	})
}

// importOne applies one import row: a new contact gets implicit permission
// with opt_in_source Account; an existing one keeps its permission and only
// the columns sent change; an unsubscribed one is not added to the lists.
// It returns the row's error message, or "".
func (e *Emulator) importOne(it importItem, listIDs []string, a *activity) string {
	str := func(k string) (string, bool) {
		v, ok := it[k]
		if !ok || v == nil {
			return "", true
		}
		s, isStr := v.(string)
		return strings.TrimSpace(s), isStr
	}
	email, ok := str("email")
	if !ok || email == "" {
		return "email is required"
	}
	if !validEmail(email) || (e.opts.RefusedEmail != nil && e.opts.RefusedEmail(email)) {
		return "invalid email address " + email
	}
	if len(email) > 50 {
		return errTooLong("email", 50)
	}
	cols := map[string]string{}
	custom := map[string]string{}
	for k := range it {
		v, isStr := str(k)
		if !isStr {
			return k + " must be a string"
		}
		if name, ok := strings.CutPrefix(k, "cf:"); ok {
			f := e.fieldByName(name)
			if f == nil {
				return "custom field " + name + " does not exist"
			}
			if len([]rune(v)) > 255 {
				return errTooLong(k, 255)
			}
			custom[f.id] = v
			continue
		}
		max := 50
		if k == "street" {
			max = 255
		}
		if len([]rune(v)) > max {
			return errTooLong(k, max)
		}
		cols[k] = v
	}
	if len(custom) > 25 {
		return "a contact may have at most 25 custom fields"
	}
	c := e.byEmail[strings.ToLower(email)]
	if c == nil {
		c = e.newContact(email, PermImplicit, "Account")
	}
	c.deleted = nil
	for _, f := range []struct {
		col string
		dst *string
	}{{"first_name", &c.first}, {"last_name", &c.last}, {"job_title", &c.job}, {"company_name", &c.company}} {
		if v := cols[f.col]; v != "" {
			*f.dst = v
		}
	}
	if v := cols["phone"]; v != "" {
		c.setPhone("other", v)
	}
	c.mergeHomeAddress(cols["street"], cols["city"], cols["state"], cols["zip"], cols["country"])
	for id, v := range custom {
		c.custom[id] = v
	}
	added := true
	for _, id := range listIDs {
		added = c.addToList(id) && added
	}
	if !added {
		a.cannotAdd++
	}
	c.updateSource = "Account"
	e.touch(c)
	a.persons++
	return ""
}

func (c *contact) setPhone(kind, number string) {
	for i := range c.phones {
		if c.phones[i].kind == kind {
			c.phones[i].number = number
			return
		}
	}
	if len(c.phones) < 3 {
		c.phones = append(c.phones, phone{number: number, kind: kind})
	}
}

// mergeHomeAddress updates the parts sent of the home address.
func (c *contact) mergeHomeAddress(street, city, state, zip, country string) {
	if street+city+state+zip+country == "" {
		return
	}
	i := -1
	for j := range c.addresses {
		if c.addresses[j].kind == "home" {
			i = j
		}
	}
	if i < 0 {
		if len(c.addresses) >= 3 {
			return
		}
		c.addresses = append(c.addresses, address{kind: "home"})
		i = len(c.addresses) - 1
	}
	a := &c.addresses[i]
	for _, p := range []struct {
		dst *string
		v   string
	}{{&a.street, street}, {&a.city, city}, {&a.state, state}, {&a.postalCode, zip}, {&a.country, country}} {
		if p.v != "" {
			*p.dst = p.v
		}
	}
}
