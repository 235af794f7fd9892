package mailchimp

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/contactsync/contactsync/connectors"
)

// Tags. Mailchimp tags are static segments, and POST
// /lists/{id}/segments/{segment_id} adds and removes up to 500 members of
// one in a single call, so a batch of 500 writes costs one call per tag
// that changes, not one per member (POST …/members/{hash}/tags). A tag
// that does not exist yet is created together with its first members by
// POST /lists/{id}/segments.

type segmentDoc struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type segmentChange struct{ add, remove []string }

// applyTags applies Tags, AddGroups and RemoveGroups of the writes whose
// members exist, and returns per-email failures.
func (t *Target) applyTags(ctx context.Context, listID string, writes []connectors.Write, ok map[string]bool,
	written map[string]connectors.TargetContact) (map[string]string, error) {
	changes := map[string]*segmentChange{}
	change := func(name string) *segmentChange {
		key := strings.ToLower(name)
		if changes[key] == nil {
			changes[key] = &segmentChange{}
		}
		return changes[key]
	}
	names := map[string]string{}
	for _, w := range writes {
		email := connectors.NormalizeEmail(w.Email)
		if !ok[email] {
			continue
		}
		for _, n := range append(slices.Clone(w.Tags), w.AddGroups...) {
			c := change(n)
			names[strings.ToLower(n)] = n
			if !slices.Contains(c.add, email) {
				c.add = append(c.add, email)
			}
		}
		for _, n := range w.RemoveGroups {
			c := change(n)
			names[strings.ToLower(n)] = n
			if !slices.Contains(c.remove, email) {
				c.remove = append(c.remove, email)
			}
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	ids, err := t.segmentIDs(ctx, listID)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	failed := map[string]string{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limits.Concurrency)
	for key, c := range changes {
		name := names[key]
		g.Go(func() error {
			id, exists := ids[key]
			if !exists && len(c.add) == 0 {
				return nil // removing a tag nobody has
			}
			var errs map[string]string
			var err error
			if exists {
				errs, err = t.changeSegment(gctx, listID, id, name, c)
			} else {
				errs, err = t.createSegment(gctx, listID, name, c)
			}
			mu.Lock()
			defer mu.Unlock()
			for e, msg := range errs {
				failed[e] = msg
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// Keep the snapshot's view of tags in step.
	for email, tc := range written {
		for key, c := range changes {
			if _, bad := failed[email]; bad {
				continue
			}
			if slices.Contains(c.add, email) && !containsFold(tc.Groups, key) {
				tc.Groups = append(tc.Groups, names[key])
			}
			if slices.Contains(c.remove, email) {
				tc.Groups = slices.DeleteFunc(tc.Groups, func(g string) bool { return strings.EqualFold(g, key) })
			}
		}
		written[email] = tc
	}
	return failed, nil
}

func containsFold(ss []string, s string) bool {
	return slices.ContainsFunc(ss, func(x string) bool { return strings.EqualFold(x, s) })
}

// segmentIDs loads the audience's static segments (tags) once.
func (t *Target) segmentIDs(ctx context.Context, listID string) (map[string]int, error) {
	t.mu.Lock()
	ids := t.segments
	t.mu.Unlock()
	if ids != nil {
		return ids, nil
	}
	v, err, _ := t.loads.Do("segments", func() (any, error) { return t.loadSegments(ctx, listID) })
	if err != nil {
		return nil, err
	}
	return v.(map[string]int), nil
}

func (t *Target) loadSegments(ctx context.Context, listID string) (map[string]int, error) {
	ids := map[string]int{}
	for offset := 0; ; offset += 1000 {
		var page struct {
			Segments   []segmentDoc `json:"segments"`
			TotalItems int          `json:"total_items"`
		}
		q := url.Values{"type": {"static"}, "count": {"1000"}, "offset": {strconv.Itoa(offset)},
			"fields": {"segments.id,segments.name,total_items"}}
		if err := t.call(ctx, "list tags", "GET", "/lists/"+listID+"/segments?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		for _, s := range page.Segments {
			ids[strings.ToLower(s.Name)] = s.ID
		}
		if len(page.Segments) == 0 || offset+len(page.Segments) >= page.TotalItems {
			break
		}
	}
	t.mu.Lock()
	t.segments = ids
	t.mu.Unlock()
	return ids, nil
}

type segmentBatchResponse struct {
	Errors []struct {
		Emails []string `json:"email_addresses"`
		Error  string   `json:"error"`
	} `json:"errors"`
}

func (t *Target) changeSegment(ctx context.Context, listID string, id int, name string, c *segmentChange) (map[string]string, error) {
	var resp segmentBatchResponse
	body := map[string]any{"members_to_add": nonNil(c.add), "members_to_remove": nonNil(c.remove)}
	if err := t.call(ctx, "change tag "+name, "POST", fmt.Sprintf("/lists/%s/segments/%d", listID, id), body, &resp); err != nil {
		return nil, err
	}
	failed := map[string]string{}
	for _, e := range resp.Errors {
		for _, email := range e.Emails {
			failed[connectors.NormalizeEmail(email)] = "tag " + name + ": " + maskEmails(e.Error)
		}
	}
	return failed, nil
}

// createSegment creates a tag with its first members; removals need
// nothing, since nobody has a new tag.
func (t *Target) createSegment(ctx context.Context, listID, name string, c *segmentChange) (map[string]string, error) {
	t.segMu.Lock()
	defer t.segMu.Unlock()
	t.mu.Lock()
	id, exists := t.segments[strings.ToLower(name)]
	t.mu.Unlock()
	if exists {
		return t.changeSegment(ctx, listID, id, name, &segmentChange{add: c.add})
	}
	var s segmentDoc
	err := t.call(ctx, "create tag "+name, "POST", "/lists/"+listID+"/segments",
		map[string]any{"name": name, "static_segment": c.add}, &s)
	if connectors.KindOf(err) == connectors.KindInvalid {
		// Created meanwhile by another connection: reload and add.
		t.mu.Lock()
		t.segments = nil
		t.mu.Unlock()
		ids, lerr := t.segmentIDs(ctx, listID)
		if lerr != nil {
			return nil, lerr
		}
		if id, ok := ids[strings.ToLower(name)]; ok {
			return t.changeSegment(ctx, listID, id, name, &segmentChange{add: c.add})
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	segs := make(map[string]int, len(t.segments)+1)
	for k, v := range t.segments {
		segs[k] = v
	}
	segs[strings.ToLower(name)] = s.ID
	t.segments = segs
	t.mu.Unlock()
	return nil, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
