package kibo

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// pageSize is Kibo's maximum for list endpoints.
const pageSize = 200

// maxRestarts bounds how often in a row a scan starts over without
// progress because the listing changed under it; past that the run fails
// and the next one resumes from its cursor.
const maxRestarts = 20

type collection[T any] struct {
	TotalCount int `json:"totalCount"`
	Items      []T `json:"items"`
}

// listing describes one Kibo collection scanned on auditInfo.updateDate.
type listing[T any] struct {
	op   string
	path string
	// keyOf gives an item's position; ok is false when its date is unreadable.
	keyOf func(*T) (at time.Time, id string, ok bool)
}

// filterDate formats a watermark as Kibo's filters take it.
func filterDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") + "z" }

// scan delivers, page by page and in (updateDate, id) order, the items
// after from and at or before upper. Pages are fetched concurrently by
// offset, which is only sound while the listing holds still: upper keeps
// new changes out, and an item updated during the scan leaves the window,
// which shifts later offsets and shows as a smaller totalCount. When the
// count moves, the pages fetched after the move are dropped and the scan
// starts over from the last delivered item (keyset), so nothing is skipped.
func scan[T any](ctx context.Context, s *Source, l listing[T], from key, upper time.Time,
	deliver func(items []T, last key) error) error {
	cur := from
	for stalls := 0; ; {
		before := cur
		done, err := scanPass(ctx, s, l, &cur, upper, deliver)
		if err != nil || done {
			return err
		}
		if cur == before {
			stalls++ // a pass that delivered nothing before the listing moved
		} else {
			stalls = 0
		}
		if stalls > maxRestarts {
			return &connectors.Error{Kind: connectors.KindTransient, Provider: provider, Op: l.op,
				Message: "the listing kept changing while it was read; the next run resumes from the cursor"}
		}
	}
}

// scanPass is one offset-paged pass from *cur; done is false when the
// listing moved and a new pass must start from the updated *cur.
func scanPass[T any](ctx context.Context, s *Source, l listing[T], cur *key, upper time.Time,
	deliver func(items []T, last key) error) (done bool, err error) {
	filter := "auditInfo.updateDate le " + filterDate(upper)
	if !cur.At.IsZero() {
		// Whole seconds with ge: the items before *cur in that second are
		// dropped here, whatever precision Kibo compares with.
		filter = "auditInfo.updateDate ge " + filterDate(cur.At.Truncate(time.Second)) + " and " + filter
	}
	fetch := func(ctx context.Context, start int) (collection[T], error) {
		q := url.Values{"startIndex": {fmt.Sprint(start)}, "pageSize": {fmt.Sprint(pageSize)},
			"sortBy": {"auditInfo.updateDate asc,id asc"}, "filter": {filter}}
		var c collection[T]
		err := s.call(ctx, l.op, "GET", s.apiBase+l.path+"?"+q.Encode(), nil, true, &c)
		return c, err
	}
	emit := func(items []T) error {
		kept := items[:0:0]
		last := *cur
		for i := range items {
			at, id, ok := l.keyOf(&items[i])
			if !ok {
				kept = append(kept, items[i]) // delivered; the cursor moves on its neighbours
				continue
			}
			if at.After(upper) || !last.after(at, id) {
				continue
			}
			kept = append(kept, items[i])
			last = key{At: at, ID: id}
		}
		if len(kept) == 0 {
			return nil
		}
		if err := deliver(kept, last); err != nil {
			return err
		}
		*cur = last
		return nil
	}

	first, err := fetch(ctx, 0)
	if err != nil {
		return false, err
	}
	total := first.TotalCount
	if err := emit(first.Items); err != nil {
		return false, err
	}
	pages := (total + pageSize - 1) / pageSize
	if pages <= 1 {
		return true, nil
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		c   collection[T]
		err error
	}
	results := make([]chan result, pages)
	next := 1
	for i := 1; i < pages; i++ {
		// Keep up to s.concurrency pages in flight ahead of delivery.
		for ; next < pages && next < i+s.concurrency; next++ {
			ch := make(chan result, 1)
			results[next] = ch
			go func(start int) {
				c, err := fetch(ctx, start)
				ch <- result{c, err}
			}(next * pageSize)
		}
		r := <-results[i]
		if r.err != nil {
			return false, r.err
		}
		if r.c.TotalCount != total {
			s.cfg.Log.V(1).Info("kibo listing changed during a scan; resuming from the last item", "op", l.op)
			return false, nil
		}
		if err := emit(r.c.Items); err != nil {
			return false, err
		}
	}
	return true, nil
}
