package constantcontacttest

import (
	"net/http"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

const maxQueuedActivities = 1000

// activity is an asynchronous bulk job. It is applied when it completes, so
// clients must poll it, as with the real API.
type activity struct {
	id      string
	created time.Time
	done    time.Time
	applied bool
	apply   func(a *activity)
	// Results, set by apply.
	errors    []string
	items     int
	persons   int
	errCount  int
	cannotAdd int
	listCount int
	completed int
	isImport  bool
}

type activityStatus struct {
	ItemsTotalCount      int  `json:"items_total_count"`
	ItemsCompletedCount  *int `json:"items_completed_count,omitempty"`
	PersonCount          *int `json:"person_count,omitempty"`
	ErrorCount           *int `json:"error_count,omitempty"`
	CorrectableCount     *int `json:"correctable_count,omitempty"`
	CannotAddToListCount *int `json:"cannot_add_to_list_count,omitempty"`
	ListCount            *int `json:"list_count,omitempty"`
}

type activityJSON struct {
	ActivityID     string         `json:"activity_id"`
	State          string         `json:"state"`
	CreatedAt      string         `json:"created_at"`
	UpdatedAt      string         `json:"updated_at"`
	StartedAt      string         `json:"started_at,omitempty"`
	CompletedAt    string         `json:"completed_at,omitempty"`
	PercentDone    int            `json:"percent_done"`
	ActivityErrors []string       `json:"activity_errors"`
	Status         activityStatus `json:"status"`
	Links          map[string]any `json:"_links"`
}

// queue registers an activity of n items; callers hold e.mu. It refuses
// with the documented 429 when 1,000 activities are already queued.
func (e *Emulator) queue(w http.ResponseWriter, n int, isImport bool, apply func(a *activity)) {
	queued := 0
	for _, a := range e.activities {
		if !a.applied {
			queued++
		}
	}
	if queued >= maxQueuedActivities {
		writeError(w, http.StatusTooManyRequests, "throttled",
			"Too many requests. You exceeded 1,000 queued activities for this user account.")
		return
	}
	now := e.now()
	a := &activity{id: newID(), created: now, done: now.Add(e.opts.ActivityDuration(n)), apply: apply, items: n, isImport: isImport}
	e.activities[a.id] = a
	e.actOrder = append(e.actOrder, a.id)
	sandbox.WriteJSON(w, http.StatusCreated, e.renderActivity(a))
}

// advance applies every activity whose time has come, in creation order;
// callers hold e.mu.
func (e *Emulator) advance() {
	now := e.now()
	for _, id := range e.actOrder {
		if a := e.activities[id]; !a.applied && !now.Before(a.done) {
			a.apply(a)
			a.applied = true
		}
	}
}

func (e *Emulator) renderActivity(a *activity) activityJSON {
	now := e.now()
	out := activityJSON{ActivityID: a.id, CreatedAt: ts(a.created), UpdatedAt: ts(a.created),
		ActivityErrors: append([]string{}, a.errors...), Status: activityStatus{ItemsTotalCount: a.items},
		Links: map[string]any{"self": map[string]string{"href": "/v3/activities/" + a.id}}}
	total := a.done.Sub(a.created)
	switch elapsed := now.Sub(a.created); {
	case a.applied:
		out.State, out.PercentDone = "completed", 100
		out.StartedAt, out.CompletedAt, out.UpdatedAt = ts(a.created), ts(a.done), ts(a.done)
	case elapsed < total/5:
		out.State = "initialized"
	default:
		out.State, out.StartedAt, out.UpdatedAt = "processing", ts(a.created), ts(now)
		if total > 0 { // a zero-length activity is applied on the next request
			out.PercentDone = int(min(100*elapsed/total, 99))
		}
	}
	ptr := func(n int) *int { return &n }
	if a.isImport {
		out.Status.PersonCount, out.Status.ErrorCount = ptr(a.persons), ptr(a.errCount)
		out.Status.CorrectableCount, out.Status.CannotAddToListCount = ptr(0), ptr(a.cannotAdd)
	} else {
		out.Status.ItemsCompletedCount, out.Status.ListCount = ptr(a.completed), ptr(a.listCount)
	}
	return out
}

func (e *Emulator) getActivity(w http.ResponseWriter, r *http.Request) {
	a := e.activities[r.PathValue("id")]
	if a == nil {
		writeError(w, http.StatusNotFound, "activities.api.not_found", "Resource not found for the activity_id provided")
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, e.renderActivity(a))
}

// activitySource is the source of list-membership and tagging activities.
type activitySource struct {
	ContactIDs        []string `json:"contact_ids"`
	ListIDs           []string `json:"list_ids"`
	AllActiveContacts bool     `json:"all_active_contacts"`
}

// contactsOf resolves a source to contacts that are not deleted, or gives
// the validation message.
func (e *Emulator) contactsOf(s activitySource) ([]*contact, string) {
	set := 0
	for _, b := range []bool{len(s.ContactIDs) > 0, len(s.ListIDs) > 0, s.AllActiveContacts} {
		if b {
			set++
		}
	}
	switch {
	case set != 1:
		return nil, "source must have exactly one of contact_ids, list_ids, all_active_contacts"
	case len(s.ContactIDs) > 500:
		return nil, "source.contact_ids accepts at most 500 contact ids"
	case len(s.ListIDs) > 50:
		return nil, "source.list_ids accepts at most 50 list ids"
	}
	var out []*contact
	for _, id := range s.ContactIDs {
		if c := e.contacts[id]; c != nil && c.deleted == nil {
			out = append(out, c)
		}
	}
	for _, c := range e.order {
		if c.deleted == nil && (s.AllActiveContacts || len(s.ListIDs) > 0 && containsAny(c.lists, s.ListIDs)) {
			out = append(out, c)
		}
	}
	return out, ""
}

func containsAny(have, want []string) bool {
	for _, w := range want {
		for _, h := range have {
			if h == w {
				return true
			}
		}
	}
	return false
}

// activityTargets checks the IDs of a bulk activity (1 to 50 that exist)
// and resolves its source to contacts, or answers 400 and returns false.
func (e *Emulator) activityTargets(w http.ResponseWriter, src activitySource, kind string, ids []string, exists func(string) bool) ([]*contact, bool) {
	if len(ids) < 1 || len(ids) > 50 {
		writeError(w, http.StatusBadRequest, keyValidation, kind+"_ids must hold 1 to 50 "+kind+" ids")
		return nil, false
	}
	for _, id := range ids {
		if !exists(id) {
			writeError(w, http.StatusBadRequest, keyValidation, kind+"_id "+id+" does not exist")
			return nil, false
		}
	}
	targets, msg := e.contactsOf(src)
	if msg != "" {
		writeError(w, http.StatusBadRequest, keyValidation, msg)
		return nil, false
	}
	return targets, true
}

// membershipActivity serves add_list_memberships (add) and
// remove_list_memberships. Unsubscribed contacts are never added.
func (e *Emulator) membershipActivity(add bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Source  activitySource `json:"source"`
			ListIDs []string       `json:"list_ids"`
		}
		if !decode(w, r, &in) {
			return
		}
		targets, ok := e.activityTargets(w, in.Source, "list", in.ListIDs, func(id string) bool { return e.lists[id] != nil })
		if !ok {
			return
		}
		e.queue(w, len(targets), false, func(a *activity) {
			a.listCount = len(in.ListIDs)
			for _, c := range targets {
				for _, id := range in.ListIDs {
					if add {
						c.addToList(id)
					} else {
						c.removeFromList(id)
					}
				}
				e.touch(c)
				a.completed++
			}
		})
	}
}

// taggingActivity serves contacts_taggings_add.
func (e *Emulator) taggingActivity(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Source activitySource `json:"source"`
		TagIDs []string       `json:"tag_ids"`
	}
	if !decode(w, r, &in) {
		return
	}
	targets, ok := e.activityTargets(w, in.Source, "tag", in.TagIDs, func(id string) bool { return e.tags[id] != nil })
	if !ok {
		return
	}
	e.queue(w, len(targets), false, func(a *activity) {
		for _, c := range targets {
			for _, id := range in.TagIDs {
				c.addTag(id)
			}
			e.touch(c)
			a.completed++
		}
	})
}
