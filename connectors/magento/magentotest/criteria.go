package magentotest

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// criteria is a parsed searchCriteria: filter groups (OR within a group,
// AND across groups), sort orders and paging, as Magento's REST layer reads
// them from the query string in snake_case or camelCase.
type criteria struct {
	Groups   [][]filter
	Sorts    []sortOrder
	PageSize int // 0: not given (everything)
	Page     int // 0: not given (1)
}

type filter struct {
	Field, Value, Cond string
}

type sortOrder struct {
	Field string
	Desc  bool
}

var (
	groupKey = regexp.MustCompile(`^searchCriteria\[(?:filter_groups|filterGroups)\]\[(\d+)\]\[filters\]\[(\d+)\]\[(field|value|condition_type|conditionType)\]$`)
	sortKey  = regexp.MustCompile(`^searchCriteria\[(?:sort_orders|sortOrders)\]\[(\d+)\]\[(field|direction)\]$`)
)

var conditions = map[string]bool{"eq": true, "neq": true, "gt": true, "gteq": true, "lt": true, "lteq": true, "moreq": true,
	"in": true, "nin": true, "like": true, "nlike": true, "null": true, "notnull": true, "from": true, "to": true,
	"finset": true, "nfinset": true}

// parseCriteria reads searchCriteria from a query string. Errors carry
// Magento's message and parameters.
func parseCriteria(q url.Values) (criteria, *apiError) {
	var c criteria
	groups := map[int]map[int]*filter{}
	sorts := map[int]*sortOrder{}
	for key, vals := range q {
		v := vals[0]
		if m := groupKey.FindStringSubmatch(key); m != nil {
			gi, _ := strconv.Atoi(m[1])
			fi, _ := strconv.Atoi(m[2])
			if gi > 100 || fi > 100 {
				return c, badRequest("%fieldName is out of range.", map[string]any{"fieldName": key})
			}
			if groups[gi] == nil {
				groups[gi] = map[int]*filter{}
			}
			f := groups[gi][fi]
			if f == nil {
				f = &filter{Cond: "eq"}
				groups[gi][fi] = f
			}
			switch m[3] {
			case "field":
				f.Field = v
			case "value":
				f.Value = v
			default:
				f.Cond = strings.ToLower(v)
			}
			continue
		}
		if m := sortKey.FindStringSubmatch(key); m != nil {
			i, _ := strconv.Atoi(m[1])
			s := sorts[i]
			if s == nil {
				s = &sortOrder{}
				sorts[i] = s
			}
			if m[2] == "field" {
				s.Field = v
			} else {
				s.Desc = strings.EqualFold(v, "DESC")
			}
			continue
		}
		var err error
		switch key {
		case "searchCriteria[pageSize]", "searchCriteria[page_size]":
			c.PageSize, err = strconv.Atoi(v)
		case "searchCriteria[currentPage]", "searchCriteria[current_page]":
			c.Page, err = strconv.Atoi(v)
		}
		if err != nil || c.PageSize < 0 || c.Page < 0 {
			return c, badRequest("The \"%1\" value's type is invalid. The \"%2\" type was expected. Verify and try again.",
				[]any{v, "int"})
		}
	}
	for _, gi := range sortedKeys(groups) {
		var g []filter
		for _, fi := range sortedKeys(groups[gi]) {
			f := groups[gi][fi]
			if f.Field == "" {
				return c, badRequest("\"%fieldName\" is required. Enter and try again.", map[string]any{"fieldName": "field"})
			}
			if !conditions[f.Cond] {
				return c, badRequest("Invalid condition type: %1", []any{f.Cond})
			}
			g = append(g, *f)
		}
		c.Groups = append(c.Groups, g)
	}
	for _, i := range sortedKeys(sorts) {
		if sorts[i].Field != "" {
			c.Sorts = append(c.Sorts, *sorts[i])
		}
	}
	return c, nil
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// echo is the search_criteria object of a search result.
func (c criteria) echo(pageSize, page int) map[string]any {
	groups := make([]map[string]any, 0, len(c.Groups))
	for _, g := range c.Groups {
		fs := make([]map[string]string, 0, len(g))
		for _, f := range g {
			fs = append(fs, map[string]string{"field": f.Field, "value": f.Value, "condition_type": f.Cond})
		}
		groups = append(groups, map[string]any{"filters": fs})
	}
	out := map[string]any{"filter_groups": groups}
	if len(c.Sorts) > 0 {
		so := make([]map[string]string, 0, len(c.Sorts))
		for _, s := range c.Sorts {
			dir := "ASC"
			if s.Desc {
				dir = "DESC"
			}
			so = append(so, map[string]string{"field": s.Field, "direction": dir})
		}
		out["sort_orders"] = so
	}
	if pageSize > 0 {
		out["page_size"] = pageSize
	}
	if page > 0 {
		out["current_page"] = page
	}
	return out
}

// row is a searchable record: it reports a field's value as text, whether
// the field is numeric, and whether the record has that field at all.
type row interface {
	id() int64
	field(name string) (value string, numeric, ok bool)
}

// matches evaluates every group (AND) of filters (OR) against r. Strings
// compare case-insensitively, as MySQL's default collation does.
func (c criteria) matches(r row) (bool, *apiError) {
	for _, g := range c.Groups {
		any := false
		for _, f := range g {
			ok, err := f.matches(r)
			if err != nil {
				return false, err
			}
			if ok {
				any = true
				break
			}
		}
		if !any {
			return false, nil
		}
	}
	return true, nil
}

func (f filter) matches(r row) (bool, *apiError) {
	v, numeric, ok := r.field(f.Field)
	if !ok {
		return false, badRequest("Invalid attribute name: %1", []any{f.Field})
	}
	switch f.Cond {
	case "null":
		return v == "", nil
	case "notnull":
		return v != "", nil
	case "in", "nin":
		found := false
		for _, item := range strings.Split(f.Value, ",") {
			if compare(v, strings.TrimSpace(item), numeric) == 0 {
				found = true
				break
			}
		}
		return found == (f.Cond == "in"), nil
	case "finset", "nfinset":
		found := false
		for _, item := range strings.Split(v, ",") {
			if strings.EqualFold(item, f.Value) {
				found = true
			}
		}
		return found == (f.Cond == "finset"), nil
	case "like", "nlike":
		re := "(?is)^" + strings.ReplaceAll(regexp.QuoteMeta(f.Value), "%", ".*") + "$"
		ok := regexp.MustCompile(re).MatchString(v)
		return ok == (f.Cond == "like"), nil
	}
	if v == "" { // SQL: comparisons with NULL are never true
		return false, nil
	}
	cmp := compare(v, f.Value, numeric)
	switch f.Cond {
	case "eq":
		return cmp == 0, nil
	case "neq":
		return cmp != 0, nil
	case "gt":
		return cmp > 0, nil
	case "gteq", "moreq", "from":
		return cmp >= 0, nil
	case "lt":
		return cmp < 0, nil
	case "lteq", "to":
		return cmp <= 0, nil
	}
	return false, badRequest("Invalid condition type: %1", []any{f.Cond})
}

func compare(a, b string, numeric bool) int {
	if numeric {
		x, err1 := strconv.ParseFloat(a, 64)
		y, err2 := strconv.ParseFloat(b, 64)
		if err1 == nil && err2 == nil {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// less orders two rows by the sort orders, then by ID (MySQL returns ties
// in primary-key order for these tables).
func (c criteria) less(a, b row) bool {
	for _, s := range c.Sorts {
		if s.Field == "entity_id" || s.Field == "id" {
			if a.id() != b.id() {
				return (a.id() < b.id()) != s.Desc
			}
			continue
		}
		av, num, _ := a.field(s.Field)
		bv, _, _ := b.field(s.Field)
		if cmp := compare(av, bv, num); cmp != 0 {
			return (cmp < 0) != s.Desc
		}
	}
	return a.id() < b.id()
}

// String is used in error messages and logs.
func (f filter) String() string { return fmt.Sprintf("%s %s %q", f.Field, f.Cond, f.Value) }
