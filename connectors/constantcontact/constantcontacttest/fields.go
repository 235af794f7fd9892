package constantcontacttest

import (
	"net/http"
	"strings"

	"github.com/contactsync/contactsync/internal/sandbox"
)

const maxCustomFields = 100

type fieldJSON struct {
	CustomFieldID string `json:"custom_field_id"`
	Label         string `json:"label"`
	Name          string `json:"name"`
	Type          string `json:"type"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
}

type tagJSON struct {
	TagID     string `json:"tag_id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// fieldName derives a custom field's name from its label; the vendor's
// exact rule is not documented, so clients should match either.
func fieldName(label string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(label)), " ", "_")
}

func (e *Emulator) fieldByName(name string) *customField {
	for _, id := range e.fieldOrder {
		if f := e.fields[id]; f.name == name {
			return f
		}
	}
	return nil
}

// createField adds a custom field; callers hold e.mu.
func (e *Emulator) createField(label, typ string) *customField {
	now := e.now()
	f := &customField{id: newID(), label: label, name: fieldName(label), typ: typ, created: now, updated: now}
	e.fields[f.id] = f
	e.fieldOrder = append(e.fieldOrder, f.id)
	return f
}

func (f *customField) render() fieldJSON {
	return fieldJSON{CustomFieldID: f.id, Label: f.label, Name: f.name, Type: f.typ, CreatedAt: ts(f.created), UpdatedAt: ts(f.updated)}
}

func (e *Emulator) getFields(w http.ResponseWriter, r *http.Request) {
	q, limit, offset, ok := pageQuery(w, r, 100)
	if !ok {
		return
	}
	page := []fieldJSON{}
	for i := offset; i < len(e.fieldOrder) && i < offset+limit; i++ {
		page = append(page, e.fields[e.fieldOrder[i]].render())
	}
	sandbox.WriteJSON(w, http.StatusOK, map[string]any{"custom_fields": page,
		"_links": nextLink("/v3/contact_custom_fields", q, offset, limit, len(e.fieldOrder))})
}

func (e *Emulator) postField(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Label string `json:"label"`
		Type  string `json:"type"`
	}
	if !decode(w, r, &in) {
		return
	}
	switch {
	case in.Label == "" || len([]rune(in.Label)) > 50 || in.Type == "" || len(in.Type) > 20:
		writeError(w, http.StatusBadRequest, keyValidation, "label (at most 50 characters) and type (at most 20) are required")
	case e.fieldByName(fieldName(in.Label)) != nil:
		writeError(w, http.StatusConflict, keyConflict, msgConflict)
	case len(e.fields) >= maxCustomFields:
		writeError(w, http.StatusConflict, keyConflict, "The account already has the maximum of 100 custom fields.")
	default:
		sandbox.WriteJSON(w, http.StatusCreated, e.createField(in.Label, in.Type).render())
	}
}

func (e *Emulator) tagByName(name string) *tag {
	for _, id := range e.tagOrder {
		if t := e.tags[id]; strings.EqualFold(t.name, name) {
			return t
		}
	}
	return nil
}

func (e *Emulator) createTag(name string) *tag {
	now := e.now()
	t := &tag{id: newID(), name: name, created: now, updated: now}
	e.tags[t.id] = t
	e.tagOrder = append(e.tagOrder, t.id)
	return t
}

func (t *tag) render() tagJSON {
	return tagJSON{TagID: t.id, Name: t.name, CreatedAt: ts(t.created), UpdatedAt: ts(t.updated)}
}

func (e *Emulator) getTags(w http.ResponseWriter, r *http.Request) {
	q, limit, offset, ok := pageQuery(w, r, 500)
	if !ok {
		return
	}
	page := []tagJSON{}
	for i := offset; i < len(e.tagOrder) && i < offset+limit; i++ {
		page = append(page, e.tags[e.tagOrder[i]].render())
	}
	sandbox.WriteJSON(w, http.StatusOK, map[string]any{"tags": page,
		"_links": nextLink("/v3/contact_tags", q, offset, limit, len(e.tagOrder))})
}

func (e *Emulator) postTag(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if !decode(w, r, &in) {
		return
	}
	switch {
	case in.Name == "" || len([]rune(in.Name)) > 255:
		writeError(w, http.StatusBadRequest, keyValidation, "name is required and at most 255 characters")
	case e.tagByName(in.Name) != nil:
		writeError(w, http.StatusConflict, keyConflict, msgConflict)
	default:
		sandbox.WriteJSON(w, http.StatusCreated, e.createTag(in.Name).render())
	}
}
