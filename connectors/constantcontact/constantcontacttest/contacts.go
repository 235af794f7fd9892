package constantcontacttest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// contactIn is the body of POST and PUT /contacts. Nil sub-resource slices
// were not sent: PUT keeps those and replaces the ones sent.
type contactIn struct {
	EmailAddress *struct {
		Address          string  `json:"address"`
		PermissionToSend string  `json:"permission_to_send"`
		OptOutReason     *string `json:"opt_out_reason"`
	} `json:"email_address"`
	FirstName       string            `json:"first_name"`
	LastName        string            `json:"last_name"`
	JobTitle        string            `json:"job_title"`
	CompanyName     string            `json:"company_name"`
	CreateSource    string            `json:"create_source"`
	UpdateSource    string            `json:"update_source"`
	CustomFields    []customValueJSON `json:"custom_fields"`
	PhoneNumbers    []phoneJSON       `json:"phone_numbers"`
	StreetAddresses []addressJSON     `json:"street_addresses"`
	ListMemberships []string          `json:"list_memberships"`
	Taggings        []string          `json:"taggings"`
}

// validate checks the sub-resources against the account and the
// documented maxima; it returns the error message or "".
func (e *Emulator) validate(in *contactIn) string {
	switch {
	case len(in.CustomFields) > 25:
		return "custom_fields may contain at most 25 entries"
	case len(in.PhoneNumbers) > 3:
		return "phone_numbers may contain at most 3 entries"
	case len(in.StreetAddresses) > 3:
		return "street_addresses may contain at most 3 entries"
	case len(in.ListMemberships) > 50:
		return "list_memberships may contain at most 50 entries"
	}
	for _, f := range []struct{ name, v string }{{"first_name", in.FirstName}, {"last_name", in.LastName},
		{"job_title", in.JobTitle}, {"company_name", in.CompanyName}} {
		if len([]rune(f.v)) > 50 {
			return f.name + " exceeds the maximum length of 50"
		}
	}
	for _, cf := range in.CustomFields {
		if e.fields[cf.CustomFieldID] == nil {
			return "custom_field_id " + cf.CustomFieldID + " does not exist"
		}
	}
	for _, id := range in.ListMemberships {
		if e.lists[id] == nil {
			return "list_id " + id + " does not exist"
		}
	}
	for _, id := range in.Taggings {
		if e.tags[id] == nil {
			return "tag_id " + id + " does not exist"
		}
	}
	for _, a := range in.StreetAddresses {
		if a.Kind == "" {
			return "street_addresses.kind is required"
		}
	}
	if in.EmailAddress != nil && in.EmailAddress.PermissionToSend != "" && !slices.Contains(permissions, in.EmailAddress.PermissionToSend) {
		return "permission_to_send does not have a valid value"
	}
	return ""
}

// applySubresources replaces the sub-resources that were sent.
func (c *contact) applySubresources(in *contactIn) {
	if in.CustomFields != nil {
		c.custom = map[string]string{}
		for _, cf := range in.CustomFields {
			c.custom[cf.CustomFieldID] = cf.Value
		}
	}
	if in.PhoneNumbers != nil {
		c.phones = nil
		for _, p := range in.PhoneNumbers {
			c.phones = append(c.phones, phone{number: p.PhoneNumber, kind: p.Kind})
		}
	}
	if in.StreetAddresses != nil {
		c.addresses = nil
		for _, a := range in.StreetAddresses {
			c.addresses = append(c.addresses, address{kind: a.Kind, street: a.Street, city: a.City, state: a.State,
				postalCode: a.PostalCode, country: a.Country})
		}
	}
	if in.ListMemberships != nil {
		c.lists = nil
		for _, id := range in.ListMemberships {
			c.addToList(id)
		}
	}
	if in.Taggings != nil {
		c.tags = append([]string{}, in.Taggings...)
	}
}

func validSource(s string) bool { return s == "Contact" || s == "Account" }

func (e *Emulator) postContact(w http.ResponseWriter, r *http.Request) {
	var in contactIn
	if !decode(w, r, &in) {
		return
	}
	if !validSource(in.CreateSource) {
		writeError(w, http.StatusBadRequest, keyValidation, "create_source is missing, create_source does not have a valid value")
		return
	}
	if in.EmailAddress == nil || !validEmail(in.EmailAddress.Address) {
		writeError(w, http.StatusBadRequest, keyValidation, "email_address.address is missing or invalid")
		return
	}
	if msg := e.validate(&in); msg != "" {
		writeError(w, http.StatusBadRequest, keyValidation, msg)
		return
	}
	c := e.byEmail[strings.ToLower(in.EmailAddress.Address)]
	if c != nil && c.deleted == nil {
		writeError(w, http.StatusConflict, keyConflict, msgConflict)
		return
	}
	perm := in.EmailAddress.PermissionToSend
	if perm == "" {
		perm = PermImplicit
	}
	if c == nil {
		c = e.newContact(in.EmailAddress.Address, perm, in.CreateSource)
	} else { // a deleted contact may be added again
		c.deleted = nil
		c.permission = perm
	}
	c.first, c.last, c.job, c.company = in.FirstName, in.LastName, in.JobTitle, in.CompanyName
	c.applySubresources(&in)
	e.touch(c)
	sandbox.WriteJSON(w, http.StatusCreated, c.render(allIncludes))
}

func (e *Emulator) getContact(w http.ResponseWriter, r *http.Request) {
	c := e.contacts[r.PathValue("id")]
	if c == nil {
		writeError(w, http.StatusNotFound, keyNotFound, "contact_id is in an invalid format or does not exist.")
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, c.render(includes(r)))
}

// putContact is a full replace of the top-level fields; sub-resources left
// out are kept. The consent rule: a contact who unsubscribed himself
// (opt_out_source Contact) cannot be opted back in by the account.
func (e *Emulator) putContact(w http.ResponseWriter, r *http.Request) {
	c := e.contacts[r.PathValue("id")]
	if c == nil {
		writeError(w, http.StatusNotFound, keyNotFound, "contact_id is in an invalid format or does not exist.")
		return
	}
	var in contactIn
	if !decode(w, r, &in) {
		return
	}
	if !validSource(in.UpdateSource) {
		writeError(w, http.StatusBadRequest, keyValidation, "update_source is missing, update_source does not have a valid value")
		return
	}
	if in.EmailAddress == nil || !validEmail(in.EmailAddress.Address) {
		writeError(w, http.StatusBadRequest, keyValidation, "email_address.address is missing or invalid")
		return
	}
	if msg := e.validate(&in); msg != "" {
		writeError(w, http.StatusBadRequest, keyValidation, msg)
		return
	}
	key := strings.ToLower(in.EmailAddress.Address)
	if other := e.byEmail[key]; other != nil && other != c {
		writeError(w, http.StatusConflict, keyConflict, msgConflict)
		return
	}
	perm := in.EmailAddress.PermissionToSend
	if c.permission == PermUnsubscribe && perm != "" && perm != PermUnsubscribe && c.optOutSource == "Contact" {
		writeError(w, http.StatusBadRequest, keyValidation,
			"The contact unsubscribed and only the contact can opt back in; use PUT /contacts/resubscribe/{contact_id}.")
		return
	}
	if !strings.EqualFold(c.email, in.EmailAddress.Address) {
		delete(e.byEmail, strings.ToLower(c.email))
		e.byEmail[key] = c
		c.emailTime = e.now()
	}
	c.email = in.EmailAddress.Address
	switch {
	case perm == PermUnsubscribe && c.permission != PermUnsubscribe:
		reason := ""
		if in.EmailAddress.OptOutReason != nil {
			reason = *in.EmailAddress.OptOutReason
		}
		e.unsubscribe(c, in.UpdateSource, reason)
	case perm != "" && perm != c.permission:
		c.permission = perm
		c.optOutSource, c.optOutDate, c.optOutReason = "", nil, ""
		now := e.now()
		c.optInSource, c.optInDate = in.UpdateSource, &now
	}
	c.first, c.last, c.job, c.company = in.FirstName, in.LastName, in.JobTitle, in.CompanyName
	c.updateSource = in.UpdateSource
	c.deleted = nil // "If the contact being updated is deleted, the contact will be revived."
	c.applySubresources(&in)
	e.touch(c)
	sandbox.WriteJSON(w, http.StatusOK, c.render(allIncludes))
}

func (e *Emulator) deleteContact(w http.ResponseWriter, r *http.Request) {
	c := e.contacts[r.PathValue("id")]
	if c == nil || c.deleted != nil {
		writeError(w, http.StatusNotFound, keyNotFound, "contact_id is in an invalid format or does not exist.")
		return
	}
	now := e.now()
	c.deleted = &now
	e.touch(c)
	w.WriteHeader(http.StatusNoContent)
}

// signUpForm is "Create or Update a Contact": it re-subscribes existing
// contacts, even unsubscribed ones, as the vendor documents. Our connector
// must never call it; the emulator has it so tests can prove that.
func (e *Emulator) signUpForm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		EmailAddress    string            `json:"email_address"`
		FirstName       string            `json:"first_name"`
		LastName        string            `json:"last_name"`
		CompanyName     string            `json:"company_name"`
		ListMemberships []string          `json:"list_memberships"`
		CustomFields    []customValueJSON `json:"custom_fields"`
	}
	if !decode(w, r, &in) {
		return
	}
	if n := len(in.ListMemberships); n < 1 || n > 50 || !validEmail(in.EmailAddress) {
		writeError(w, http.StatusBadRequest, keyValidation, "email_address and 1 to 50 list_memberships are required")
		return
	}
	for _, id := range in.ListMemberships {
		if e.lists[id] == nil {
			writeError(w, http.StatusBadRequest, keyValidation, "list_id "+id+" does not exist")
			return
		}
	}
	c, status, action := e.byEmail[strings.ToLower(in.EmailAddress)], http.StatusOK, "updated"
	if c == nil {
		perm := PermExplicit
		if e.opts.ConfirmedOptIn {
			perm = PermPending
		}
		c, status, action = e.newContact(in.EmailAddress, perm, "Contact"), http.StatusCreated, "created"
	} else {
		now := e.now()
		c.permission, c.optInSource, c.optInDate = PermExplicit, "Contact", &now
		c.optOutSource, c.optOutDate, c.optOutReason = "", nil, ""
		c.deleted = nil
	}
	for _, s := range []struct {
		dst *string
		v   string
	}{{&c.first, in.FirstName}, {&c.last, in.LastName}, {&c.company, in.CompanyName}} {
		if s.v != "" {
			*s.dst = s.v
		}
	}
	for _, id := range in.ListMemberships {
		c.addToList(id)
	}
	for _, cf := range in.CustomFields {
		if e.fields[cf.CustomFieldID] != nil {
			c.custom[cf.CustomFieldID] = cf.Value
		}
	}
	c.updateSource = "Contact"
	e.touch(c)
	sandbox.WriteJSON(w, status, map[string]string{"contact_id": c.id, "action": action})
}

// resubscribe sends the one confirmation email the vendor allows; the
// contact waits in pending_confirmation.
func (e *Emulator) resubscribe(w http.ResponseWriter, r *http.Request) {
	c := e.contacts[r.PathValue("id")]
	switch {
	case c == nil:
		writeError(w, http.StatusNotFound, keyNotFound, "contact_id is in an invalid format or does not exist.")
	case c.permission != PermUnsubscribe:
		writeError(w, http.StatusBadRequest, keyValidation, "The contact is not unsubscribed.")
	case c.resubscribeSent:
		writeError(w, http.StatusConflict, keyConflict, "A resubscribe email was already sent to this contact.")
	default:
		c.resubscribeSent = true
		c.permission, c.confirmStatus = PermPending, "pending"
		e.touch(c)
		sandbox.WriteJSON(w, http.StatusOK, map[string]string{"contact_id": c.id})
	}
}

func errTooLong(field string, max int) string {
	return fmt.Sprintf("%s exceeds the maximum length of %d", field, max)
}
