package mailchimptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Member is a member as tests seed and inspect it.
type Member struct {
	ID    string `json:"id,omitempty"`
	Email string `json:"email"`
	// Status is subscribed, unsubscribed, cleaned, pending, transactional or archived.
	Status string `json:"status"`
	// UnsubscribedBy is ByContact or ByAPI for unsubscribed members (default ByContact when seeding).
	UnsubscribedBy string         `json:"unsubscribedBy,omitempty"`
	MergeFields    map[string]any `json:"mergeFields,omitempty"`
	Tags           []string       `json:"tags,omitempty"`
	LastChanged    time.Time      `json:"lastChanged,omitzero"`
}

// CreateList adds an audience and returns its id.
func (e *Emulator) CreateList(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addList(name).id
}

// AddMergeField adds a merge field to an audience (a required one makes
// member writes without it fail).
func (e *Emulator) AddMergeField(listID, tag, name, typ string, required bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.lists[listID]
	if l == nil {
		return fmt.Errorf("mailchimptest: no audience %q", listID)
	}
	l.addField(tag, name, typ, required)
	return nil
}

// Seed adds or replaces members with any status, bypassing the API's
// consent rules (it is how the account's history got there).
func (e *Emulator) Seed(listID string, ms ...Member) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.lists[listID]
	if l == nil {
		return fmt.Errorf("mailchimptest: no audience %q", listID)
	}
	now := e.now()
	for i, s := range ms {
		if !validEmail(s.Email) {
			return fmt.Errorf("mailchimptest: seed member %d: invalid email_address", i)
		}
		if !listableStatus[s.Status] {
			return fmt.Errorf("mailchimptest: seed member %d: invalid status %q", i, s.Status)
		}
		h := Hash(s.Email)
		m := l.members[h]
		if m == nil {
			m = &member{hash: h, email: s.Email, uniqueID: h[:10], contactID: Hash("contact:" + s.Email),
				webID: e.nextWebID(), signup: now, opt: now, merge: map[string]any{}}
			l.members[h] = m
			l.order = append(l.order, h)
		}
		m.status, m.changed = s.Status, now
		if !s.LastChanged.IsZero() {
			m.changed = s.LastChanged.UTC().Truncate(time.Second)
		}
		if s.Status == StatusUnsubscribed {
			m.unsubBy = s.UnsubscribedBy
			if m.unsubBy == "" {
				m.unsubBy = ByContact
			}
			m.unsubReason = "Unsubscribed by the contact"
		}
		if s.Status == StatusArchived {
			m.archivedFrom = StatusSubscribed
		}
		for k, v := range s.MergeFields {
			m.merge[k] = v
		}
		changed := m.changed
		e.addTags(l, m, s.Tags, now)
		m.changed = changed
	}
	return nil
}

// SeedPeople adds generated people as members with the given status,
// skipping those without a valid address.
func (e *Emulator) SeedPeople(listID string, people []sandbox.Person, status string) error {
	ms := make([]Member, 0, len(people))
	for _, p := range people {
		if !validEmail(p.Email) {
			continue
		}
		ms = append(ms, Member{Email: p.Email, Status: status,
			MergeFields: map[string]any{"FNAME": p.FirstName, "LNAME": p.LastName, "PHONE": p.Phone}})
	}
	return e.Seed(listID, ms...)
}

// Members returns the audience's members in creation order.
func (e *Emulator) Members(listID string) []Member {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.lists[listID]
	if l == nil {
		return nil
	}
	out := make([]Member, 0, len(l.members))
	for _, h := range l.order {
		if m := l.members[h]; m != nil {
			out = append(out, l.export(m))
		}
	}
	return out
}

// Member returns one member by email.
func (e *Emulator) Member(listID, email string) (Member, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.lists[listID]
	if l == nil {
		return Member{}, false
	}
	m := l.members[Hash(email)]
	if m == nil {
		return Member{}, false
	}
	return l.export(m), true
}

func (l *list) export(m *member) Member {
	out := Member{ID: m.hash, Email: m.email, Status: m.status, UnsubscribedBy: m.unsubBy,
		MergeFields: make(map[string]any, len(m.merge)), LastChanged: m.changed}
	for k, v := range m.merge {
		out.MergeFields[k] = v
	}
	for _, t := range m.tags {
		if s := l.segments[t.id]; s != nil {
			out.Tags = append(out.Tags, s.name)
		}
	}
	return out
}

// MergeFields returns the audience's merge fields as tag → type.
func (e *Emulator) MergeFields(listID string) map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]string{}
	if l := e.lists[listID]; l != nil {
		for _, f := range l.fields {
			out[f.tag] = f.typ
		}
	}
	return out
}

// ContactUnsubscribe unsubscribes a member as the contact does (the
// unsubscribe link): the API can never subscribe them again. Webhooks with
// the "user" source are delivered before it returns.
func (e *Emulator) ContactUnsubscribe(listID, email string) error {
	e.mu.Lock()
	l := e.lists[listID]
	var m *member
	if l != nil {
		m = l.members[Hash(email)]
	}
	if m == nil {
		e.mu.Unlock()
		return fmt.Errorf("mailchimptest: no member %s in audience %q", email, listID)
	}
	_ = e.setStatus(l, m, StatusUnsubscribed, ByContact)
	out := e.takeOutbox()
	e.mu.Unlock()
	e.deliver(out)
	return nil
}

// adminRoutes are this emulator's /_sandbox/ routes, for people and for
// tests in other packages that drive it over HTTP.
func (e *Emulator) adminRoutes() {
	e.srv.HandleAdmin("GET /_sandbox/credentials", func(w http.ResponseWriter, _ *http.Request) {
		sandbox.WriteJSON(w, 200, map[string]any{"apiKey": e.APIKey(), "accessToken": e.AccessToken(), "server": e.opts.DC})
	})
	e.srv.HandleAdmin("POST /_sandbox/credentials/revoke", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Credential string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Credential == "" {
			sandbox.WriteJSON(w, 400, map[string]string{"error": "body must be {\"credential\": \"<api key or token>\"}"})
			return
		}
		e.Revoke(in.Credential)
		w.WriteHeader(http.StatusNoContent)
	})
	e.srv.HandleAdmin("POST /_sandbox/oauth/codes", func(w http.ResponseWriter, _ *http.Request) {
		sandbox.WriteJSON(w, 200, map[string]string{"code": e.IssueAuthCode()})
	})
	e.srv.HandleAdmin("POST /_sandbox/lists", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Name string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
			sandbox.WriteJSON(w, 400, map[string]string{"error": "body must be {\"name\": \"<audience name>\"}"})
			return
		}
		sandbox.WriteJSON(w, 200, map[string]string{"id": e.CreateList(in.Name)})
	})
	e.srv.HandleAdmin("POST /_sandbox/lists/{list_id}/members", func(w http.ResponseWriter, r *http.Request) {
		var in []Member
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			sandbox.WriteJSON(w, 400, map[string]string{"error": "body must be a JSON array of members: " + err.Error()})
			return
		}
		if err := e.Seed(r.PathValue("list_id"), in...); err != nil {
			sandbox.WriteJSON(w, 400, map[string]string{"error": err.Error()})
			return
		}
		sandbox.WriteJSON(w, 200, map[string]int{"seeded": len(in)})
	})
	e.srv.HandleAdmin("POST /_sandbox/lists/{list_id}/members/{email}/unsubscribe", func(w http.ResponseWriter, r *http.Request) {
		if err := e.ContactUnsubscribe(r.PathValue("list_id"), r.PathValue("email")); err != nil {
			sandbox.WriteJSON(w, 404, map[string]string{"error": err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	e.srv.HandleAdmin("GET /_sandbox/state", func(w http.ResponseWriter, _ *http.Request) {
		e.mu.Lock()
		ids := append([]string(nil), e.order...)
		names := make([]string, len(ids))
		for i, id := range ids {
			names[i] = e.lists[id].name
		}
		e.mu.Unlock()
		lists := make([]any, len(ids))
		for i, id := range ids {
			lists[i] = map[string]any{"id": id, "name": names[i], "mergeFields": e.MergeFields(id), "members": e.Members(id)}
		}
		sandbox.WriteJSON(w, 200, map[string]any{"lists": lists})
	})
}
