package constantcontact

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// Import limits: under 4 MB (the API silently drops what is past it) and
// at most 40,000 contacts per activity. The margin leaves room for the
// envelope and list IDs.
const (
	importBytes    = 4_000_000 - 16_384
	importContacts = 40000
	idsPerActivity = 500 // contact_ids per membership or tagging activity
)

// chunk is one import activity and the writes it carries, in order.
type chunk struct {
	act   *activityJSON
	jobs  []*job
	lists []string
}

// run executes a plan: single-contact calls first, then every bulk
// activity submitted together and polled together.
func (b *batch) run(ctx context.Context, p *plan) error {
	for _, j := range p.unsubs {
		if err := b.unsubscribe(ctx, j); err != nil {
			return err
		}
	}
	for _, j := range p.creates {
		if err := b.create(ctx, p, j); err != nil {
			return err
		}
	}
	for _, j := range p.puts {
		if err := b.update(ctx, j); err != nil {
			return err
		}
	}
	var chunks []*chunk
	var acts []*activityJSON
	for _, ip := range sortedImports(p.imports) {
		cs, err := b.submitImports(ctx, ip)
		if err != nil {
			return err
		}
		for _, c := range cs {
			chunks = append(chunks, c)
			acts = append(acts, c.act)
		}
	}
	removals, err := b.submitRemovals(ctx, p)
	if err != nil {
		return err
	}
	if err := b.t.await(ctx, append(slices.Clone(acts), removals...)); err != nil {
		return err
	}
	needListing := false
	for _, c := range chunks {
		needListing = b.importResults(c) || needListing
	}
	b.removalResults(p, removals)
	for _, j := range p.tagged {
		if b.done[j.i] && b.results[j.i].ID == "" && b.results[j.i].Outcome != connectors.OutcomeFailed {
			needListing = true // new by import: its ID is needed to tag it
		}
	}
	if needListing {
		if err := b.verify(ctx, chunks); err != nil {
			return err
		}
	}
	return b.tag(ctx, p)
}

func sortedImports(m map[string]*importPlan) []*importPlan {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]*importPlan, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// importRow is one import_data entry: only the columns with a value, so an
// import never blanks what the source does not know.
func (b *batch) importRow(j *job) map[string]string {
	w := j.w
	row := map[string]string{"email": w.Email}
	for _, c := range []struct {
		col, v string
		max    int
	}{{"first_name", w.FirstName, maxName}, {"last_name", w.LastName, maxName}, {"company_name", w.Company, maxName},
		{"phone", w.Phone, maxAddrCol}, {"street", w.Address.Street, maxStreet}, {"city", w.Address.City, maxAddrCol},
		{"state", w.Address.Region, maxAddrCol}, {"zip", w.Address.PostalCode, maxAddrCol},
		{"country", w.Address.Country, maxAddrCol}} {
		if c.v != "" {
			row[c.col] = cut(c.v, c.max)
		}
	}
	b.t.mu.Lock()
	for id, v := range j.custom {
		row["cf:"+b.t.cat.fieldName[id]] = cut(v, 255)
	}
	b.t.mu.Unlock()
	return row
}

// submitImports sends one plan's writes in as few activities as the 4 MB
// and 40,000-contact limits allow.
func (b *batch) submitImports(ctx context.Context, ip *importPlan) ([]*chunk, error) {
	var out []*chunk
	var rows []json.RawMessage
	var jobs []*job
	size := 0
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		body := struct {
			ImportData []json.RawMessage `json:"import_data"`
			ListIDs    []string          `json:"list_ids"`
		}{rows, ip.listIDs}
		act, err := b.t.submit(ctx, "import contacts", "/activities/contacts_json_import", body)
		if err != nil {
			return err
		}
		out = append(out, &chunk{act: act, jobs: jobs, lists: ip.listIDs})
		rows, jobs, size = nil, nil, 0
		return nil
	}
	for _, j := range ip.jobs {
		raw, err := json.Marshal(b.importRow(j))
		if err != nil {
			return nil, err
		}
		if size+len(raw)+1 > importBytes || len(rows) == importContacts {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		rows, jobs = append(rows, raw), append(jobs, j)
		size += len(raw) + 1
	}
	return out, flush()
}

var lineRe = regexp.MustCompile(`(?i)\b(?:line|row)\s*:?\s*(\d+)`)

// importResults turns a finished import into results. Errors name the row
// ("Line 3: ...") or the address; anything the activity reports that
// cannot be tied to a contact asks for a verification read (true).
func (b *batch) importResults(c *chunk) bool {
	if c.act.State != "completed" {
		msg := "the import activity ended " + c.act.State
		if errs := c.act.errorTexts(); len(errs) > 0 {
			msg += ": " + maskEmails(strings.Join(errs, "; "))
		}
		for _, j := range c.jobs {
			b.set(j, connectors.OutcomeFailed, "", msg)
		}
		return false
	}
	failed := map[*job]string{}
	unattributed := 0
	for _, text := range c.act.errorTexts() {
		if j := attribute(text, c.jobs); j != nil {
			failed[j] = maskEmails(text)
		} else {
			unattributed++
		}
	}
	unattributed += max(c.act.Status.ErrorCount-len(c.act.errorTexts()), 0)
	for _, j := range c.jobs {
		if msg, ok := failed[j]; ok {
			b.set(j, outcomeOf(msg), "", msg)
			continue
		}
		b.imported(j, c)
	}
	return unattributed > 0 || c.act.Status.CannotAdd > 0
}

// attribute finds the write an activity error is about.
func attribute(text string, jobs []*job) *job {
	if m := lineRe.FindStringSubmatch(text); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n >= 1 && n <= len(jobs) {
			return jobs[n-1]
		}
	}
	lower := strings.ToLower(text)
	for _, j := range jobs {
		if strings.Contains(lower, j.w.Email) {
			return j
		}
	}
	return nil
}

// imported records a write the import took, and what the contact now is.
func (b *batch) imported(j *job, c *chunk) {
	b.t.mu.Lock()
	defer b.t.mu.Unlock()
	e := j.known
	outcome := connectors.OutcomeUpdated
	if e == nil {
		e = &entry{email: j.w.Email, status: connectors.MemberSubscribed} // imports create implicit
		outcome = connectors.OutcomeCreated
	}
	e.first, e.last, e.company = pick(j.w.FirstName, e.first, maxName), pick(j.w.LastName, e.last, maxName), pick(j.w.Company, e.company, maxName)
	e.phone = pick(j.w.Phone, e.phone, maxAddrCol)
	if !j.w.Address.IsZero() {
		e.addr = j.w.Address
	}
	for id, v := range j.custom {
		if e.custom == nil {
			e.custom = map[string]string{}
		}
		e.custom[id] = v
	}
	for _, id := range c.lists {
		if !slices.Contains(e.lists, id) {
			e.lists = append(slices.Clone(e.lists), id)
		}
	}
	e.deleted = false
	b.t.index().put(e)
	b.set(j, outcome, e.id, "")
}

// verify reads the contacts updated since the batch began: it ties the
// import outcomes the activity did not name to contacts (imported or not,
// refused as unsubscribed) and learns the IDs of new contacts.
func (b *batch) verify(ctx context.Context, chunks []*chunk) error {
	seen := map[string]*entry{}
	q := url.Values{"status": {"all"}, "limit": {pageSize}, "include": {includeAll},
		"updated_after": {b.start.Add(-refreshOverlap).UTC().Format(time.RFC3339)}}
	err := paginate(ctx, b.t.api, "verify import", "/contacts", q, func(p *contactsPage) error {
		b.t.mu.Lock()
		defer b.t.mu.Unlock()
		for i := range p.Contacts {
			e := entryOf(&p.Contacts[i])
			b.t.index().put(e)
			seen[e.email] = e
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range chunks {
		if c.act.State != "completed" {
			continue
		}
		for _, j := range c.jobs {
			r := &b.results[j.i]
			if r.Outcome != connectors.OutcomeCreated && r.Outcome != connectors.OutcomeUpdated {
				continue
			}
			e := seen[j.w.Email]
			switch {
			case e == nil:
				r.Outcome, r.ID = connectors.OutcomeFailed, ""
				r.Message = fmt.Sprintf("not imported: the import activity reported %d errors without naming the contacts", c.act.Status.ErrorCount)
			case e.status == connectors.MemberOptedOut && !slices.Contains(e.lists, b.main):
				r.Outcome, r.ID = connectors.OutcomeOptedOut, e.id
			default:
				r.ID = e.id
			}
		}
	}
	return nil
}

// outcomeOf tells an invalid address from other refusals.
func outcomeOf(msg string) connectors.Outcome {
	if strings.Contains(strings.ToLower(msg), "email") {
		return connectors.OutcomeInvalidEmail
	}
	return connectors.OutcomeFailed
}

// remember puts what the API answered into the snapshot.
func (b *batch) remember(e *entry) {
	b.t.mu.Lock()
	defer b.t.mu.Unlock()
	b.t.index().put(e)
}
