package mailchimptest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// handler is an API route: it runs with the emulator locked and returns a
// status and body, or a problem.
type handler func(r *http.Request) (int, any, *problem)

// routes is the API: every route is authenticated, runs under the lock, and
// answers JSON or a problem document, then delivers any webhooks it caused.
func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h handler) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if p := e.authorize(r); p != nil {
				e.writeProblem(w, r, p)
				return
			}
			e.mu.Lock()
			status, body, p := h(r)
			out := e.takeOutbox()
			e.mu.Unlock()
			go e.deliver(out)
			switch {
			case p != nil:
				e.writeProblem(w, r, p)
			case body == nil:
				w.WriteHeader(status)
			default:
				writeJSON(w, status, applyFields(r, body))
			}
		})
	}
	api("GET /3.0/ping", func(*http.Request) (int, any, *problem) {
		return 200, map[string]any{"health_status": "Everything's Chimpy!"}, nil
	})
	api("GET /3.0/lists", e.getLists)
	api("POST /3.0/lists", e.postList)
	api("GET /3.0/lists/{list_id}", e.withList(e.getList))
	api("POST /3.0/lists/{list_id}", e.withList(e.batchSubscribe))
	api("GET /3.0/lists/{list_id}/members", e.withList(e.getMembers))
	api("POST /3.0/lists/{list_id}/members", e.withList(e.postMember))
	api("GET /3.0/lists/{list_id}/members/{hash}", e.withList(e.getMember))
	api("PUT /3.0/lists/{list_id}/members/{hash}", e.withList(e.putMember))
	api("PATCH /3.0/lists/{list_id}/members/{hash}", e.withList(e.patchMember))
	api("DELETE /3.0/lists/{list_id}/members/{hash}", e.withList(e.archiveMember))
	api("POST /3.0/lists/{list_id}/members/{hash}/actions/delete-permanent", e.withList(e.deletePermanent))
	api("GET /3.0/lists/{list_id}/members/{hash}/tags", e.withList(e.getMemberTags))
	api("POST /3.0/lists/{list_id}/members/{hash}/tags", e.withList(e.postMemberTags))
	api("GET /3.0/lists/{list_id}/merge-fields", e.withList(e.getMergeFields))
	api("POST /3.0/lists/{list_id}/merge-fields", e.withList(e.postMergeField))
	api("GET /3.0/lists/{list_id}/segments", e.withList(e.getSegments))
	api("POST /3.0/lists/{list_id}/segments", e.withList(e.postSegment))
	api("GET /3.0/lists/{list_id}/segments/{segment_id}", e.withList(e.getSegment))
	api("POST /3.0/lists/{list_id}/segments/{segment_id}", e.withList(e.batchSegment))
	api("GET /3.0/lists/{list_id}/webhooks", e.withList(e.getWebhooks))
	api("POST /3.0/lists/{list_id}/webhooks", e.withList(e.postWebhook))
	mux.HandleFunc("POST /oauth2/token", e.oauthToken)
	mux.HandleFunc("GET /oauth2/metadata", e.oauthMetadata)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			e.writeProblem(w, r, errNotFound())
			return
		}
		mux.ServeHTTP(w, r)
	})
}

type listHandler func(l *list, r *http.Request) (int, any, *problem)

func (e *Emulator) withList(h listHandler) handler {
	return func(r *http.Request) (int, any, *problem) {
		l := e.lists[r.PathValue("list_id")]
		if l == nil {
			return 0, nil, errNotFound()
		}
		return h(l, r)
	}
}

// routeKey groups request counts by route pattern ("PUT /3.0/lists/{id}/members/{id}").
func routeKey(r *http.Request) string {
	parts := strings.Split(r.URL.Path, "/")
	for i := 1; i < len(parts); i++ {
		switch parts[i-1] {
		case "lists", "members", "segments", "merge-fields", "webhooks":
			parts[i] = "{id}"
		}
	}
	return r.Method + " " + strings.Join(parts, "/")
}

// decode reads a JSON body; a malformed one is Mailchimp's JSON Parse Error.
func decode(r *http.Request, v any) *problem {
	b, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil || json.Unmarshal(b, v) != nil {
		return errJSON()
	}
	return nil
}

// paging reads count (default 10, at most 1000) and offset.
func paging(r *http.Request) (count, offset int, p *problem) {
	count, offset = 10, 0
	q := r.URL.Query()
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, errInvalid(fieldError{"count", "Please enter a number"})
		}
		if n > 1000 {
			return 0, 0, errBadRequest("The maximum count is 1000; use offset to page through results.")
		}
		count = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, errInvalid(fieldError{"offset", "Please enter a number"})
		}
		offset = n
	}
	return count, offset, nil
}

func page[T any](items []T, count, offset int) []T {
	if offset >= len(items) {
		return []T{}
	}
	return items[offset:min(offset+count, len(items))]
}

func boolParam(r *http.Request, name string) bool {
	v, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return v
}
