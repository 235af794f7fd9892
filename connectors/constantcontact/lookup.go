package constantcontact

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

const (
	// perEmailLookups: up to this many emails, with no account snapshot
	// yet, Lookup asks by email (one call each) rather than reading the
	// whole account; webhook write-throughs stay cheap on big accounts.
	perEmailLookups = 10
	// snapshotTTL: an older snapshot is brought up to date with the
	// contacts updated since (usually one call) before it answers.
	snapshotTTL = 2 * time.Minute
	// refreshOverlap re-reads a little before the last refresh, for clock
	// skew between us and the API.
	refreshOverlap = time.Minute
	pageSize       = "500"
	includeAll     = "custom_fields,list_memberships,phone_numbers,street_addresses,taggings"
)

// contactJSON is the contact resource as GET /contacts returns it.
type contactJSON struct {
	ID           string `json:"contact_id"`
	EmailAddress *struct {
		Address      string    `json:"address"`
		Permission   string    `json:"permission_to_send"`
		OptOutSource string    `json:"opt_out_source"`
		OptOutDate   time.Time `json:"opt_out_date"`
	} `json:"email_address"`
	FirstName    string    `json:"first_name"`
	LastName     string    `json:"last_name"`
	JobTitle     string    `json:"job_title"`
	CompanyName  string    `json:"company_name"`
	BirthdayM    int       `json:"birthday_month,omitempty"`
	BirthdayD    int       `json:"birthday_day,omitempty"`
	Anniversary  string    `json:"anniversary,omitempty"`
	UpdatedAt    time.Time `json:"updated_at"`
	DeletedAt    string    `json:"deleted_at"`
	CustomFields []struct {
		ID    string `json:"custom_field_id"`
		Value string `json:"value"`
	} `json:"custom_fields"`
	PhoneNumbers []struct {
		Number string `json:"phone_number"`
		Kind   string `json:"kind"`
	} `json:"phone_numbers"`
	StreetAddresses []struct {
		Kind       string `json:"kind"`
		Street     string `json:"street"`
		City       string `json:"city"`
		State      string `json:"state"`
		PostalCode string `json:"postal_code"`
		Country    string `json:"country"`
	} `json:"street_addresses"`
	ListMemberships []string `json:"list_memberships"`
	Taggings        []string `json:"taggings"`
}

type contactsPage struct {
	Contacts []contactJSON `json:"contacts"`
	Links    links         `json:"_links"`
}

func (p *contactsPage) nextHref() string { return p.Links.next() }

// statusOf maps permission_to_send to neutral terms. temp_hold, whose
// meaning the vendor does not document, counts as opted out: the engine
// then never touches the contact's consent.
func statusOf(permission string) connectors.MemberStatus {
	switch permission {
	case "explicit", "implicit":
		return connectors.MemberSubscribed
	case "pending_confirmation":
		return connectors.MemberPending
	case "not_set":
		return connectors.MemberNotSubscribed
	}
	return connectors.MemberOptedOut
}

// entryOf keeps what Lookup reports of a contact.
func entryOf(c *contactJSON) *entry {
	e := &entry{id: c.ID, first: c.FirstName, last: c.LastName, company: c.CompanyName, deleted: c.DeletedAt != "",
		lists: c.ListMemberships, tags: c.Taggings}
	if c.EmailAddress != nil {
		e.email = connectors.NormalizeEmail(c.EmailAddress.Address)
		e.status = statusOf(c.EmailAddress.Permission)
	}
	if len(c.PhoneNumbers) > 0 {
		e.phone = c.PhoneNumbers[0].Number
	}
	for i, a := range c.StreetAddresses {
		if i == 0 || a.Kind == "home" {
			e.addr = connectors.Address{Street: a.Street, City: a.City, Region: a.State, PostalCode: a.PostalCode, Country: a.Country}
		}
	}
	if len(c.CustomFields) > 0 {
		e.custom = make(map[string]string, len(c.CustomFields))
		for _, f := range c.CustomFields {
			e.custom[f.ID] = f.Value
		}
	}
	return e
}

// Lookup returns what the account knows of these emails. With no snapshot
// yet and a handful of emails it asks by email; otherwise it answers from
// a snapshot of the whole account (ceil(contacts/500) calls, once), kept
// fresh with the contacts updated since and with our own writes.
func (t *Target) Lookup(ctx context.Context, emails []string) (map[string]connectors.TargetContact, error) {
	info, cat, err := t.ready(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	idx := t.idx
	t.mu.Unlock()
	switch {
	case (idx == nil || !idx.full) && len(emails) <= perEmailLookups:
		for _, email := range emails {
			if err := t.lookupOne(ctx, email); err != nil {
				return nil, err
			}
		}
	case idx == nil || !idx.full || now().Sub(idx.at) > snapshotTTL:
		if err := t.refresh(ctx); err != nil {
			return nil, err
		}
	}
	out := make(map[string]connectors.TargetContact, len(emails))
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, email := range emails {
		e := t.idx.get(connectors.NormalizeEmail(email))
		if e == nil || (e.deleted && e.status != connectors.MemberOptedOut) {
			continue // a deleted contact can be added again
		}
		out[e.email] = e.report(info.ID, cat)
	}
	return out, nil
}

// lookupOne asks for one email, deleted contacts included (status=all).
func (t *Target) lookupOne(ctx context.Context, email string) error {
	var p contactsPage
	q := url.Values{"email": {connectors.NormalizeEmail(email)}, "status": {"all"}, "include": {includeAll}}
	if _, err := t.api.call(ctx, "look up contact", http.MethodGet, "/contacts", q, nil, &p); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.index().forget(connectors.NormalizeEmail(email))
	for i := range p.Contacts {
		t.index().put(entryOf(&p.Contacts[i]))
	}
	return nil
}

// refresh reads the whole account, or what changed since the last read.
func (t *Target) refresh(ctx context.Context) error {
	t.mu.Lock()
	idx := t.idx
	t.mu.Unlock()
	start := now()
	q := url.Values{"status": {"all"}, "limit": {pageSize}, "include": {includeAll}}
	full := idx == nil || !idx.full
	if !full {
		q.Set("updated_after", idx.at.Add(-refreshOverlap).UTC().Format(time.RFC3339))
	}
	err := paginate(ctx, t.api, "read contacts", "/contacts", q, func(p *contactsPage) error {
		t.mu.Lock()
		defer t.mu.Unlock()
		for i := range p.Contacts {
			t.index().put(entryOf(&p.Contacts[i]))
		}
		return nil
	})
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.index().full, t.index().at = true, start
	t.mu.Unlock()
	return nil
}

// index returns the snapshot, creating it; callers hold t.mu.
func (t *Target) index() *index {
	if t.idx == nil {
		t.idx = &index{byEmail: map[string]*entry{}}
	}
	return t.idx
}

// index is what the target knows of the account's contacts, by email.
type index struct {
	byEmail map[string]*entry
	// full: every contact was read at some point; at: when the last read began.
	full bool
	at   time.Time
}

func (x *index) get(email string) *entry {
	if x == nil {
		return nil
	}
	return x.byEmail[email]
}

func (x *index) put(e *entry) {
	if e.email != "" {
		x.byEmail[e.email] = e
	}
}

func (x *index) forget(email string) { delete(x.byEmail, email) }

// entry is one contact, compact: custom fields by field ID, lists and
// tags by ID; names are resolved when reported.
type entry struct {
	id, email                   string
	status                      connectors.MemberStatus
	first, last, company, phone string
	addr                        connectors.Address
	custom                      map[string]string
	lists, tags                 []string
	deleted                     bool
}

func (e *entry) inList(listID string) bool { return slices.Contains(e.lists, listID) }

func (e *entry) report(mainList string, cat *catalog) connectors.TargetContact {
	tc := connectors.TargetContact{ID: e.id, Email: e.email, Status: e.status, InList: e.inList(mainList) && !e.deleted,
		FirstName: e.first, LastName: e.last, Company: e.company, Phone: e.phone, Address: e.addr}
	if len(e.custom) > 0 {
		tc.Custom = make(map[string]string, len(e.custom))
		for id, v := range e.custom {
			key := cat.fieldKey[id]
			if key == "" {
				key = id
			}
			tc.Custom[key] = v
		}
	}
	for _, id := range e.lists {
		if id != mainList {
			if name := cat.listName[id]; name != "" {
				tc.Groups = append(tc.Groups, name)
			}
		}
	}
	for _, id := range e.tags {
		if name := cat.tagName[id]; name != "" {
			tc.Tags = append(tc.Tags, name)
		}
	}
	sort.Strings(tc.Groups)
	sort.Strings(tc.Tags)
	return tc
}
