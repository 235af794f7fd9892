package quickbookstest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// query is a parsed QuickBooks query:
//
//	SELECT * | count(*) FROM Entity [WHERE p op v [AND …]] [ORDERBY p [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS m]
//
// Operators are = < > <= >= IN LIKE; there is no OR, JOIN, GROUP BY nor
// projection, as the data-queries page documents.
type query struct {
	count      bool
	entity     string
	where      []condition
	orderBy    string
	desc       bool
	start      int // 1-based
	maxResults int
}

type condition struct {
	field  string
	op     string // = < > <= >= IN LIKE
	values []string
	// set holds IN values, so a 1,000-ID list is not scanned for every row.
	set map[string]bool
}

const (
	defaultMaxResults = 100
	maxMaxResults     = 1000
)

// queryError is a ValidationFault the parser reports.
type queryError struct{ msg string }

func (e *queryError) Error() string { return e.msg }

func qerr(format string, a ...any) error { return &queryError{fmt.Sprintf(format, a...)} }

// tokenize splits a query into words, quoted strings (kept with a leading
// quote to tell them from words), punctuation and operators.
func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case unicode.IsSpace(rune(c)):
			i++
		case c == '\'':
			var b strings.Builder
			b.WriteByte('\'')
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					b.WriteByte(s[j])
					continue
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, qerr("unterminated string literal")
			}
			toks = append(toks, b.String())
			i = j + 1
		case c == '(' || c == ')' || c == ',' || c == '*' || c == '=':
			toks = append(toks, string(c))
			i++
		case c == '<' || c == '>':
			if i+1 < len(s) && s[i+1] == '=' {
				toks = append(toks, s[i:i+2])
				i += 2
			} else {
				toks = append(toks, string(c))
				i++
			}
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && !strings.ContainsRune("(),*=<>'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

type parser struct {
	toks []string
	i    int
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *parser) next() string {
	t := p.peek()
	p.i++
	return t
}

func (p *parser) keyword(k string) bool {
	if strings.EqualFold(p.peek(), k) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(t string) error {
	if got := p.next(); !strings.EqualFold(got, t) {
		return qerr("expected %s but found %q", t, got)
	}
	return nil
}

// parseQuery parses a query string.
func parseQuery(s string) (*query, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	q := &query{start: 1, maxResults: defaultMaxResults}
	if err := p.expect("SELECT"); err != nil {
		return nil, err
	}
	switch {
	case p.keyword("*"):
	case p.keyword("count"):
		if err := expectAll(p, "(", "*", ")"); err != nil {
			return nil, err
		}
		q.count = true
	default:
		return nil, qerr("projections are not supported: use SELECT * or SELECT count(*)")
	}
	if err := p.expect("FROM"); err != nil {
		return nil, err
	}
	q.entity = p.next()
	if q.entity == "" {
		return nil, qerr("missing entity after FROM")
	}
	if p.keyword("WHERE") {
		for {
			c, err := p.condition()
			if err != nil {
				return nil, err
			}
			q.where = append(q.where, c)
			if !p.keyword("AND") {
				break
			}
		}
	}
	for p.peek() != "" {
		switch t := strings.ToUpper(p.next()); t {
		case "ORDERBY", "ORDER":
			if t == "ORDER" {
				if err := p.expect("BY"); err != nil {
					return nil, err
				}
			}
			q.orderBy = p.next()
			if p.keyword("DESC") {
				q.desc = true
			} else {
				p.keyword("ASC")
			}
		case "STARTPOSITION":
			n, err := strconv.Atoi(p.next())
			if err != nil || n < 1 {
				return nil, qerr("STARTPOSITION must be a positive integer")
			}
			q.start = n
		case "MAXRESULTS":
			n, err := strconv.Atoi(p.next())
			if err != nil || n < 0 {
				return nil, qerr("MAXRESULTS must be a non-negative integer")
			}
			q.maxResults = min(n, maxMaxResults)
		case "OR", "JOIN", "GROUP", "GROUPBY":
			return nil, qerr("%s is not supported by the query language", t)
		default:
			return nil, qerr("unexpected %q", t)
		}
	}
	return q, nil
}

func expectAll(p *parser, toks ...string) error {
	for _, t := range toks {
		if err := p.expect(t); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) condition() (condition, error) {
	c := condition{field: p.next()}
	if c.field == "" || c.field == "(" {
		return c, qerr("expected a property name in WHERE")
	}
	switch op := strings.ToUpper(p.next()); op {
	case "=", "<", ">", "<=", ">=", "LIKE":
		c.op = op
		v, err := p.value()
		if err != nil {
			return c, err
		}
		c.values = []string{v}
	case "IN":
		c.op = op
		if err := p.expect("("); err != nil {
			return c, err
		}
		for {
			v, err := p.value()
			if err != nil {
				return c, err
			}
			c.values = append(c.values, v)
			if p.peek() == ")" {
				p.next()
				break
			}
			if err := p.expect(","); err != nil {
				return c, err
			}
		}
	default:
		return c, qerr("unsupported operator %q after %s", op, c.field)
	}
	if c.op == "IN" {
		c.set = make(map[string]bool, len(c.values))
		for _, v := range c.values {
			c.set[v] = true
		}
	}
	if strings.EqualFold(p.peek(), "OR") {
		return c, qerr("OR is not supported by the query language")
	}
	return c, nil
}

// value reads a literal: a quoted string (returned without its quote) or a bare word (true, false, a number).
func (p *parser) value() (string, error) {
	t := p.next()
	switch {
	case strings.HasPrefix(t, "'"):
		return t[1:], nil
	case t == "" || t == "(" || t == ")" || t == ",":
		return "", qerr("expected a value but found %q", t)
	}
	return t, nil
}
