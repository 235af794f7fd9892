package constantcontact

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// Polling of bulk activities: the first poll after pollFirst, then 1.5×
// longer waits up to pollMax, for at most pollTotal.
var (
	pollFirst = 400 * time.Millisecond
	pollMax   = 5 * time.Second
	pollTotal = 30 * time.Minute
)

// activityJSON is a bulk activity as POST and GET /activities return it.
type activityJSON struct {
	ID     string            `json:"activity_id"`
	State  string            `json:"state"`
	Errors []json.RawMessage `json:"activity_errors"`
	Status struct {
		ItemsTotal     int `json:"items_total_count"`
		ItemsCompleted int `json:"items_completed_count"`
		Persons        int `json:"person_count"`
		ErrorCount     int `json:"error_count"`
		CannotAdd      int `json:"cannot_add_to_list_count"`
	} `json:"status"`
}

func (a *activityJSON) finished() bool {
	switch a.State {
	case "completed", "cancelled", "failed", "timed_out":
		return true
	}
	return false
}

// errorTexts reads activity_errors, which are strings or {message} objects.
func (a *activityJSON) errorTexts() []string {
	out := make([]string, 0, len(a.Errors))
	for _, raw := range a.Errors {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out = append(out, s)
			continue
		}
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &o) == nil && o.Message != "" {
			out = append(out, o.Message)
		}
	}
	return out
}

// submit POSTs an activity and returns it as created.
func (t *Target) submit(ctx context.Context, op, path string, body any) (*activityJSON, error) {
	var a activityJSON
	if _, err := t.api.call(ctx, op, http.MethodPost, path, nil, body, &a); err != nil {
		return nil, err
	}
	if a.ID == "" {
		return nil, &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: op,
			Message: "the API answered without an activity_id"}
	}
	return &a, nil
}

// await polls the activities until each has finished, replacing each
// element with its final state. Every poll is a counted API call.
func (t *Target) await(ctx context.Context, acts []*activityJSON) error {
	deadline := now().Add(pollTotal)
	delay := pollFirst
	for {
		pending := 0
		for _, a := range acts {
			if !a.finished() {
				pending++
			}
		}
		if pending == 0 {
			return nil
		}
		if now().After(deadline) {
			return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: "wait for bulk activity",
				Message: "a bulk activity did not finish within " + pollTotal.String()}
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		for _, a := range acts {
			if a.finished() {
				continue
			}
			var got activityJSON
			if _, err := t.api.call(ctx, "poll bulk activity", http.MethodGet, "/activities/"+url.PathEscape(a.ID), nil, nil, &got); err != nil {
				return err
			}
			*a = got
		}
		delay = min(delay*3/2, pollMax)
	}
}
