package constantcontacttest

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
)

const maxBody = 16 << 20

func (e *Emulator) routes() {
	e.api.HandleFunc("GET "+AuthorizePath, e.handleAuthorize)
	e.api.HandleFunc("POST "+TokenPath, e.handleToken)
	h := func(pattern string, f http.HandlerFunc) { e.api.HandleFunc(pattern, e.guard(f)) }
	h("GET /v3/contact_lists", e.getLists)
	h("POST /v3/contact_lists", e.postList)
	h("GET /v3/contact_lists/{id}", e.getList)
	h("GET /v3/contacts", e.getContacts)
	h("POST /v3/contacts", e.postContact)
	h("GET /v3/contacts/{id}", e.getContact)
	h("PUT /v3/contacts/{id}", e.putContact)
	h("DELETE /v3/contacts/{id}", e.deleteContact)
	h("POST /v3/contacts/sign_up_form", e.signUpForm)
	h("PUT /v3/contacts/resubscribe/{id}", e.resubscribe)
	h("GET /v3/contact_custom_fields", e.getFields)
	h("POST /v3/contact_custom_fields", e.postField)
	h("GET /v3/contact_tags", e.getTags)
	h("POST /v3/contact_tags", e.postTag)
	h("POST /v3/activities/contacts_json_import", e.importJSON)
	h("POST /v3/activities/add_list_memberships", e.membershipActivity(true))
	h("POST /v3/activities/remove_list_memberships", e.membershipActivity(false))
	h("POST /v3/activities/contacts_taggings_add", e.taggingActivity)
	h("GET /v3/activities/{id}", e.getActivity)
	e.api.HandleFunc("/v3/", e.guard(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "The requested resource was not found.")
	}))
}

// guard serialises API handlers, completes due bulk activities, checks
// auth and limits, and refuses bodies that are not JSON (415).
func (e *Emulator) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.advance()
		if !e.authorize(w, r) {
			return
		}
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if mt != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, "http.media_type.not_supported",
					"Unsupported Media Type; the payload must be in JSON format, and Content-Type must be application/json")
				return
			}
		}
		next(w, r)
	}
}

// decode reads a JSON body into v, answering 400 when it is malformed.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, keyValidation, "Bad request. Either the JSON was malformed or there was a data validation error.")
		return false
	}
	return true
}

// includes parses the include query parameter.
func includes(r *http.Request) map[string]bool {
	out := map[string]bool{}
	for _, s := range strings.Split(r.URL.Query().Get("include"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out[s] = true
		}
	}
	return out
}
