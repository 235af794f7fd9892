package constantcontact

import (
	"context"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// job is one write on its way, with what the target knew of the contact.
type job struct {
	i      int
	w      connectors.Write
	known  *entry
	custom map[string]string // custom field ID → value
	tagIDs []string
	addIDs []string // AddGroups as list IDs
}

// plan sorts a batch by the API path each write takes.
type plan struct {
	unsubs  []*job
	creates []*job                 // new contacts with a permission imports cannot set
	puts    []*job                 // updates of contacts in no list: GET and PUT
	imports map[string]*importPlan // by the set of lists they go to
	removes map[string]*removePlan // RemoveGroups by the set of lists
	tagged  []*job
}

type importPlan struct {
	listIDs []string
	jobs    []*job
}

type removePlan struct {
	listIDs    []string
	contactIDs []string
	jobs       []*job
}

// Upsert applies at most MaxBatch writes. Creates and updates go through
// contacts_json_import, which never changes an existing contact's
// permission and never adds an unsubscribed contact to a list, so no path
// here can re-subscribe anyone; sign_up_form, which would, is never used.
func (t *Target) Upsert(ctx context.Context, writes []connectors.Write) ([]connectors.Result, error) {
	if len(writes) > DefaultLimits.MaxBatch {
		return nil, invalid("upsert", "a batch holds at most 5000 writes")
	}
	info, _, err := t.ready(ctx)
	if err != nil {
		return nil, err
	}
	b := &batch{t: t, main: info.ID, results: make([]connectors.Result, len(writes)), done: make([]bool, len(writes)),
		start: now()}
	p, err := b.plan(ctx, writes)
	if err != nil {
		return nil, err
	}
	if err := b.run(ctx, p); err != nil {
		return nil, err
	}
	return b.results, nil
}

// batch carries one Upsert's results.
type batch struct {
	t       *Target
	main    string
	results []connectors.Result
	done    []bool
	start   time.Time
	// removals line up with the remove_list_memberships activities.
	removals []removal
}

func (b *batch) set(j *job, o connectors.Outcome, id, msg string) {
	b.results[j.i] = connectors.Result{Email: j.w.Email, Outcome: o, ID: id, Message: msg}
	b.done[j.i] = true
}

// plan validates each write and picks its path; names of groups, custom
// fields and tags are resolved (created when missing) on the way.
func (b *batch) plan(ctx context.Context, writes []connectors.Write) (*plan, error) {
	t := b.t
	t.resolveMu.Lock()
	defer t.resolveMu.Unlock()
	p := &plan{imports: map[string]*importPlan{}, removes: map[string]*removePlan{}}
	for i, w := range writes {
		w.Email = connectors.NormalizeEmail(w.Email)
		j := &job{i: i, w: w}
		b.results[i] = connectors.Result{Email: w.Email}
		if msg := checkEmail(w.Email); msg != "" {
			b.set(j, connectors.OutcomeInvalidEmail, "", msg)
			continue
		}
		t.mu.Lock()
		if e := t.idx.get(w.Email); e != nil {
			cp := *e
			j.known = &cp
		}
		t.mu.Unlock()
		if j.known != nil && j.known.deleted && j.known.status != connectors.MemberOptedOut {
			j.known = nil // a deleted contact is added again like a new one
		}
		optedOut := j.known != nil && j.known.status == connectors.MemberOptedOut
		switch {
		case w.Unsubscribe && optedOut:
			b.set(j, connectors.OutcomeUnsubscribed, j.known.id, "")
			continue
		case optedOut:
			// Consent first: an opted-out contact is left alone.
			b.set(j, connectors.OutcomeOptedOut, j.known.id, "")
			continue
		}
		if err := b.resolve(ctx, j); err != nil {
			return nil, err
		}
		if w.Unsubscribe {
			p.unsubs = append(p.unsubs, j)
			continue
		}
		if len(j.tagIDs) > 0 {
			p.tagged = append(p.tagged, j)
		}
		if err := b.planRemovals(ctx, p, j); err != nil {
			return nil, err
		}
		if j.known == nil && permissionOf(w.Permission) != "implicit" {
			p.creates = append(p.creates, j)
			continue
		}
		b.planImport(p, j)
	}
	return p, nil
}

// resolve turns a write's names into IDs.
func (b *batch) resolve(ctx context.Context, j *job) error {
	var err error
	if j.addIDs, err = b.t.groupIDs(ctx, j.w.AddGroups); err != nil {
		return err
	}
	if len(j.w.Custom) > 0 {
		j.custom = make(map[string]string, len(j.w.Custom))
		for k, v := range j.w.Custom {
			id, err := b.t.fieldID(ctx, k)
			if err != nil {
				return err
			}
			j.custom[id] = v
		}
	}
	for _, name := range j.w.Tags {
		id, err := b.t.tagID(ctx, name)
		if err != nil {
			return err
		}
		j.tagIDs = append(j.tagIDs, id)
	}
	return nil
}

// planImport picks the lists of a write's import: the main list for new
// contacts, AddToList and members; otherwise a list the contact is already
// in, so an update reaches it where it is without moving it to our list.
func (b *batch) planImport(p *plan, j *job) {
	var lists []string
	switch k := j.known; {
	case k == nil || j.w.Create || j.w.AddToList || k.inList(b.main):
		lists = append(lists, b.main)
	case len(k.lists) > 0:
		lists = append(lists, k.lists[0])
	case len(j.addIDs) == 0:
		p.puts = append(p.puts, j) // in no list at all: imports need one
		return
	}
	for _, id := range j.addIDs {
		if !slices.Contains(lists, id) {
			lists = append(lists, id)
		}
	}
	sort.Strings(lists)
	key := strings.Join(lists, ",")
	ip := p.imports[key]
	if ip == nil {
		ip = &importPlan{listIDs: lists}
		p.imports[key] = ip
	}
	ip.jobs = append(ip.jobs, j)
}

// planRemovals queues RemoveGroups for contacts that exist; a new contact
// is in no group yet.
func (b *batch) planRemovals(ctx context.Context, p *plan, j *job) error {
	if len(j.w.RemoveGroups) == 0 || j.known == nil {
		return nil
	}
	var ids []string
	b.t.mu.Lock()
	for _, name := range j.w.RemoveGroups {
		if id := b.t.cat.listID[strings.ToLower(name)]; id != "" && id != b.main {
			ids = append(ids, id)
		}
	}
	b.t.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	cid := j.w.ID
	if cid == "" {
		cid = j.known.id
	}
	if cid == "" { // imported earlier in this run: its ID is not known yet
		if err := b.t.lookupOne(ctx, j.w.Email); err != nil {
			return err
		}
		b.t.mu.Lock()
		if e := b.t.idx.get(j.w.Email); e != nil {
			cid = e.id
		}
		b.t.mu.Unlock()
	}
	if cid == "" {
		return nil
	}
	sort.Strings(ids)
	key := strings.Join(ids, ",")
	rp := p.removes[key]
	if rp == nil {
		rp = &removePlan{listIDs: ids}
		p.removes[key] = rp
	}
	rp.contactIDs = append(rp.contactIDs, cid)
	rp.jobs = append(rp.jobs, j)
	return nil
}

// permissionOf maps the neutral permission to permission_to_send (DESIGN §3).
func permissionOf(p connectors.Permission) string {
	switch p {
	case connectors.PermissionExplicit:
		return "explicit"
	case connectors.PermissionNotSet:
		return "not_set"
	case connectors.PermissionPending:
		return "pending_confirmation"
	}
	return "implicit"
}

// checkEmail applies the syntax the API accepts; it returns why not, or "".
func checkEmail(email string) string {
	a, err := mail.ParseAddress(email)
	at := strings.LastIndexByte(email, '@')
	switch {
	case email == "":
		return "the email address is empty"
	case err != nil || a.Address != email || at < 1 || !strings.Contains(email[at+1:], ".") || strings.HasSuffix(email, "."):
		return "the email address is not valid"
	case len(email) > 50:
		return "the email address is longer than the 50 characters Constant Contact imports accept"
	}
	return ""
}
