package syncer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// ContactsMode says which contacts are synced and where they go.
type ContactsMode string

const (
	// SubscribersOnly syncs only contacts opted in at the source, as Explicit.
	SubscribersOnly ContactsMode = "SubscribersOnly"
	// AllContacts syncs every contact with an email; new ones get NewContactPermission.
	AllContacts ContactsMode = "AllContacts"
	// SplitBySubscription routes new subscribers, new non-subscribers and
	// existing contacts to their own lists.
	SplitBySubscription ContactsMode = "SplitBySubscription"
)

// UpdateExisting says which fields of an existing target contact are updated.
type UpdateExisting string

const (
	UpdateAllFields UpdateExisting = "AllFields"
	// UpdateSkipPhoneAndAddress writes phone and address for new contacts only.
	UpdateSkipPhoneAndAddress UpdateExisting = "SkipPhoneAndAddress"
)

// SplitLists names the groups SplitBySubscription routes contacts to.
type SplitLists struct {
	NewSubscribers    string
	NewNonSubscribers string
	Existing          string
}

// FieldMapping writes a source field to a target field (see mapping.go for
// the accepted names).
type FieldMapping struct {
	From string
	To   string
}

// Segment is a preset or a named CEL rule; its members are kept in the
// group List (default: the segment's name, or the preset's).
type Segment struct {
	Preset string
	Name   string
	When   string
	List   string
}

// PolicySpec is the provider-neutral part of a ContactSync spec. Empty
// enums take the CRD defaults (AllContacts, Implicit, AllFields).
type PolicySpec struct {
	Contacts             ContactsMode
	NewContactPermission connectors.Permission
	SplitLists           SplitLists
	UpdateExisting       UpdateExisting
	Tags                 []string
	FieldMappings        []FieldMapping
	Segments             []Segment
	// MaxContacts caps the contacts this sync keeps in the target; 0 = no cap.
	MaxContacts int64
	// DryRun plans instead of writing.
	DryRun bool
}

// FieldError is an invalid spec field. Field is the path within the
// ContactSync spec ("segments[1].when"), so the controller can report it as
// InvalidConfig.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Policy is a compiled PolicySpec: validated, defaults applied, CEL rules
// compiled once. It is immutable and safe for concurrent runs.
type Policy struct {
	spec     PolicySpec
	mappings []mapping
	segments []segment
	// managed holds the groups the policy owns (segment lists): only these
	// are ever removed from a contact.
	managed map[string]bool
	// timeBased is true when a segment depends on the current time.
	timeBased bool
}

// NewPolicy validates and compiles spec. Its errors are *FieldError.
func NewPolicy(spec PolicySpec) (*Policy, error) {
	if spec.Contacts == "" {
		spec.Contacts = AllContacts
	}
	if spec.NewContactPermission == "" {
		spec.NewContactPermission = connectors.PermissionImplicit
	}
	if spec.UpdateExisting == "" {
		spec.UpdateExisting = UpdateAllFields
	}
	switch spec.Contacts {
	case SubscribersOnly, AllContacts, SplitBySubscription:
	default:
		return nil, fieldErr("contacts", "unknown mode %q (want SubscribersOnly, AllContacts or SplitBySubscription)", spec.Contacts)
	}
	switch spec.NewContactPermission {
	case connectors.PermissionExplicit, connectors.PermissionImplicit, connectors.PermissionNotSet, connectors.PermissionPending:
	default:
		return nil, fieldErr("newContactPermission", "unknown permission %q (want Explicit, Implicit, NotSet or Pending)", spec.NewContactPermission)
	}
	switch spec.UpdateExisting {
	case UpdateAllFields, UpdateSkipPhoneAndAddress:
	default:
		return nil, fieldErr("updateExisting", "unknown value %q (want AllFields or SkipPhoneAndAddress)", spec.UpdateExisting)
	}
	if spec.MaxContacts < 0 {
		return nil, fieldErr("maxContacts", "must not be negative, got %d", spec.MaxContacts)
	}
	if err := checkSplitLists(&spec); err != nil {
		return nil, err
	}
	tags, err := cleanTags(spec.Tags)
	if err != nil {
		return nil, err
	}
	spec.Tags = tags
	p := &Policy{spec: spec, managed: map[string]bool{}}
	if p.mappings, err = compileMappings(spec.FieldMappings); err != nil {
		return nil, err
	}
	if err := p.compileSegments(spec.Segments); err != nil {
		return nil, err
	}
	return p, nil
}

func checkSplitLists(spec *PolicySpec) error {
	s := &spec.SplitLists
	s.NewSubscribers = strings.TrimSpace(s.NewSubscribers)
	s.NewNonSubscribers = strings.TrimSpace(s.NewNonSubscribers)
	s.Existing = strings.TrimSpace(s.Existing)
	if spec.Contacts != SplitBySubscription {
		if *s != (SplitLists{}) {
			return fieldErr("splitLists", "only allowed with contacts: SplitBySubscription")
		}
		return nil
	}
	for _, f := range []struct{ name, v string }{
		{"splitLists.newSubscribers", s.NewSubscribers},
		{"splitLists.newNonSubscribers", s.NewNonSubscribers},
		{"splitLists.existing", s.Existing},
	} {
		if f.v == "" {
			return fieldErr(f.name, "required with contacts: SplitBySubscription")
		}
	}
	if s.NewSubscribers == s.NewNonSubscribers || s.NewSubscribers == s.Existing || s.NewNonSubscribers == s.Existing {
		return fieldErr("splitLists", "the three lists must differ, got %q, %q and %q", s.NewSubscribers, s.NewNonSubscribers, s.Existing)
	}
	return nil
}

func cleanTags(in []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for i, t := range in {
		t = strings.TrimSpace(t)
		if t == "" {
			return nil, fieldErr(fmt.Sprintf("tags[%d]", i), "must not be empty")
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// Spec returns the spec the policy was compiled from, with defaults applied.
func (p *Policy) Spec() PolicySpec {
	s := p.spec
	s.Tags = slices.Clone(s.Tags)
	s.FieldMappings = slices.Clone(s.FieldMappings)
	s.Segments = slices.Clone(s.Segments)
	return s
}

// TimeBased reports whether a segment depends on the current time (Recent,
// Lapsed, or a rule that reads now): its membership changes without any
// source change, so full passes must re-evaluate it.
func (p *Policy) TimeBased() bool { return p.timeBased }

// maxTimeBasedInterval bounds the full-pass interval when segments depend on
// time: membership then drifts by the day.
const maxTimeBasedInterval = 24 * time.Hour

// FullPassDue reports whether the run at now should be a full pass, given
// the last full pass and the spec's fullSyncInterval (0 = never). With
// time-based segments a full pass is due at least daily, whatever the
// interval says, so Recent and Lapsed stay true.
func (p *Policy) FullPassDue(lastFull, now time.Time, fullSyncInterval time.Duration) bool {
	if p.timeBased && (fullSyncInterval <= 0 || fullSyncInterval > maxTimeBasedInterval) {
		fullSyncInterval = maxTimeBasedInterval
	}
	if fullSyncInterval <= 0 {
		return false
	}
	return lastFull.IsZero() || !now.Before(lastFull.Add(fullSyncInterval))
}
