package magentotest

import (
	"sort"
	"strconv"
	"strings"
)

// table stores rows by ID, in (updated_at, id) order for incremental
// queries, and by lower-cased value of a few fields for "in"/"eq" lookups,
// so that searches over 100,000 customers or a million orders do not scan
// everything on every page.
type table[T row] struct {
	byID    map[int64]T
	sorted  []T // by (updated_at, id)
	indexed []string
	index   map[string]map[string]map[int64]struct{}
}

func newTable[T row](indexed ...string) *table[T] {
	t := &table[T]{byID: map[int64]T{}, indexed: indexed, index: map[string]map[string]map[int64]struct{}{}}
	for _, f := range indexed {
		t.index[f] = map[string]map[int64]struct{}{}
	}
	return t
}

func updatedKey(r row) string { v, _, _ := r.field("updated_at"); return v }

// pos is where r sits (or would sit) in t.sorted.
func (t *table[T]) pos(updated string, id int64) int {
	return sort.Search(len(t.sorted), func(i int) bool {
		u := updatedKey(t.sorted[i])
		return u > updated || u == updated && t.sorted[i].id() >= id
	})
}

// put inserts or replaces a row.
func (t *table[T]) put(r T) {
	t.remove(r.id())
	i := t.pos(updatedKey(r), r.id())
	var zero T
	t.sorted = append(t.sorted, zero)
	copy(t.sorted[i+1:], t.sorted[i:])
	t.sorted[i] = r
	t.indexRow(r)
}

// load adds new rows in bulk (generated data): one sort instead of an
// insertion per row.
func (t *table[T]) load(rows []T) {
	for _, r := range rows {
		t.remove(r.id())
		t.indexRow(r)
	}
	t.sorted = append(t.sorted, rows...)
	sort.Slice(t.sorted, func(i, j int) bool {
		a, b := updatedKey(t.sorted[i]), updatedKey(t.sorted[j])
		return a < b || a == b && t.sorted[i].id() < t.sorted[j].id()
	})
}

func (t *table[T]) indexRow(r T) {
	t.byID[r.id()] = r
	for _, f := range t.indexed {
		if v, _, _ := r.field(f); v != "" {
			k := strings.ToLower(v)
			if t.index[f][k] == nil {
				t.index[f][k] = map[int64]struct{}{}
			}
			t.index[f][k][r.id()] = struct{}{}
		}
	}
}

func (t *table[T]) remove(id int64) {
	old, ok := t.byID[id]
	if !ok {
		return
	}
	delete(t.byID, id)
	if i := t.pos(updatedKey(old), id); i < len(t.sorted) && t.sorted[i].id() == id {
		t.sorted = append(t.sorted[:i], t.sorted[i+1:]...)
	}
	for _, f := range t.indexed {
		if v, _, _ := old.field(f); v != "" {
			delete(t.index[f][strings.ToLower(v)], id)
		}
	}
}

// search returns every row matching c, in c's order.
func (t *table[T]) search(c criteria) ([]T, *apiError) {
	candidates, ordered := t.candidates(c)
	var out []T
	for _, r := range candidates {
		ok, err := c.matches(r)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	if !ordered || !naturalOrder(c.Sorts) {
		sort.SliceStable(out, func(i, j int) bool { return c.less(out[i], out[j]) })
	}
	return out, nil
}

// candidates narrows the rows to check: through an index when one filter
// group only looks up indexed fields by value, from the first row at or
// after a lower bound on updated_at, or else all rows. ordered reports
// whether they come in (updated_at, id) order.
func (t *table[T]) candidates(c criteria) ([]T, bool) {
	for _, g := range c.Groups {
		if ids, ok := t.lookup(g); ok {
			out := make([]T, 0, len(ids))
			for id := range ids {
				out = append(out, t.byID[id])
			}
			return out, false
		}
	}
	for _, g := range c.Groups {
		if len(g) == 1 && g[0].Field == "updated_at" {
			switch g[0].Cond {
			case "gt", "gteq", "moreq", "from":
				return t.sorted[t.pos(g[0].Value, 0):], true
			}
		}
	}
	return t.sorted, true
}

func (t *table[T]) lookup(g []filter) (map[int64]struct{}, bool) {
	ids := map[int64]struct{}{}
	for _, f := range g {
		if f.Cond != "eq" && f.Cond != "in" {
			return nil, false
		}
		values := []string{f.Value}
		if f.Cond == "in" {
			values = strings.Split(f.Value, ",")
		}
		idx, indexed := t.index[f.Field]
		if !indexed && f.Field != "entity_id" && f.Field != "id" {
			return nil, false
		}
		for _, v := range values {
			v = strings.ToLower(strings.TrimSpace(v))
			if !indexed { // the primary key
				if id, err := strconv.ParseInt(v, 10, 64); err == nil {
					if _, ok := t.byID[id]; ok {
						ids[id] = struct{}{}
					}
				}
				continue
			}
			for id := range idx[v] {
				ids[id] = struct{}{}
			}
		}
	}
	return ids, true
}

func naturalOrder(s []sortOrder) bool {
	if len(s) == 0 || len(s) > 2 || s[0].Field != "updated_at" || s[0].Desc {
		return false
	}
	return len(s) == 1 || (s[1].Field == "entity_id" || s[1].Field == "id") && !s[1].Desc
}
