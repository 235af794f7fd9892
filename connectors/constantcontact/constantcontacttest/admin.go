package constantcontacttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// SeedContact is a contact to put in the account, with any state.
type SeedContact struct {
	Email string `json:"email"`
	// Permission is a permission_to_send value (default implicit).
	Permission string `json:"permission,omitempty"`
	// OptOutSource is Contact (the contact unsubscribed himself, the
	// default) or Account, for unsubscribed contacts.
	OptOutSource string `json:"optOutSource,omitempty"`
	FirstName    string `json:"firstName,omitempty"`
	LastName     string `json:"lastName,omitempty"`
	Company      string `json:"company,omitempty"`
	Phone        string `json:"phone,omitempty"`
	// Lists by name; missing lists are created.
	Lists []string `json:"lists,omitempty"`
	// Tags by name; missing tags are created.
	Tags []string `json:"tags,omitempty"`
	// Custom fields by name; missing fields are created.
	Custom  map[string]string `json:"custom,omitempty"`
	Deleted bool              `json:"deleted,omitempty"`
	// UpdatedAt backdates the contact (default now).
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// Contact is the state of one contact, for tests to inspect.
type Contact struct {
	ID           string            `json:"id"`
	Email        string            `json:"email"`
	Permission   string            `json:"permission"`
	OptInSource  string            `json:"optInSource,omitempty"`
	OptOutSource string            `json:"optOutSource,omitempty"`
	OptOutReason string            `json:"optOutReason,omitempty"`
	FirstName    string            `json:"firstName,omitempty"`
	LastName     string            `json:"lastName,omitempty"`
	Company      string            `json:"company,omitempty"`
	Phone        string            `json:"phone,omitempty"`
	Street       string            `json:"street,omitempty"`
	City         string            `json:"city,omitempty"`
	State        string            `json:"state,omitempty"`
	PostalCode   string            `json:"postalCode,omitempty"`
	Country      string            `json:"country,omitempty"`
	Lists        []string          `json:"lists,omitempty"`
	Tags         []string          `json:"tags,omitempty"`
	Custom       map[string]string `json:"custom,omitempty"`
	CreateSource string            `json:"createSource,omitempty"`
	UpdateSource string            `json:"updateSource,omitempty"`
	Deleted      bool              `json:"deleted,omitempty"`
	UpdatedAt    time.Time         `json:"updatedAt"`
}

// List is a contact list, for tests.
type List struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// CreateList adds a list (or returns the one of that name) and its ID.
func (e *Emulator) CreateList(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l := e.listByName(name); l != nil {
		return l.id
	}
	return e.createList(name, "", false).id
}

// CreateCustomField adds a string custom field and returns its name.
func (e *Emulator) CreateCustomField(label string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f := e.fieldByName(fieldName(label)); f != nil {
		return f.name
	}
	return e.createField(label, "string").name
}

// Seed adds or replaces contacts.
func (e *Emulator) Seed(cs ...SeedContact) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range cs {
		if !validEmail(s.Email) {
			return fmt.Errorf("seed contact %q: email is not valid", s.Email)
		}
		perm := s.Permission
		if perm == "" {
			perm = PermImplicit
		}
		if !slices.Contains(permissions, perm) {
			return fmt.Errorf("seed contact %q: permission %q is not one of %v", s.Email, perm, permissions)
		}
		c := e.byEmail[strings.ToLower(s.Email)]
		if c == nil {
			c = e.newContact(s.Email, perm, "Account")
		}
		c.permission = perm
		if perm == PermUnsubscribe {
			src := s.OptOutSource
			if src == "" {
				src = "Contact"
			}
			e.unsubscribe(c, src, "")
		}
		c.first, c.last, c.company = s.FirstName, s.LastName, s.Company
		if s.Phone != "" {
			c.setPhone("other", s.Phone)
		}
		for _, name := range s.Lists {
			l := e.listByName(name)
			if l == nil {
				l = e.createList(name, "", false)
			}
			if !slices.Contains(c.lists, l.id) {
				c.lists = append(c.lists, l.id) // seeding may put anyone anywhere
			}
		}
		for _, name := range s.Tags {
			t := e.tagByName(name)
			if t == nil {
				t = e.createTag(name)
			}
			c.addTag(t.id)
		}
		for name, v := range s.Custom {
			f := e.fieldByName(fieldName(name))
			if f == nil {
				f = e.createField(name, "string")
			}
			c.custom[f.id] = v
		}
		if s.Deleted {
			now := e.now()
			c.deleted = &now
		}
		e.touch(c)
		if !s.UpdatedAt.IsZero() {
			c.updated = s.UpdatedAt.UTC()
			if c.optOutDate != nil {
				c.optOutDate = &c.updated
			}
		}
	}
	return nil
}

// Contacts returns every contact, deleted ones included, in creation order.
func (e *Emulator) Contacts() []Contact {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance()
	out := make([]Contact, 0, len(e.order))
	for _, c := range e.order {
		out = append(out, e.export(c))
	}
	return out
}

// Contact returns the contact with that email.
func (e *Emulator) Contact(email string) (Contact, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance()
	c := e.byEmail[strings.ToLower(strings.TrimSpace(email))]
	if c == nil {
		return Contact{}, false
	}
	return e.export(c), true
}

// Lists returns the lists that are not deleted.
func (e *Emulator) Lists() []List {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []List
	for _, id := range e.listOrder {
		if l := e.lists[id]; l.deleted == nil {
			out = append(out, List{ID: l.id, Name: l.name})
		}
	}
	return out
}

func (e *Emulator) export(c *contact) Contact {
	out := Contact{ID: c.id, Email: c.email, Permission: c.permission, OptInSource: c.optInSource,
		OptOutSource: c.optOutSource, OptOutReason: c.optOutReason, FirstName: c.first, LastName: c.last,
		Company: c.company, CreateSource: c.createSource, UpdateSource: c.updateSource, Deleted: c.deleted != nil,
		UpdatedAt: c.updated}
	if len(c.phones) > 0 {
		out.Phone = c.phones[0].number
	}
	for _, a := range c.addresses {
		if a.kind == "home" || out.Street == "" {
			out.Street, out.City, out.State, out.PostalCode, out.Country = a.street, a.city, a.state, a.postalCode, a.country
		}
	}
	for _, id := range c.lists {
		out.Lists = append(out.Lists, e.lists[id].name)
	}
	for _, id := range c.tags {
		out.Tags = append(out.Tags, e.tags[id].name)
	}
	sort.Strings(out.Lists)
	sort.Strings(out.Tags)
	if len(c.custom) > 0 {
		out.Custom = map[string]string{}
		for id, v := range c.custom {
			out.Custom[e.fields[id].name] = v
		}
	}
	return out
}

func (e *Emulator) adminRoutes() {
	e.srv.HandleAdmin("POST /_sandbox/contacts", func(w http.ResponseWriter, r *http.Request) {
		var cs []SeedContact
		if err := json.NewDecoder(r.Body).Decode(&cs); err != nil {
			sandbox.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be a JSON array of contacts: " + err.Error()})
			return
		}
		if err := e.Seed(cs...); err != nil {
			sandbox.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, map[string]int{"seeded": len(cs)})
	})
	e.srv.HandleAdmin("POST /_sandbox/lists", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Name string `json:"name"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
			sandbox.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be {"name": "<list name>"}`})
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, List{ID: e.CreateList(in.Name), Name: in.Name})
	})
	e.srv.HandleAdmin("GET /_sandbox/state", func(w http.ResponseWriter, _ *http.Request) {
		contacts := e.Contacts()
		e.mu.Lock()
		var fields, tags []string
		for _, id := range e.fieldOrder {
			fields = append(fields, e.fields[id].name)
		}
		for _, id := range e.tagOrder {
			tags = append(tags, e.tags[id].name)
		}
		acts := len(e.activities)
		e.mu.Unlock()
		sandbox.WriteJSON(w, http.StatusOK, map[string]any{"lists": e.Lists(), "contacts": contacts,
			"customFields": fields, "tags": tags, "activities": acts})
	})
	e.srv.HandleAdmin("POST /_sandbox/tokens", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Action string `json:"action"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		switch in.Action {
		case "expire-access":
			e.ExpireAccessTokens()
			w.WriteHeader(http.StatusNoContent)
		case "revoke-refresh":
			e.RevokeRefreshTokens()
			w.WriteHeader(http.StatusNoContent)
		case "issue-refresh":
			sandbox.WriteJSON(w, http.StatusOK, map[string]string{"client_id": e.opts.ClientID, "refresh_token": e.IssueRefreshToken()})
		default:
			sandbox.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": `action must be "expire-access", "revoke-refresh" or "issue-refresh"`})
		}
	})
}
