package constantcontacttest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/contactsync/contactsync/internal/sandbox"
)

type listJSON struct {
	ListID          string `json:"list_id"`
	Name            string `json:"name"`
	Description     string `json:"description,omitempty"`
	Favorite        bool   `json:"favorite"`
	CreatedAt       string `json:"created_at"`
	UpdatedAt       string `json:"updated_at"`
	DeletedAt       string `json:"deleted_at,omitempty"`
	MembershipCount *int   `json:"membership_count,omitempty"`
}

// renderList counts members when asked (include_membership_count=all|active).
func (e *Emulator) renderList(l *list, count string) listJSON {
	out := listJSON{ListID: l.id, Name: l.name, Description: l.description, Favorite: l.favorite,
		CreatedAt: ts(l.created), UpdatedAt: ts(l.updated), DeletedAt: tsp(l.deleted)}
	if count == "all" || count == "active" {
		n := 0
		for _, c := range e.order {
			if c.deleted == nil && (count == "all" || c.permission != PermUnsubscribe) && slices.Contains(c.lists, l.id) {
				n++
			}
		}
		out.MembershipCount = &n
	}
	return out
}

// createList adds a list; callers hold e.mu and checked the name is free.
func (e *Emulator) createList(name, description string, favorite bool) *list {
	now := e.now()
	l := &list{id: newID(), name: name, description: description, favorite: favorite, created: now, updated: now}
	e.lists[l.id] = l
	e.listOrder = append(e.listOrder, l.id)
	return l
}

func (e *Emulator) listByName(name string) *list {
	for _, id := range e.listOrder {
		if l := e.lists[id]; l.deleted == nil && strings.EqualFold(l.name, name) {
			return l
		}
	}
	return nil
}

func (e *Emulator) getLists(w http.ResponseWriter, r *http.Request) {
	q, limit, offset, ok := pageQuery(w, r, 1000)
	if !ok {
		return
	}
	status := q.Get("status")
	var matched []*list
	for _, id := range e.listOrder {
		l := e.lists[id]
		switch {
		case status != "all" && status != "deleted" && l.deleted != nil,
			status == "deleted" && l.deleted == nil,
			q.Get("name") != "" && l.name != q.Get("name"):
			continue
		}
		matched = append(matched, l)
	}
	page := []listJSON{}
	for i := offset; i < len(matched) && i < offset+limit; i++ {
		page = append(page, e.renderList(matched[i], q.Get("include_membership_count")))
	}
	body := map[string]any{"lists": page, "_links": nextLink("/v3/contact_lists", q, offset, limit, len(matched))}
	if q.Get("include_count") == "true" {
		body["lists_count"] = len(matched)
	}
	sandbox.WriteJSON(w, http.StatusOK, body)
}

func (e *Emulator) getList(w http.ResponseWriter, r *http.Request) {
	l := e.lists[r.PathValue("id")]
	if l == nil {
		writeError(w, http.StatusNotFound, "contact_lists.api.not_found", "The requested resource was not found.")
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, e.renderList(l, r.URL.Query().Get("include_membership_count")))
}

func (e *Emulator) postList(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name        string `json:"name"`
		Favorite    bool   `json:"favorite"`
		Description string `json:"description"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Name == "" || len([]rune(in.Name)) > 255 {
		writeError(w, http.StatusBadRequest, keyValidation, "name is required and at most 255 characters")
		return
	}
	if e.listByName(in.Name) != nil {
		writeError(w, http.StatusConflict, keyConflict, msgConflict)
		return
	}
	sandbox.WriteJSON(w, http.StatusCreated, e.renderList(e.createList(in.Name, in.Description, in.Favorite), ""))
}
