package syncer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// targetField is where a mapping writes.
type targetField int

const (
	toFirstName targetField = iota
	toLastName
	toCompany
	toPhone
	toAddress
	toCustom
)

// mapping copies one source value into one field of a Write.
type mapping struct {
	to     targetField
	custom string // the custom field's name when to == toCustom
	get    func(c *connectors.Contact) string
}

// dateLayout is how purchase dates are written to text fields.
const dateLayout = "2006-01-02"

// sourceFields are the canonical fields a mapping may read.
var sourceFields = map[string]func(c *connectors.Contact) string{
	"firstName":          func(c *connectors.Contact) string { return c.FirstName },
	"lastName":           func(c *connectors.Contact) string { return c.LastName },
	"company":            func(c *connectors.Contact) string { return c.Company },
	"phone":              func(c *connectors.Contact) string { return c.Phone },
	"address.street":     func(c *connectors.Contact) string { return c.Address.Street },
	"address.city":       func(c *connectors.Contact) string { return c.Address.City },
	"address.region":     func(c *connectors.Contact) string { return c.Address.Region },
	"address.postalCode": func(c *connectors.Contact) string { return c.Address.PostalCode },
	"address.country":    func(c *connectors.Contact) string { return c.Address.Country },
	"purchases.count":    func(c *connectors.Contact) string { return strconv.Itoa(c.Purchases.Count) },
	"purchases.total":    func(c *connectors.Contact) string { return strconv.FormatFloat(c.Purchases.Total, 'f', 2, 64) },
	"purchases.first":    func(c *connectors.Contact) string { return formatDate(c.Purchases.First) },
	"purchases.last":     func(c *connectors.Contact) string { return formatDate(c.Purchases.Last) },
}

var targetFields = map[string]targetField{
	"firstName": toFirstName, "lastName": toLastName, "company": toCompany, "phone": toPhone, "address": toAddress,
}

// customName is the name a "custom:<name>" field may carry (as the CRD's pattern).
var customName = regexp.MustCompile(`^[A-Za-z0-9 _-]{1,50}$`)

// defaultMappings are the same for every provider pair: the canonical
// fields go to the target's canonical fields, which each target maps to its
// own (Mailchimp merge fields, Constant Contact properties). Source custom
// fields are never written unless the spec maps them.
func defaultMappings() []mapping {
	return []mapping{
		{to: toFirstName, get: sourceFields["firstName"]},
		{to: toLastName, get: sourceFields["lastName"]},
		{to: toCompany, get: sourceFields["company"]},
		{to: toPhone, get: sourceFields["phone"]},
		{to: toAddress},
	}
}

// compileMappings returns the defaults with the spec's mappings on top: a
// spec mapping replaces the default that writes the same target field.
func compileMappings(specs []FieldMapping) ([]mapping, error) {
	out := defaultMappings()
	byTarget := map[string]int{}
	for i, fm := range specs {
		m, key, err := compileMapping(i, fm)
		if err != nil {
			return nil, err
		}
		if j, dup := byTarget[key]; dup {
			return nil, fieldErr(fmt.Sprintf("fieldMappings[%d].to", i), "%q is already written by fieldMappings[%d]", fm.To, j)
		}
		byTarget[key] = i
		out = replaceTarget(out, m)
	}
	return out, nil
}

func compileMapping(i int, fm FieldMapping) (mapping, string, error) {
	from, to := strings.TrimSpace(fm.From), strings.TrimSpace(fm.To)
	var m mapping
	if name, ok := strings.CutPrefix(to, "custom:"); ok {
		if !customName.MatchString(name) {
			return m, "", fieldErr(fmt.Sprintf("fieldMappings[%d].to", i), "custom field name %q must be 1 to 50 letters, digits, spaces, _ or -", name)
		}
		m.to, m.custom = toCustom, name
	} else if f, ok := targetFields[to]; ok {
		m.to = f
	} else {
		return m, "", fieldErr(fmt.Sprintf("fieldMappings[%d].to", i), "unknown target field %q (want firstName, lastName, company, phone, address or custom:<name>)", to)
	}
	if m.to == toAddress {
		// The address is written as a whole: only the whole address fits it.
		if from != "address" {
			return m, "", fieldErr(fmt.Sprintf("fieldMappings[%d].from", i), "only \"address\" can be written to the address, got %q", from)
		}
		return m, to, nil
	}
	if name, ok := strings.CutPrefix(from, "custom:"); ok && name != "" {
		m.get = func(c *connectors.Contact) string { return c.Custom[name] }
	} else if get, ok := sourceFields[from]; ok {
		m.get = get
	} else {
		return m, "", fieldErr(fmt.Sprintf("fieldMappings[%d].from", i), "unknown source field %q (want a canonical field such as firstName, address.city, purchases.total, or custom:<name>)", from)
	}
	return m, to, nil
}

func replaceTarget(ms []mapping, m mapping) []mapping {
	for i := range ms {
		if ms[i].to == m.to && ms[i].custom == m.custom {
			ms[i] = m
			return ms
		}
	}
	return append(ms, m)
}

// mapFields fills w's fields from c. Phone and address are left out of
// updates under SkipPhoneAndAddress.
func (p *Policy) mapFields(c *connectors.Contact, w *connectors.Write, isNew bool) {
	skipContact := !isNew && p.spec.UpdateExisting == UpdateSkipPhoneAndAddress
	for i := range p.mappings {
		m := &p.mappings[i]
		if skipContact && (m.to == toPhone || m.to == toAddress) {
			continue
		}
		if m.to == toAddress {
			w.Address = c.Address
			continue
		}
		v := strings.TrimSpace(m.get(c))
		if v == "" {
			continue
		}
		switch m.to {
		case toFirstName:
			w.FirstName = v
		case toLastName:
			w.LastName = v
		case toCompany:
			w.Company = v
		case toPhone:
			w.Phone = v
		case toCustom:
			if w.Custom == nil {
				w.Custom = map[string]string{}
			}
			w.Custom[m.custom] = v
		}
	}
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(dateLayout)
}
