package mailchimp

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/contactsync/contactsync/connectors"
)

// Lookup strategy. Mailchimp has no "members by emails" query: the choices
// are one GET per subscriber hash, or paging through the whole audience
// (1000 members a call, fields trimmed to what the engine needs). search-
// members takes one query at a time, and /batches is asynchronous. So:
//   - when paging the audience costs no more calls than this lookup's
//     GETs would, the audience is loaded once into a snapshot that serves
//     every later Lookup (a first sync of N contacts into an audience of M
//     costs ceil(M/1000) calls in all, not one per contact);
//   - otherwise (a few changed contacts, a big audience) one GET per email,
//     concurrently.
//
// The snapshot is correct for consent whatever happens after it is taken:
// Upsert never sends a subscribing status to an existing member
// (status_if_new is ignored for them), so a stale "absent" or "subscribed"
// cannot re-subscribe anyone. Our own writes update it; it expires after
// snapshotTTL so other changes are seen again, and it is dropped past
// maxSnapshot members so memory stays bounded.
const (
	pageSize    = 1000
	snapshotTTL = 5 * time.Minute
	maxSnapshot = 200_000
)

// memberFields are the member fields Lookup reads.
const memberFields = "id,email_address,status,merge_fields,tags"

// memberDoc is a member as the API returns it.
type memberDoc struct {
	ID          string         `json:"id"`
	Email       string         `json:"email_address"`
	Status      string         `json:"status"`
	MergeFields map[string]any `json:"merge_fields"`
	Tags        []struct {
		Name string `json:"name"`
	} `json:"tags"`
}

type snapshot struct {
	taken   time.Time
	members map[string]connectors.TargetContact // by normalised email
}

// sizeHint remembers the audience size seen last, to choose a strategy
// without asking again.
type sizeHint struct {
	total int
	at    time.Time
}

func (t *Target) toContact(fm *fieldMap, m memberDoc) connectors.TargetContact {
	status, in := memberStatus(m.Status)
	tc := connectors.TargetContact{ID: m.ID, Email: connectors.NormalizeEmail(m.Email), Status: status, InList: in}
	if tc.ID == "" {
		tc.ID = subscriberHash(m.Email)
	}
	fm.contact(&tc, m.MergeFields)
	for _, tag := range m.Tags {
		tc.Groups = append(tc.Groups, tag.Name)
	}
	return tc
}

// Lookup returns what the audience holds of these (normalised) emails.
func (t *Target) Lookup(ctx context.Context, emails []string) (map[string]connectors.TargetContact, error) {
	out := make(map[string]connectors.TargetContact, len(emails))
	if len(emails) == 0 {
		return out, nil
	}
	listID, err := t.listID(ctx)
	if err != nil {
		return nil, err
	}
	fm, err := t.mergeFields(ctx, listID)
	if err != nil {
		return nil, err
	}
	snap, err := t.snapshotFor(ctx, listID, fm, len(emails))
	if err != nil {
		return nil, err
	}
	if snap != nil {
		t.mu.Lock()
		for _, e := range emails {
			if tc, ok := snap.members[connectors.NormalizeEmail(e)]; ok {
				out[connectors.NormalizeEmail(e)] = tc
			}
		}
		t.mu.Unlock()
		return out, nil
	}
	return out, t.getEach(ctx, listID, fm, emails, out)
}

// snapshotFor returns a fresh snapshot, loading one when paging the
// audience costs no more calls than k GETs; nil when GETs are cheaper.
func (t *Target) snapshotFor(ctx context.Context, listID string, fm *fieldMap, k int) (*snapshot, error) {
	now := t.now()
	t.mu.Lock()
	snap, size := t.snap, t.size
	t.mu.Unlock()
	if snap != nil && now.Sub(snap.taken) < snapshotTTL {
		return snap, nil
	}
	if !size.at.IsZero() && now.Sub(size.at) < snapshotTTL && !worthPaging(size.total, k) {
		return nil, nil
	}
	// Concurrent batches share one load.
	v, err, _ := t.loads.Do("snapshot", func() (any, error) { return t.loadSnapshot(ctx, listID, fm, k, now) })
	snap, _ = v.(*snapshot)
	return snap, err
}

// loadSnapshot pages through the audience when that is worth it.
func (t *Target) loadSnapshot(ctx context.Context, listID string, fm *fieldMap, k int, now time.Time) (*snapshot, error) {
	t.mu.Lock()
	snap := t.snap
	t.mu.Unlock()
	if snap != nil && now.Sub(snap.taken) < snapshotTTL {
		return snap, nil
	}
	first, total, err := t.membersPage(ctx, listID, 0)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.size = sizeHint{total, now}
	t.mu.Unlock()
	if !worthPaging(total, k) {
		return nil, nil
	}
	pages := make([][]memberDoc, (total+pageSize-1)/pageSize)
	if len(pages) > 0 {
		pages[0] = first
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limits.Concurrency)
	for i := 1; i < len(pages); i++ {
		g.Go(func() error {
			var err error
			pages[i], _, err = t.membersPage(gctx, listID, i*pageSize)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	snap = &snapshot{taken: now, members: make(map[string]connectors.TargetContact, total)}
	for _, p := range pages {
		for _, m := range p {
			tc := t.toContact(fm, m)
			snap.members[tc.Email] = tc
		}
	}
	t.mu.Lock()
	t.snap = snap
	t.mu.Unlock()
	return snap, nil
}

// worthPaging: the whole audience (total members) costs no more calls than
// k GETs, and fits in memory.
func worthPaging(total, k int) bool {
	return total <= maxSnapshot && (total+pageSize-1)/pageSize <= max(k, 1)
}

func (t *Target) membersPage(ctx context.Context, listID string, offset int) ([]memberDoc, int, error) {
	q := url.Values{"count": {strconv.Itoa(pageSize)}, "offset": {strconv.Itoa(offset)},
		"fields": {"total_items,members." + strings.ReplaceAll(memberFields, ",", ",members.")}}
	var page struct {
		Members    []memberDoc `json:"members"`
		TotalItems int         `json:"total_items"`
	}
	err := t.call(ctx, "list audience members", "GET", "/lists/"+listID+"/members?"+q.Encode(), nil, &page)
	return page.Members, page.TotalItems, err
}

// getEach reads members one GET each, concurrently; 404 means absent.
func (t *Target) getEach(ctx context.Context, listID string, fm *fieldMap, emails []string, out map[string]connectors.TargetContact) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limits.Concurrency)
	for _, e := range emails {
		g.Go(func() error {
			var m memberDoc
			err := t.call(gctx, "get member", "GET", fmt.Sprintf("/lists/%s/members/%s?fields=%s", listID, subscriberHash(e), memberFields), nil, &m)
			if connectors.KindOf(err) == connectors.KindNotFound {
				return nil
			}
			if err != nil {
				return err
			}
			tc := t.toContact(fm, m)
			mu.Lock()
			out[connectors.NormalizeEmail(e)] = tc
			mu.Unlock()
			return nil
		})
	}
	return g.Wait()
}

// remember records members we just wrote in the snapshot, if there is one;
// past maxSnapshot it is dropped.
func (t *Target) remember(tcs []connectors.TargetContact) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.snap == nil {
		return
	}
	for _, tc := range tcs {
		t.snap.members[tc.Email] = tc
	}
	if len(t.snap.members) > maxSnapshot {
		t.snap = nil
	}
}
