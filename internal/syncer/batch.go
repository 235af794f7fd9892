package syncer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/contactsync/contactsync/connectors"
)

// planned is a write on its way, with what the run must undo if the target
// refuses it.
type planned struct {
	w        connectors.Write
	sourceID string
	admitted bool // the tally recorded the email for this write
}

// process looks up, decides and writes one batch. It runs in its own
// goroutine and touches only the batch, the tally and the counters.
func (r *run) process(ctx context.Context, items []item) batchResult {
	res := batchResult{items: items}
	known, err := r.lookup(ctx, items)
	if err != nil {
		res.err = err
		return res
	}
	var writes []planned
	for i := range items {
		c := &items[i].c
		var tc *connectors.TargetContact
		if k, ok := known[c.Email]; ok {
			tc = &k
		}
		w, v, errs := r.pol.decide(c, tc, r.now)
		for _, e := range errs {
			res.rep.addError(ContactError{SourceID: c.SourceID, Email: c.Email, Reason: ReasonSegmentRule,
				Message: e.Error(), Time: r.p.Now()})
		}
		switch v {
		case optedOutInTarget:
			res.rep.Skipped.UnsubscribedInTarget++
		case inactiveNew:
			res.rep.Skipped.Inactive++
		case notSubscribed:
			res.rep.Skipped.NotSubscribed++
		case unchanged:
			res.rep.Unchanged++
			r.tally.admit(c.Email, false)
		case write:
			ok, added := r.tally.admit(c.Email, w.Create)
			if !ok {
				res.rep.Skipped.OverCap++
				continue
			}
			writes = append(writes, planned{w: w, sourceID: c.SourceID, admitted: added})
		}
	}
	if len(writes) == 0 {
		return res
	}
	if r.pol.spec.DryRun {
		r.plan(&res.rep, writes)
		return res
	}
	res.err = r.upsert(ctx, &res.rep, writes)
	return res
}

// lookup asks the target what it knows of the batch's emails, in chunks of
// its MaxLookup.
func (r *run) lookup(ctx context.Context, items []item) (map[string]connectors.TargetContact, error) {
	known := make(map[string]connectors.TargetContact, len(items))
	emails := make([]string, len(items))
	for i := range items {
		emails[i] = items[i].c.Email
	}
	for start := 0; start < len(emails); start += r.lookupSize {
		chunk := emails[start:min(start+r.lookupSize, len(emails))]
		var got map[string]connectors.TargetContact
		err := r.call(ctx, fmt.Sprintf("target: look up %d contacts", len(chunk)), func(ctx context.Context) error {
			var err error
			got, err = r.p.Target.Lookup(ctx, chunk)
			return err
		})
		if err != nil {
			return nil, err
		}
		maps.Copy(known, got)
	}
	return known, nil
}

// upsert writes the batch and counts each contact's outcome. Only a
// batch-level error that survives the retries is returned.
func (r *run) upsert(ctx context.Context, rep *Report, writes []planned) error {
	ws := make([]connectors.Write, len(writes))
	for i := range writes {
		ws[i] = writes[i].w
	}
	var results []connectors.Result
	err := r.call(ctx, fmt.Sprintf("target: write %d contacts", len(ws)), func(ctx context.Context) error {
		var err error
		results, err = r.p.Target.Upsert(ctx, ws)
		return err
	})
	if err != nil {
		return err
	}
	byEmail := make(map[string]*connectors.Result, len(results))
	for i := range results {
		byEmail[connectors.NormalizeEmail(results[i].Email)] = &results[i]
	}
	for i := range writes {
		pw := &writes[i]
		res, ok := byEmail[pw.w.Email]
		if !ok {
			res = &connectors.Result{Outcome: connectors.OutcomeFailed, Message: "the target returned no result for this contact"}
		}
		r.count(rep, pw, res, ok)
	}
	return nil
}

func (r *run) count(rep *Report, pw *planned, res *connectors.Result, hadResult bool) {
	refused := func() {
		if pw.admitted {
			r.tally.forget(pw.w.Email, pw.w.Create)
		}
	}
	errorOf := func(reason string) ContactError {
		return ContactError{SourceID: pw.sourceID, Email: pw.w.Email, Reason: reason,
			Message: maskIn(res.Message, pw.w.Email), Time: r.p.Now()}
	}
	switch res.Outcome {
	case connectors.OutcomeCreated, connectors.OutcomeUpdated, connectors.OutcomeUnsubscribed:
		// A create that reads "updated" went through on an attempt whose
		// response was lost: the run still created it.
		if pw.w.Create {
			rep.Created++
		} else if pw.w.Unsubscribe {
			rep.Unsubscribed++
		} else {
			rep.Updated++
		}
	case connectors.OutcomeOptedOut:
		// The target refused to touch an opted-out contact (compliance
		// state): consent held, nothing failed.
		rep.Skipped.UnsubscribedInTarget++
		refused()
	case connectors.OutcomeInvalidEmail:
		rep.Skipped.InvalidEmail++
		rep.addError(errorOf(ReasonInvalidEmail))
		refused()
	default:
		rep.Failed++
		reason := ReasonRejected
		if !hadResult {
			reason = ReasonNoResult
		}
		rep.addError(errorOf(reason))
		refused()
	}
}

// plan records what a dry run would write.
func (r *run) plan(rep *Report, writes []planned) {
	for i := range writes {
		w := &writes[i].w
		action, detail := "Update", changedFields(w)
		switch {
		case w.Create:
			action, detail = "Create", "permission "+string(w.Permission)
			rep.Created++
		case w.Unsubscribe:
			action = "Unsubscribe"
			rep.Unsubscribed++
		case w.AddToList:
			action = "AddToList"
			rep.Updated++
		case len(w.RemoveGroups) > 0 && detail == "":
			action = "RemoveFromList"
			rep.Updated++
		default:
			rep.Updated++
		}
		if len(w.AddGroups) > 0 {
			detail = joinDetail(detail, "add to "+strings.Join(w.AddGroups, ", "))
		}
		if len(w.RemoveGroups) > 0 {
			detail = joinDetail(detail, "remove from "+strings.Join(w.RemoveGroups, ", "))
		}
		rep.addPlan(PlannedChange{Action: action, Email: w.Email, Detail: detail})
	}
}

// changedFields names the fields an update writes.
func changedFields(w *connectors.Write) string {
	var f []string
	for _, x := range []struct{ name, v string }{
		{"firstName", w.FirstName}, {"lastName", w.LastName}, {"company", w.Company}, {"phone", w.Phone},
	} {
		if x.v != "" {
			f = append(f, x.name)
		}
	}
	if !w.Address.IsZero() {
		f = append(f, "address")
	}
	for _, k := range slices.Sorted(maps.Keys(w.Custom)) {
		f = append(f, "custom:"+k)
	}
	if len(w.Tags) > 0 {
		f = append(f, "tags")
	}
	if len(f) == 0 {
		return ""
	}
	return "fields " + strings.Join(f, ", ")
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// maskIn hides email in a provider's message, which often quotes it.
func maskIn(msg, email string) string {
	if email == "" {
		return msg
	}
	return strings.ReplaceAll(msg, email, connectors.MaskEmail(email))
}

// call makes one target request under the shared limiter, counting it, with retries.
func (r *run) call(ctx context.Context, op string, f func(ctx context.Context) error) error {
	tctx := connectors.WithCallCounter(ctx, &r.tgtCalls)
	return r.retry.do(ctx, op, func() error {
		release, err := r.limiter.acquire(ctx)
		if err != nil {
			return err
		}
		defer release()
		return f(tctx)
	})
}
