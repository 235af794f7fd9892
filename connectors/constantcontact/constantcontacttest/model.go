package constantcontacttest

import (
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Permission values of email_address.permission_to_send (targets.md §2.5).
const (
	PermExplicit    = "explicit"
	PermImplicit    = "implicit"
	PermNotSet      = "not_set"
	PermPending     = "pending_confirmation"
	PermTempHold    = "temp_hold"
	PermUnsubscribe = "unsubscribed"
)

var permissions = []string{PermExplicit, PermImplicit, PermNotSet, PermPending, PermTempHold, PermUnsubscribe}

type list struct {
	id, name, description string
	favorite              bool
	created, updated      time.Time
	deleted               *time.Time
}

type phone struct{ number, kind string }

type address struct{ kind, street, city, state, postalCode, country string }

type contact struct {
	id, email                   string
	permission                  string
	optInSource, optOutSource   string
	optOutReason                string
	optInDate, optOutDate       *time.Time
	confirmStatus               string
	first, last, job, company   string
	createSource, updateSource  string
	created, updated, emailTime time.Time
	deleted                     *time.Time
	phones                      []phone
	addresses                   []address
	custom                      map[string]string // by custom_field_id
	lists                       []string          // list ids
	tags                        []string          // tag ids
	resubscribeSent             bool
}

type customField struct {
	id, label, name, typ string
	created, updated     time.Time
}

type tag struct {
	id, name         string
	created, updated time.Time
}

func newID() string { return uuid.NewString() }

// validEmail is the syntax check both sign-up and imports apply: one
// address, a dot in the domain, no spaces.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || strings.ContainsAny(s, " ,<>") {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	dom := s[at+1:]
	return strings.Contains(dom, ".") && !strings.HasSuffix(dom, ".")
}

// newContact adds a contact; callers hold e.mu and checked the email is free.
func (e *Emulator) newContact(email, permission, source string) *contact {
	now := e.now()
	c := &contact{id: newID(), email: email, permission: permission, createSource: source, updateSource: source,
		created: now, updated: now, emailTime: now, custom: map[string]string{}, confirmStatus: "off"}
	if permission != PermUnsubscribe && permission != PermNotSet {
		c.optInSource = source
		c.optInDate = &now
	}
	if permission == PermPending {
		c.confirmStatus = "pending"
	}
	e.contacts[c.id] = c
	e.byEmail[strings.ToLower(email)] = c
	e.order = append(e.order, c)
	return c
}

// touch marks a contact changed; updated_at moves on every write.
func (e *Emulator) touch(c *contact) {
	now := e.now()
	if !now.After(c.updated) {
		now = c.updated.Add(time.Millisecond)
	}
	c.updated = now
}

// unsubscribe opts a contact out; source is Contact or Account.
func (e *Emulator) unsubscribe(c *contact, source, reason string) {
	now := e.now()
	c.permission = PermUnsubscribe
	c.optOutSource = source
	c.optOutDate = &now
	c.optOutReason = reason
	c.confirmStatus = "off"
}

// addToList adds a list membership unless the contact is unsubscribed
// (the documented cannot_add_to_list case); it reports whether it did.
func (c *contact) addToList(listID string) bool {
	if c.permission == PermUnsubscribe {
		return false
	}
	if !slices.Contains(c.lists, listID) {
		c.lists = append(c.lists, listID)
	}
	return true
}

func (c *contact) removeFromList(listID string) {
	c.lists = slices.DeleteFunc(c.lists, func(id string) bool { return id == listID })
}

func (c *contact) addTag(tagID string) {
	if !slices.Contains(c.tags, tagID) {
		c.tags = append(c.tags, tagID)
	}
}
