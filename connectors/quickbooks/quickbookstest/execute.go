package quickbookstest

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const lastUpdatedField = "MetaData.LastUpdatedTime"

// field returns the value of a queryable property of r: a string, float64,
// bool or time.Time. ok is false for properties the entity does not have.
func field(r record, name string) (v any, ok bool) {
	e := r.base()
	md := e.MetaData
	if md == nil {
		md = &MetaData{}
	}
	switch strings.ToLower(name) {
	case "id":
		return e.Id, true
	case "metadata.lastupdatedtime":
		return md.LastUpdatedTime.Time, true
	case "metadata.createtime":
		return md.CreateTime.Time, true
	}
	switch x := r.(type) {
	case *Customer:
		switch strings.ToLower(name) {
		case "active":
			return x.IsActive(), true
		case "displayname":
			return x.DisplayName, true
		case "givenname":
			return x.GivenName, true
		case "familyname":
			return x.FamilyName, true
		case "companyname":
			return x.CompanyName, true
		case "fullyqualifiedname":
			return x.FullyQualifiedName, true
		case "primaryemailaddr", "primaryemailaddr.address":
			if x.PrimaryEmailAddr == nil {
				return "", true
			}
			return x.PrimaryEmailAddr.Address, true
		case "job":
			return x.Job != nil && *x.Job, true
		}
	case *Transaction:
		switch strings.ToLower(name) {
		case "customerref", "customerref.value":
			if x.CustomerRef == nil {
				return "", true
			}
			return x.CustomerRef.Value, true
		case "txndate":
			return x.TxnDate, true
		case "totalamt":
			return x.TotalAmt, true
		case "docnumber":
			return x.DocNumber, true
		}
	}
	return nil, false
}

// compareLiteral compares a property value with a query literal.
func compareLiteral(name string, v any, lit string) (int, error) {
	switch x := v.(type) {
	case time.Time:
		t, err := parseTime(lit)
		if err != nil {
			return 0, qerr("%s: %q is not a dateTime", name, lit)
		}
		return x.Compare(t), nil
	case float64:
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return 0, qerr("%s: %q is not a number", name, lit)
		}
		return cmp.Compare(x, f), nil
	case bool:
		b, err := strconv.ParseBool(lit)
		if err != nil {
			return 0, qerr("%s: %q is not true or false", name, lit)
		}
		if x == b {
			return 0, nil
		}
		return 1, nil
	case string:
		if strings.EqualFold(name, "Id") || strings.HasPrefix(strings.ToLower(name), "customerref") {
			return compareIDs(x, lit), nil
		}
		return strings.Compare(x, lit), nil
	}
	return 0, qerr("%s cannot be compared", name)
}

func likePattern(lit string) *regexp.Regexp {
	parts := strings.Split(lit, "%")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("(?is)^" + strings.Join(parts, ".*") + "$")
}

// match reports whether r satisfies c.
func match(r record, c condition) (bool, error) {
	v, _ := field(r, c.field)
	if c.op == "LIKE" {
		s, ok := v.(string)
		if !ok {
			return false, qerr("LIKE needs a string property, not %s", c.field)
		}
		return likePattern(c.values[0]).MatchString(s), nil
	}
	if s, isString := v.(string); isString && c.op == "IN" {
		return c.set[s], nil
	}
	if c.op == "IN" {
		for _, lit := range c.values {
			n, err := compareLiteral(c.field, v, lit)
			if err != nil {
				return false, err
			}
			if n == 0 {
				return true, nil
			}
		}
		return false, nil
	}
	n, err := compareLiteral(c.field, v, c.values[0])
	if err != nil {
		return false, err
	}
	if _, isBool := v.(bool); isBool && c.op != "=" {
		return false, qerr("%s only supports = and IN", c.field)
	}
	switch c.op {
	case "=":
		return n == 0, nil
	case "<":
		return n < 0, nil
	case ">":
		return n > 0, nil
	case "<=":
		return n <= 0, nil
	default:
		return n >= 0, nil
	}
}

// run executes q and returns the page of rows and the total number of matches
// (counted in full only for count(*)).
func (s *store) run(q *query) ([]record, int, error) {
	t := s.table(q.entity)
	if t == nil {
		return nil, 0, qerr("Invalid context declaration : %s", q.entity)
	}
	var probe record = &Customer{}
	if q.entity != EntityCustomer {
		probe = &Transaction{}
	}
	hasActive := false
	for _, c := range q.where {
		if _, ok := field(probe, c.field); !ok {
			return nil, 0, qerr("property %s is not queryable on %s", c.field, q.entity)
		}
		hasActive = hasActive || strings.EqualFold(c.field, "Active")
	}
	if q.orderBy != "" {
		if _, ok := field(probe, q.orderBy); !ok {
			return nil, 0, qerr("cannot ORDERBY %s on %s", q.orderBy, q.entity)
		}
	}
	candidates, timeOrdered := s.candidates(t, q)
	byTime := strings.EqualFold(q.orderBy, lastUpdatedField) && !q.desc
	// Rows in time order that are asked for in time order can stop early.
	limit := -1
	if timeOrdered && byTime && !q.count {
		limit = q.start - 1 + q.maxResults
	}
	var rows []record
	for _, r := range candidates {
		if limit >= 0 && len(rows) >= limit {
			break
		}
		if r.base().Status == "Deleted" {
			continue
		}
		// Name lists return active rows only unless the query mentions Active.
		if c, isCustomer := r.(*Customer); isCustomer && !hasActive && !c.IsActive() {
			continue
		}
		ok := true
		for _, c := range q.where {
			m, err := match(r, c)
			if err != nil {
				return nil, 0, err
			}
			if !m {
				ok = false
				break
			}
		}
		if ok {
			rows = append(rows, r)
		}
	}
	if q.count {
		return nil, len(rows), nil
	}
	switch {
	case q.orderBy == "":
		slices.SortStableFunc(rows, func(a, b record) int { return compareIDs(a.base().Id, b.base().Id) })
	case !(timeOrdered && byTime):
		slices.SortStableFunc(rows, func(a, b record) int {
			va, _ := field(a, q.orderBy)
			vb, _ := field(b, q.orderBy)
			n := compareValues(va, vb)
			if n == 0 {
				n = compareIDs(a.base().Id, b.base().Id)
			}
			if q.desc {
				return -n
			}
			return n
		})
	}
	from := min(q.start-1, len(rows))
	to := min(from+q.maxResults, len(rows))
	return rows[from:to], len(rows), nil
}

func compareValues(a, b any) int {
	switch x := a.(type) {
	case time.Time:
		return x.Compare(b.(time.Time))
	case float64:
		return cmp.Compare(x, b.(float64))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case string:
		return strings.Compare(x, b.(string))
	}
	return 0
}

// candidates narrows the rows to scan with the indexes: by Id, by customer,
// or by last-updated time. timeOrdered tells whether they come oldest first.
func (s *store) candidates(t *table, q *query) (rows []record, timeOrdered bool) {
	for _, c := range q.where {
		if (c.op == "=" || c.op == "IN") && strings.EqualFold(c.field, "Id") {
			for _, id := range c.values {
				if r, ok := t.byID[id]; ok {
					rows = append(rows, r)
				}
			}
			return rows, false
		}
	}
	if idx, ok := s.byCustomer[q.entity]; ok {
		for _, c := range q.where {
			f := strings.ToLower(c.field)
			if (c.op == "=" || c.op == "IN") && (f == "customerref" || f == "customerref.value") {
				for _, id := range c.values {
					for _, tx := range idx[id] {
						rows = append(rows, tx)
					}
				}
				return rows, false
			}
		}
	}
	for _, c := range q.where {
		if !strings.EqualFold(c.field, lastUpdatedField) || (c.op != ">=" && c.op != ">") {
			continue
		}
		from, err := parseTime(c.values[0])
		if err != nil {
			break // match reports the bad literal
		}
		if c.op == ">" {
			return t.after(from), true
		}
		return t.since(from), true
	}
	return t.order, true
}
