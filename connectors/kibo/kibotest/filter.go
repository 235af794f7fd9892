package kibotest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kibo's list filter grammar ("Sorting and filtering" in the docs):
// `field op value` with eq, ne, gt, lt, ge, le, sw (starts with), cont
// (contains), combined with `and` / `or` (and binds tighter), parentheses,
// dotted field paths (auditInfo.updateDate) and dates such as
// 2015-01-01T12:00:00z. Values may be bare or quoted with ' or ".

// kind is the type of a filterable field.
type kind int

const (
	kindString kind = iota
	kindNumber
	kindBool
	kindTime
)

// field reads one filterable, sortable field of T.
type field[T any] struct {
	kind kind
	str  func(*T) string
	num  func(*T) float64
	b    func(*T) bool
	tm   func(*T) time.Time
}

// fieldSet is the filterable fields of an entity by their (case-insensitive) path.
type fieldSet[T any] map[string]field[T]

// expr is a parsed filter.
type expr[T any] interface{ eval(*T) bool }

type andExpr[T any] struct{ l, r expr[T] }
type orExpr[T any] struct{ l, r expr[T] }

func (e andExpr[T]) eval(x *T) bool { return e.l.eval(x) && e.r.eval(x) }
func (e orExpr[T]) eval(x *T) bool  { return e.l.eval(x) || e.r.eval(x) }

type cmpExpr[T any] struct {
	f   field[T]
	op  string
	str string
	num float64
	b   bool
	tm  time.Time
}

func (e cmpExpr[T]) eval(x *T) bool {
	switch e.f.kind {
	case kindNumber:
		return compareOp(e.op, cmpFloat(e.f.num(x), e.num))
	case kindBool:
		v := e.f.b(x)
		if e.op == "ne" {
			return v != e.b
		}
		return v == e.b
	case kindTime:
		return compareOp(e.op, e.f.tm(x).Compare(e.tm))
	}
	v, want := strings.ToLower(e.f.str(x)), strings.ToLower(e.str)
	switch e.op {
	case "sw":
		return strings.HasPrefix(v, want)
	case "cont":
		return strings.Contains(v, want)
	}
	return compareOp(e.op, strings.Compare(v, want))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareOp(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

// parseFilter parses s against the fields; "" matches everything.
func parseFilter[T any](s string, fields fieldSet[T]) (expr[T], error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, nil
	}
	p := &parser[T]{toks: toks, fields: fields}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q at the end of the filter", p.toks[p.i].s)
	}
	return e, nil
}

type token struct {
	s      string
	quoted bool
}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, token{s: string(c)})
			i++
		case c == '"' || c == '\'':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote at position %d", i)
			}
			toks = append(toks, token{s: s[i+1 : i+1+end], quoted: true})
			i += end + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()", rune(s[j])) {
				j++
			}
			toks = append(toks, token{s: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

type parser[T any] struct {
	toks   []token
	i      int
	fields fieldSet[T]
}

func (p *parser[T]) keyword(w string) bool {
	if p.i < len(p.toks) && !p.toks[p.i].quoted && strings.EqualFold(p.toks[p.i].s, w) {
		p.i++
		return true
	}
	return false
}

func (p *parser[T]) or() (expr[T], error) {
	l, err := p.and()
	for err == nil && p.keyword("or") {
		var r expr[T]
		if r, err = p.and(); err == nil {
			l = orExpr[T]{l, r}
		}
	}
	return l, err
}

func (p *parser[T]) and() (expr[T], error) {
	l, err := p.primary()
	for err == nil && p.keyword("and") {
		var r expr[T]
		if r, err = p.primary(); err == nil {
			l = andExpr[T]{l, r}
		}
	}
	return l, err
}

func (p *parser[T]) primary() (expr[T], error) {
	if p.keyword("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.keyword(")") {
			return nil, fmt.Errorf("missing closing parenthesis")
		}
		return e, nil
	}
	if p.i+3 > len(p.toks) {
		return nil, fmt.Errorf("incomplete comparison at the end of the filter (want: field op value)")
	}
	name, op, val := p.toks[p.i], strings.ToLower(p.toks[p.i+1].s), p.toks[p.i+2]
	p.i += 3
	f, ok := p.fields[strings.ToLower(name.s)]
	if !ok {
		return nil, fmt.Errorf("field %q cannot be filtered", name.s)
	}
	e := cmpExpr[T]{f: f, op: op}
	switch op {
	case "eq", "ne", "gt", "ge", "lt", "le":
	case "sw", "cont":
		if f.kind != kindString {
			return nil, fmt.Errorf("operator %s needs a text field, %q is not", op, name.s)
		}
	default:
		return nil, fmt.Errorf("unknown operator %q after %q", op, name.s)
	}
	var err error
	switch f.kind {
	case kindNumber:
		e.num, err = strconv.ParseFloat(val.s, 64)
	case kindBool:
		e.b, err = strconv.ParseBool(val.s)
	case kindTime:
		e.tm, err = parseDate(val.s)
	default:
		e.str = val.s
	}
	if err != nil {
		return nil, fmt.Errorf("value %q for %q: %v", val.s, name.s, err)
	}
	return e, nil
}

// parseDate reads the date forms Kibo's filters accept: 2015-01-01T12:00:00z
// (any case of z, optional fraction or offset) and 2017-01-02.
func parseDate(s string) (time.Time, error) {
	u := strings.ToUpper(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, u); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date (want 2006-01-02T15:04:05z)")
}

type sortKey[T any] struct {
	f    field[T]
	desc bool
}

// parseSort reads "field asc, other desc".
func parseSort[T any](s string, fields fieldSet[T]) ([]sortKey[T], error) {
	var keys []sortKey[T]
	for _, part := range strings.Split(s, ",") {
		words := strings.Fields(part)
		if len(words) == 0 {
			continue
		}
		f, ok := fields[strings.ToLower(words[0])]
		if !ok {
			return nil, fmt.Errorf("field %q cannot be sorted on", words[0])
		}
		k := sortKey[T]{f: f}
		if len(words) > 1 {
			switch strings.ToLower(words[1]) {
			case "asc":
			case "desc":
				k.desc = true
			default:
				return nil, fmt.Errorf("sort direction %q is neither asc nor desc", words[1])
			}
		}
		if len(words) > 2 {
			return nil, fmt.Errorf("sortBy part %q has too many words", part)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// sortItems orders items by keys; equal items keep their order.
func sortItems[T any](items []*T, keys []sortKey[T]) {
	sort.SliceStable(items, func(i, j int) bool {
		for _, k := range keys {
			c := compareField(k.f, items[i], items[j])
			if c != 0 {
				return (c < 0) != k.desc
			}
		}
		return false
	})
}

func compareField[T any](f field[T], a, b *T) int {
	switch f.kind {
	case kindNumber:
		return cmpFloat(f.num(a), f.num(b))
	case kindBool:
		x, y := f.b(a), f.b(b)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case kindTime:
		return f.tm(a).Compare(f.tm(b))
	}
	return strings.Compare(strings.ToLower(f.str(a)), strings.ToLower(f.str(b)))
}

func strField[T any](g func(*T) string) field[T]     { return field[T]{kind: kindString, str: g} }
func numField[T any](g func(*T) float64) field[T]    { return field[T]{kind: kindNumber, num: g} }
func boolField[T any](g func(*T) bool) field[T]      { return field[T]{kind: kindBool, b: g} }
func timeField[T any](g func(*T) time.Time) field[T] { return field[T]{kind: kindTime, tm: g} }

var accountFields = fieldSet[Account]{
	"id":                    numField(func(a *Account) float64 { return float64(a.ID) }),
	"emailaddress":          strField(func(a *Account) string { return a.EmailAddress }),
	"username":              strField(func(a *Account) string { return a.UserName }),
	"firstname":             strField(func(a *Account) string { return a.FirstName }),
	"lastname":              strField(func(a *Account) string { return a.LastName }),
	"externalid":            strField(func(a *Account) string { return a.ExternalID }),
	"companyororganization": strField(func(a *Account) string { return a.CompanyOrOrganization }),
	"customerset":           strField(func(a *Account) string { return a.CustomerSet }),
	"isactive":              boolField(func(a *Account) bool { return a.IsActive }),
	"isanonymous":           boolField(func(a *Account) bool { return a.IsAnonymous }),
	"islocked":              boolField(func(a *Account) bool { return a.IsLocked }),
	"acceptsmarketing":      boolField(func(a *Account) bool { return a.AcceptsMarketing }),
	"auditinfo.createdate":  timeField(func(a *Account) time.Time { return a.AuditInfo.CreateDate }),
	"auditinfo.updatedate":  timeField(func(a *Account) time.Time { return a.AuditInfo.UpdateDate }),
	"commercesummary.ordercount": numField(func(a *Account) float64 {
		return float64(a.CommerceSummary.OrderCount)
	}),
}

var orderFields = fieldSet[Order]{
	"id":                   strField(func(o *Order) string { return o.ID }),
	"ordernumber":          numField(func(o *Order) float64 { return float64(o.OrderNumber) }),
	"customeraccountid":    numField(func(o *Order) float64 { return float64(o.CustomerAccountID) }),
	"email":                strField(func(o *Order) string { return o.Email }),
	"status":               strField(func(o *Order) string { return o.Status }),
	"total":                numField(func(o *Order) float64 { return o.Total }),
	"submitteddate":        timeField(func(o *Order) time.Time { return o.SubmittedDate }),
	"auditinfo.createdate": timeField(func(o *Order) time.Time { return o.AuditInfo.CreateDate }),
	"auditinfo.updatedate": timeField(func(o *Order) time.Time { return o.AuditInfo.UpdateDate }),
}
