package constantcontact

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/contactsync/contactsync/connectors"
)

// Field lengths of the contact resource.
const (
	maxName    = 50
	maxPhone   = 25
	maxStreet  = 255
	maxAddrCol = 50
)

type emailOut struct {
	Address      string  `json:"address"`
	Permission   string  `json:"permission_to_send,omitempty"`
	OptOutReason *string `json:"opt_out_reason,omitempty"`
}

type customOut struct {
	ID    string `json:"custom_field_id"`
	Value string `json:"value"`
}

type phoneOut struct {
	Number string `json:"phone_number"`
	Kind   string `json:"kind"`
}

type addressOut struct {
	Kind       string `json:"kind"`
	Street     string `json:"street,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
}

// contactOut is the body of POST /contacts and PUT /contacts/{id}.
type contactOut struct {
	EmailAddress    emailOut     `json:"email_address"`
	FirstName       string       `json:"first_name,omitempty"`
	LastName        string       `json:"last_name,omitempty"`
	JobTitle        string       `json:"job_title,omitempty"`
	CompanyName     string       `json:"company_name,omitempty"`
	BirthdayM       int          `json:"birthday_month,omitempty"`
	BirthdayD       int          `json:"birthday_day,omitempty"`
	Anniversary     string       `json:"anniversary,omitempty"`
	CreateSource    string       `json:"create_source,omitempty"`
	UpdateSource    string       `json:"update_source,omitempty"`
	CustomFields    []customOut  `json:"custom_fields,omitempty"`
	PhoneNumbers    []phoneOut   `json:"phone_numbers,omitempty"`
	StreetAddresses []addressOut `json:"street_addresses,omitempty"`
	ListMemberships []string     `json:"list_memberships,omitempty"`
	Taggings        []string     `json:"taggings,omitempty"`
}

// create POSTs a new contact with a permission an import cannot set. A
// 409 means the contact exists after all: it is updated by import instead.
func (b *batch) create(ctx context.Context, p *plan, j *job) error {
	w := j.w
	out := contactOut{EmailAddress: emailOut{Address: w.Email, Permission: permissionOf(w.Permission)},
		FirstName: cut(w.FirstName, maxName), LastName: cut(w.LastName, maxName), CompanyName: cut(w.Company, maxName),
		CreateSource: "Account", ListMemberships: append([]string{b.main}, j.addIDs...), Taggings: j.tagIDs}
	for id, v := range j.custom {
		out.CustomFields = append(out.CustomFields, customOut{ID: id, Value: v})
	}
	if w.Phone != "" {
		out.PhoneNumbers = []phoneOut{{Number: cut(w.Phone, maxPhone), Kind: "other"}}
	}
	if !w.Address.IsZero() {
		out.StreetAddresses = []addressOut{homeAddress(w.Address)}
	}
	var got contactJSON
	_, err := b.t.api.call(ctx, "create contact", http.MethodPost, "/contacts", nil, out, &got)
	var ce *connectors.Error
	switch {
	case errors.As(err, &ce) && ce.StatusCode == http.StatusConflict:
		b.planImport(p, j)
		return nil
	case errors.As(err, &ce) && ce.Kind == connectors.KindInvalid:
		b.set(j, outcomeOf(ce.Message), "", ce.Message)
		return nil
	case err != nil:
		return err
	}
	b.remember(entryOf(&got))
	j.tagIDs = nil // sent with the contact
	b.set(j, connectors.OutcomeCreated, got.ID, "")
	return nil
}

// replace GETs a contact and PUTs it back with the write applied: PUT
// replaces every top-level field, so each one must be sent again.
// permission is the new permission_to_send ("" keeps the current one).
func (b *batch) replace(ctx context.Context, j *job, permission, updateSource string) (*contactJSON, error) {
	id := j.w.ID
	if id == "" && j.known != nil {
		id = j.known.id
	}
	var cur contactJSON
	if id == "" {
		var p contactsPage
		q := url.Values{"email": {j.w.Email}, "status": {"all"}, "include": {includeAll}}
		if _, err := b.t.api.call(ctx, "look up contact", http.MethodGet, "/contacts", q, nil, &p); err != nil {
			return nil, err
		}
		if len(p.Contacts) == 0 {
			return nil, &connectors.Error{Kind: connectors.KindNotFound, Provider: Provider, Op: "look up contact",
				Message: "the contact " + connectors.MaskEmail(j.w.Email) + " does not exist"}
		}
		cur = p.Contacts[0]
	} else if _, err := b.t.api.call(ctx, "get contact", http.MethodGet, "/contacts/"+url.PathEscape(id),
		url.Values{"include": {includeAll}}, nil, &cur); err != nil {
		return nil, err
	}
	w := j.w
	out := contactOut{EmailAddress: emailOut{Address: w.Email, Permission: permission},
		FirstName: pick(w.FirstName, cur.FirstName, maxName), LastName: pick(w.LastName, cur.LastName, maxName),
		JobTitle: cur.JobTitle, CompanyName: pick(w.Company, cur.CompanyName, maxName),
		BirthdayM: cur.BirthdayM, BirthdayD: cur.BirthdayD, Anniversary: cur.Anniversary, UpdateSource: updateSource}
	if cur.EmailAddress != nil && permission == "" {
		out.EmailAddress.Permission = cur.EmailAddress.Permission
	}
	if len(j.custom) > 0 {
		merged := map[string]string{}
		for _, f := range cur.CustomFields {
			merged[f.ID] = f.Value
		}
		for id, v := range j.custom {
			merged[id] = v
		}
		for id, v := range merged {
			out.CustomFields = append(out.CustomFields, customOut{ID: id, Value: v})
		}
	}
	if w.Phone != "" {
		out.PhoneNumbers = []phoneOut{{Number: cut(w.Phone, maxPhone), Kind: "other"}}
		for i, ph := range cur.PhoneNumbers {
			if i > 0 && len(out.PhoneNumbers) < 3 {
				out.PhoneNumbers = append(out.PhoneNumbers, phoneOut{Number: ph.Number, Kind: ph.Kind})
			}
		}
	}
	if !w.Address.IsZero() {
		out.StreetAddresses = []addressOut{homeAddress(w.Address)}
		for _, a := range cur.StreetAddresses {
			if a.Kind != "home" && len(out.StreetAddresses) < 3 {
				out.StreetAddresses = append(out.StreetAddresses, addressOut{Kind: a.Kind, Street: a.Street,
					City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country})
			}
		}
	}
	if len(j.addIDs) > 0 {
		out.ListMemberships = append(append([]string{}, cur.ListMemberships...), j.addIDs...)
	}
	if permission == "unsubscribed" {
		reason := "Opted out in the source system"
		out.EmailAddress.OptOutReason = &reason
	}
	var got contactJSON
	if _, err := b.t.api.call(ctx, "update contact", http.MethodPut, "/contacts/"+url.PathEscape(cur.ID), nil, out, &got); err != nil {
		return nil, err
	}
	return &got, nil
}

// unsubscribe opts a contact out because the source says so. The opt-out
// is recorded as the contact's own (update_source Contact): he asked at
// the source, and the account then cannot re-add him by mistake.
func (b *batch) unsubscribe(ctx context.Context, j *job) error {
	got, err := b.replace(ctx, j, "unsubscribed", "Contact")
	if err != nil {
		return b.single(j, err)
	}
	b.remember(entryOf(got))
	b.set(j, connectors.OutcomeUnsubscribed, got.ID, "")
	return nil
}

// update PUTs a contact that is in no list, which an import cannot reach
// without adding it to one.
func (b *batch) update(ctx context.Context, j *job) error {
	got, err := b.replace(ctx, j, "", "Account")
	if err != nil {
		return b.single(j, err)
	}
	b.remember(entryOf(got))
	b.set(j, connectors.OutcomeUpdated, got.ID, "")
	return nil
}

// single records a refusal about one contact as its result; other errors
// fail the batch.
func (b *batch) single(j *job, err error) error {
	var ce *connectors.Error
	if errors.As(err, &ce) && (ce.Kind == connectors.KindInvalid || ce.Kind == connectors.KindNotFound) {
		b.set(j, outcomeOf(ce.Message), "", ce.Message)
		return nil
	}
	return err
}

func homeAddress(a connectors.Address) addressOut {
	return addressOut{Kind: "home", Street: cut(a.Street, maxStreet), City: cut(a.City, maxAddrCol),
		State: cut(a.Region, maxAddrCol), PostalCode: cut(a.PostalCode, maxAddrCol), Country: cut(a.Country, maxAddrCol)}
}

// pick is the written value when there is one, else the current one.
func pick(written, current string, max int) string {
	if written != "" {
		return cut(written, max)
	}
	return current
}

// cut shortens s to the API's maximum length in characters.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max])
}
