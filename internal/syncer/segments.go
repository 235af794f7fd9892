package syncer

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/contactsync/contactsync/connectors"
)

// Segment presets (from the Magento integration), as CEL rules.
var presets = map[string]string{
	"AllCustomers": `contact.purchases.count >= 1`,
	"FirstTime":    `contact.purchases.count == 1`,
	"Repeat":       `contact.purchases.count > 1`,
	"Recent":       `contact.purchases.count >= 1 && contact.purchases.last > now - duration("720h")`,
	"Lapsed":       `contact.purchases.count >= 1 && contact.purchases.last <= now - duration("2880h")`,
}

// maxRuleCost bounds one evaluation, so a rule cannot stall a run.
const maxRuleCost = 100_000

// CELContact is what a segment rule sees as `contact`.
type CELContact struct {
	Email     string            `cel:"email"`
	FirstName string            `cel:"firstName"`
	LastName  string            `cel:"lastName"`
	Company   string            `cel:"company"`
	Phone     string            `cel:"phone"`
	Address   CELAddress        `cel:"address"`
	Active    bool              `cel:"active"`
	Consent   string            `cel:"consent"`
	Tags      []string          `cel:"tags"`
	Custom    map[string]string `cel:"custom"`
	UpdatedAt time.Time         `cel:"updatedAt"`
	Purchases CELPurchases      `cel:"purchases"`
}

// CELAddress is contact.address.
type CELAddress struct {
	Street     string `cel:"street"`
	City       string `cel:"city"`
	Region     string `cel:"region"`
	PostalCode string `cel:"postalCode"`
	Country    string `cel:"country"`
}

// CELPurchases is contact.purchases.
type CELPurchases struct {
	Count int64     `cel:"count"`
	Total float64   `cel:"total"`
	First time.Time `cel:"first"`
	Last  time.Time `cel:"last"`
}

// segmentEnv is the CEL environment of every rule; building it is costly
// and it is immutable, so it is built once.
var segmentEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[CELContact](), ext.ParseStructTags(true)),
		cel.Variable("contact", cel.ObjectType("syncer.CELContact")),
		cel.Variable("now", cel.TimestampType),
		ext.Strings(),
	)
	if err != nil {
		panic(fmt.Sprintf("syncer: CEL environment: %v", err))
	}
	return env
}()

type segment struct {
	group string
	prog  cel.Program
}

// CompileRule compiles a segment rule; the error is CEL's message. It
// reports whether the rule reads `now`.
func CompileRule(rule string) (cel.Program, bool, error) {
	ast, iss := segmentEnv.Compile(rule)
	if iss.Err() != nil {
		return nil, false, iss.Err()
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, false, fmt.Errorf("the rule must be a bool, it is a %s", ast.OutputType())
	}
	prog, err := segmentEnv.Program(ast, cel.CostLimit(maxRuleCost))
	if err != nil {
		return nil, false, err
	}
	readsNow := false
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Name == "now" {
			readsNow = true
		}
	}
	return prog, readsNow, nil
}

func (p *Policy) compileSegments(specs []Segment) error {
	owner := map[string]string{}
	for _, g := range []string{p.spec.SplitLists.NewSubscribers, p.spec.SplitLists.NewNonSubscribers, p.spec.SplitLists.Existing} {
		if g != "" {
			owner[g] = "splitLists"
		}
	}
	for i, s := range specs {
		at := fmt.Sprintf("segments[%d]", i)
		preset, name, when := strings.TrimSpace(s.Preset), strings.TrimSpace(s.Name), strings.TrimSpace(s.When)
		rule := when
		switch {
		case preset != "" && when != "":
			return fieldErr(at, "a segment is a preset or a when rule, not both")
		case preset != "":
			r, ok := presets[preset]
			if !ok {
				return fieldErr(at+".preset", "unknown preset %q (want AllCustomers, FirstTime, Repeat, Recent or Lapsed)", preset)
			}
			rule = r
			if name == "" {
				name = preset
			}
		case when == "":
			return fieldErr(at, "a segment needs a preset or a when rule")
		case name == "":
			return fieldErr(at+".name", "a segment with a when rule needs a name")
		}
		prog, readsNow, err := CompileRule(rule)
		if err != nil {
			return fieldErr(at+".when", "%s", err.Error())
		}
		group := strings.TrimSpace(s.List)
		if group == "" {
			group = name
		}
		if o, dup := owner[group]; dup {
			return fieldErr(at+".list", "%q is already the list of %s", group, o)
		}
		owner[group] = at
		p.segments = append(p.segments, segment{group: group, prog: prog})
		p.managed[group] = true
		p.timeBased = p.timeBased || readsNow
	}
	return nil
}

// celContact is c as rules see it.
func celContact(c *connectors.Contact) *CELContact {
	return &CELContact{
		Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Phone: c.Phone,
		Address: CELAddress{Street: c.Address.Street, City: c.Address.City, Region: c.Address.Region,
			PostalCode: c.Address.PostalCode, Country: c.Address.Country},
		Active: c.Active, Consent: string(c.Consent), Tags: nonNil(c.Tags), Custom: nonNilMap(c.Custom),
		UpdatedAt: c.UpdatedAt,
		Purchases: CELPurchases{Count: int64(c.Purchases.Count), Total: c.Purchases.Total,
			First: c.Purchases.First, Last: c.Purchases.Last},
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// EvalRule evaluates a compiled rule for one contact. A rule that fails for
// this contact (a missing custom key, the cost limit) returns an error.
func EvalRule(prog cel.Program, c *connectors.Contact, now time.Time) (bool, error) {
	return evalRule(prog, celContact(c), now)
}

func evalRule(prog cel.Program, cc *CELContact, now time.Time) (bool, error) {
	return evalIn(prog, activation(cc, now))
}

// activation binds the rule variables; one serves every segment of a contact.
func activation(cc *CELContact, now time.Time) interpreter.Activation {
	a, _ := interpreter.NewActivation(map[string]any{"contact": cc, "now": now})
	return a
}

func evalIn(prog cel.Program, vars interpreter.Activation) (bool, error) {
	out, _, err := prog.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("the rule gave %v, not a bool", out)
	}
	return b, nil
}

// segmentGroups evaluates every segment for c. It returns the groups c
// belongs to and the groups it does not; a segment whose rule fails for c
// is in neither (its membership is left as it is) and its error is returned.
func (p *Policy) segmentGroups(c *connectors.Contact, now time.Time) (in, out []string, errs []error) {
	if len(p.segments) == 0 {
		return nil, nil, nil
	}
	vars := activation(celContact(c), now)
	for _, s := range p.segments {
		ok, err := evalIn(s.prog, vars)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("segment %q: %w", s.group, err))
		case ok:
			in = append(in, s.group)
		default:
			out = append(out, s.group)
		}
	}
	return in, out, errs
}
