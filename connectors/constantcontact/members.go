package constantcontact

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/contactsync/contactsync/connectors"
)

// removal is one remove_list_memberships activity and its writes.
type removal struct {
	plan *removePlan
	from int // the plan's contacts [from, to)
	to   int
}

// submitRemovals queues remove_list_memberships activities, 500 contacts
// each, for the groups contacts left.
func (b *batch) submitRemovals(ctx context.Context, p *plan) ([]*activityJSON, error) {
	keys := make([]string, 0, len(p.removes))
	for k := range p.removes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var acts []*activityJSON
	for _, k := range keys {
		rp := p.removes[k]
		for from := 0; from < len(rp.contactIDs); from += idsPerActivity {
			to := min(from+idsPerActivity, len(rp.contactIDs))
			body := map[string]any{"source": map[string]any{"contact_ids": rp.contactIDs[from:to]}, "list_ids": rp.listIDs}
			act, err := b.t.submit(ctx, "remove list memberships", "/activities/remove_list_memberships", body)
			if err != nil {
				return nil, err
			}
			acts = append(acts, act)
			b.removals = append(b.removals, removal{plan: rp, from: from, to: to})
		}
	}
	return acts, nil
}

// removalResults fails the writes whose removal activity did not complete
// and drops the memberships from the snapshot for the others.
func (b *batch) removalResults(p *plan, acts []*activityJSON) {
	for i, act := range acts {
		r := b.removals[i]
		for k, j := range r.plan.jobs[r.from:r.to] {
			if act.State != "completed" {
				b.set(j, connectors.OutcomeFailed, b.results[j.i].ID, "removing the contact from its old lists ended "+act.State)
				continue
			}
			if !b.done[j.i] { // only a removal was asked
				b.set(j, connectors.OutcomeUpdated, r.plan.contactIDs[r.from+k], "")
			}
			b.t.mu.Lock()
			if e := b.t.idx.get(j.w.Email); e != nil {
				e.lists = slices.DeleteFunc(slices.Clone(e.lists), func(id string) bool { return slices.Contains(r.plan.listIDs, id) })
			}
			b.t.mu.Unlock()
		}
	}
}

// tag adds the ContactSync's tags with contacts_taggings_add, 500 contacts
// per activity, grouped by tag set. Contacts created by POST carried
// their tags already.
func (b *batch) tag(ctx context.Context, p *plan) error {
	groups := map[string][]string{}
	members := map[string][]*job{}
	for _, j := range p.tagged {
		r := b.results[j.i]
		if len(j.tagIDs) == 0 || (r.Outcome != connectors.OutcomeCreated && r.Outcome != connectors.OutcomeUpdated) {
			continue
		}
		id := r.ID
		if id == "" {
			b.t.mu.Lock()
			if e := b.t.idx.get(j.w.Email); e != nil {
				id = e.id
			}
			b.t.mu.Unlock()
		}
		if id == "" {
			continue
		}
		ids := slices.Sorted(slices.Values(j.tagIDs))
		key := strings.Join(ids, ",")
		groups[key] = append(groups[key], id)
		members[key] = append(members[key], j)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var acts []*activityJSON
	var spans [][]*job
	for _, k := range keys {
		cids := groups[k]
		for from := 0; from < len(cids); from += idsPerActivity {
			to := min(from+idsPerActivity, len(cids))
			body := map[string]any{"source": map[string]any{"contact_ids": cids[from:to]}, "tag_ids": strings.Split(k, ",")}
			act, err := b.t.submit(ctx, "tag contacts", "/activities/contacts_taggings_add", body)
			if err != nil {
				return err
			}
			acts = append(acts, act)
			spans = append(spans, members[k][from:to])
		}
	}
	if err := b.t.await(ctx, acts); err != nil {
		return err
	}
	for i, act := range acts {
		for _, j := range spans[i] {
			if act.State != "completed" {
				b.set(j, connectors.OutcomeFailed, b.results[j.i].ID, "tagging the contact ended "+act.State)
				continue
			}
			b.t.mu.Lock()
			if e := b.t.idx.get(j.w.Email); e != nil {
				e.tags = append(slices.Clone(e.tags), j.tagIDs...)
			}
			b.t.mu.Unlock()
		}
	}
	return nil
}
