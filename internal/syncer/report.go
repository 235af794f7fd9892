package syncer

import (
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// Limits of what a report keeps, as status does.
const (
	maxErrors = 20
	maxPlan   = 20
)

// Per-contact error reasons (PascalCase, as status shows them).
const (
	ReasonInvalidEmail = "InvalidEmail"
	ReasonRejected     = "Rejected"
	ReasonNoResult     = "NoResult"
	ReasonSegmentRule  = "SegmentRule"
)

// Skipped counts contacts that were not written, by reason.
type Skipped struct {
	NoEmail              int64
	InvalidEmail         int64
	Inactive             int64
	NotSubscribed        int64
	UnsubscribedInTarget int64
	OverCap              int64
}

// APICalls counts the API requests of a run on each side.
type APICalls struct {
	Source int64
	Target int64
}

// ContactError is one per-contact error; Email is masked.
type ContactError struct {
	SourceID string
	Email    string
	Reason   string
	Message  string
	Time     time.Time
}

// PlannedChange is one sample change of a dry run; Email is masked.
type PlannedChange struct {
	// Action: Create, Update, Unsubscribe, AddToList or RemoveFromList.
	Action string
	Email  string
	Detail string
}

// Report is what a run did. Checkpoints carry the running report.
type Report struct {
	Fetched      int64
	Created      int64
	Updated      int64
	Unchanged    int64
	Unsubscribed int64
	Failed       int64
	Skipped      Skipped
	APICalls     APICalls
	Duration     time.Duration
	// Errors are the latest per-contact errors, oldest first.
	Errors []ContactError
	// Plan holds sample changes of a dry run.
	Plan []PlannedChange
	// ContactsSeen counts the distinct emails this run wrote or found
	// already up to date in the target.
	ContactsSeen int64
	// ContactsInTarget is how many contacts this sync keeps in the target,
	// as far as the engine knows: Params.ContactsInTarget plus the contacts
	// created, or the contacts seen for a run from the beginning.
	ContactsInTarget int64
	// Cursor resumes after the last checkpointed page (Params.Cursor when no
	// page was checkpointed, and always in a dry run).
	Cursor string
	// Full and DryRun echo the run's kind.
	Full   bool
	DryRun bool
}

// clone copies r so a checkpoint holds a snapshot.
func (r *Report) clone() Report {
	c := *r
	c.Errors = append([]ContactError(nil), r.Errors...)
	c.Plan = append([]PlannedChange(nil), r.Plan...)
	return c
}

func (r *Report) addError(e ContactError) {
	e.Email = connectors.MaskEmail(e.Email)
	if len(r.Errors) == maxErrors {
		copy(r.Errors, r.Errors[1:])
		r.Errors = r.Errors[:maxErrors-1]
	}
	r.Errors = append(r.Errors, e)
}

func (r *Report) addPlan(c PlannedChange) {
	if len(r.Plan) < maxPlan {
		c.Email = connectors.MaskEmail(c.Email)
		r.Plan = append(r.Plan, c)
	}
}

// add merges the counts of a batch into r.
func (r *Report) add(b *Report) {
	r.Created += b.Created
	r.Updated += b.Updated
	r.Unchanged += b.Unchanged
	r.Unsubscribed += b.Unsubscribed
	r.Failed += b.Failed
	r.Skipped.NoEmail += b.Skipped.NoEmail
	r.Skipped.InvalidEmail += b.Skipped.InvalidEmail
	r.Skipped.Inactive += b.Skipped.Inactive
	r.Skipped.NotSubscribed += b.Skipped.NotSubscribed
	r.Skipped.UnsubscribedInTarget += b.Skipped.UnsubscribedInTarget
	r.Skipped.OverCap += b.Skipped.OverCap
	for _, e := range b.Errors {
		r.addError(e)
	}
	for _, c := range b.Plan {
		if len(r.Plan) < maxPlan {
			r.Plan = append(r.Plan, c)
		}
	}
}
