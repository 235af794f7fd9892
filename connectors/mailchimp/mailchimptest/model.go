package mailchimptest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Member statuses (targets.md §1.5).
const (
	StatusSubscribed    = "subscribed"
	StatusUnsubscribed  = "unsubscribed"
	StatusCleaned       = "cleaned"
	StatusPending       = "pending"
	StatusTransactional = "transactional"
	StatusArchived      = "archived"
)

// Who unsubscribed a member: the contact themselves (never re-subscribable
// through the API) or the account through the API.
const (
	ByContact = "contact"
	ByAPI     = "api"
)

var writableStatus = map[string]bool{StatusSubscribed: true, StatusUnsubscribed: true, StatusCleaned: true,
	StatusPending: true, StatusTransactional: true}

// Hash is the subscriber hash: MD5 hex of the trimmed, lower-cased email.
func Hash(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:])
}

type list struct {
	id, name    string
	webID       int
	created     time.Time
	contact     map[string]any
	permission  string
	defaults    map[string]any
	emailOption bool
	doubleOptin bool

	members   map[string]*member // by hash
	order     []string           // hashes in creation order, for stable paging
	forgotten map[string]bool    // hashes permanently deleted
	fields    []*mergeField
	nextMerge int
	segments  map[int]*segment
	segOrder  []int
	webhooks  []*webhook
}

type member struct {
	hash, email, uniqueID, contactID string
	webID                            int
	status                           string
	archivedFrom                     string // the status before archiving
	unsubBy, unsubReason             string
	merge                            map[string]any
	tags                             []memberTag
	signup, opt, changed             time.Time
}

type memberTag struct {
	id    int
	added time.Time
}

type mergeField struct {
	id                 int
	tag, name, typ     string
	required, public   bool
	order              int
	defaultValue, help string
}

type segment struct {
	id               int
	name             string
	created, updated time.Time
	members          map[string]bool
}

type webhook struct {
	id, url string
	events  map[string]bool
	sources map[string]bool
}

func newList(id, name string, webID int, now time.Time) *list {
	l := &list{id: id, name: name, webID: webID, created: now, members: map[string]*member{},
		forgotten: map[string]bool{}, segments: map[int]*segment{}, nextMerge: 1}
	for _, f := range []struct{ tag, name, typ string }{
		{"FNAME", "First Name", "text"}, {"LNAME", "Last Name", "text"},
		{"ADDRESS", "Address", "address"}, {"PHONE", "Phone Number", "phone"},
	} {
		l.addField(f.tag, f.name, f.typ, false)
	}
	return l
}

func (l *list) addField(tag, name, typ string, required bool) *mergeField {
	f := &mergeField{id: l.nextMerge, tag: tag, name: name, typ: typ, required: required, public: true, order: l.nextMerge}
	l.nextMerge++
	l.fields = append(l.fields, f)
	return f
}

func (l *list) field(tag string) *mergeField {
	for _, f := range l.fields {
		if f.tag == tag {
			return f
		}
	}
	return nil
}

// memberInput is one member write, from PUT, POST, PATCH or batch subscribe.
type memberInput struct {
	Email       string         `json:"email_address"`
	Status      string         `json:"status"`
	StatusIfNew string         `json:"status_if_new"`
	Merge       map[string]any `json:"merge_fields"`
	Tags        []string       `json:"tags"`
}

// write modes.
const (
	modeUpsert      = iota // PUT: create with status_if_new or update
	modeCreate             // POST: create only
	modeUpdate             // PATCH: update only
	modeBatchNew           // batch subscribe without update_existing
	modeBatchUpsert        // batch subscribe with update_existing
)

// write applies one member write under the consent rules and returns the
// member and whether it was created. hashKey is the path's member key, ""
// for POST and batch.
func (e *Emulator) write(l *list, hashKey string, in memberInput, mode int, skipMerge bool) (*member, bool, *problem) {
	email := strings.TrimSpace(in.Email)
	hash := Hash(email)
	if hashKey != "" {
		if m := l.lookup(hashKey); m != nil {
			hash = m.hash
		} else if email == "" && mode != modeUpdate {
			return nil, false, errInvalid(fieldError{"email_address", "This value should not be blank."})
		} else if mode == modeUpdate {
			return nil, false, errNotFound()
		}
	} else if email == "" {
		return nil, false, errInvalid(fieldError{"email_address", "This value should not be blank."})
	}
	if in.Status != "" && !writableStatus[in.Status] {
		return nil, false, errInvalid(fieldError{"status", "Value must be one of: subscribed, unsubscribed, cleaned, pending, transactional"})
	}
	if in.StatusIfNew != "" && !writableStatus[in.StatusIfNew] {
		return nil, false, errInvalid(fieldError{"status_if_new", "Value must be one of: subscribed, unsubscribed, cleaned, pending, transactional"})
	}
	if l.forgotten[hash] {
		return nil, false, errForgotten(email)
	}
	now := e.now()
	m := l.members[hash]
	if m == nil {
		if mode == modeUpdate {
			return nil, false, errNotFound()
		}
		if !validEmail(email) {
			return nil, false, errInvalid(fieldError{"email_address", "Please provide a valid email address."})
		}
		if e.opts.FakeEmail(email) {
			return nil, false, errFake(email)
		}
		status := in.Status
		if status == "" && (mode == modeUpsert || mode == modeBatchNew || mode == modeBatchUpsert) {
			status = in.StatusIfNew
		}
		if status == "" {
			field := "status"
			if mode == modeUpsert {
				field = "status_if_new"
			}
			return nil, false, errInvalid(fieldError{field, "This value should not be blank."})
		}
		merge, p := l.checkMerge(in.Merge, nil, skipMerge)
		if p != nil {
			return nil, false, p
		}
		m = &member{hash: hash, email: email, uniqueID: hash[:10], contactID: Hash("contact:" + email),
			webID: e.nextWebID(), status: status, merge: merge, signup: now, opt: now, changed: now}
		if status == StatusUnsubscribed {
			m.unsubBy, m.unsubReason = ByAPI, "N/A (Unsubscribed by an admin)"
		}
		l.members[hash] = m
		l.order = append(l.order, hash)
		e.addTags(l, m, in.Tags, now)
		return m, true, nil
	}
	if mode == modeCreate || mode == modeBatchNew {
		return nil, false, errMemberExists(m.email)
	}
	merge, p := l.checkMerge(in.Merge, m.merge, skipMerge)
	if p != nil {
		return nil, false, p
	}
	if in.Status != "" && in.Status != m.status {
		if p := e.setStatus(l, m, in.Status, ByAPI); p != nil {
			return nil, false, p
		}
	}
	if len(in.Merge) > 0 {
		m.merge = merge
		m.changed = now
	}
	return m, false, nil
}

// setStatus changes a member's status under Mailchimp's consent rules
// (targets.md §1.5): a member who unsubscribed themselves, or was cleaned,
// cannot be subscribed again through the API.
func (e *Emulator) setStatus(l *list, m *member, to, by string) *problem {
	from := m.status
	if from == StatusArchived {
		from = m.archivedFrom
	}
	if to == StatusSubscribed {
		switch {
		case from == StatusCleaned:
			return errCompliance(m.email)
		case from == StatusUnsubscribed && (m.unsubBy == ByContact || !e.opts.AllowAPIResubscribe):
			return errCompliance(m.email)
		}
	}
	m.status = to
	m.archivedFrom = ""
	m.changed = e.now()
	switch to {
	case StatusUnsubscribed:
		m.unsubBy = by
		m.unsubReason = "N/A (Unsubscribed by an admin)"
		if by == ByContact {
			m.unsubReason = "Unsubscribed by the contact"
		}
		e.fireWebhooks(l, m, "unsubscribe", by)
	case StatusSubscribed:
		m.unsubBy, m.unsubReason = "", ""
		m.opt = m.changed
	}
	return nil
}

// lookup finds a member by subscriber hash, email address or contact_id,
// as the path parameter accepts all three.
func (l *list) lookup(key string) *member {
	if m := l.members[strings.ToLower(key)]; m != nil {
		return m
	}
	if strings.Contains(key, "@") {
		return l.members[Hash(key)]
	}
	for _, m := range l.members {
		if m.contactID == key {
			return m
		}
	}
	return nil
}

// checkMerge validates merge field values against the audience's fields and
// returns the merged values: unknown tags, non-numbers in number fields and
// incomplete addresses are refused; required fields must have a value.
func (l *list) checkMerge(in, old map[string]any, skip bool) (map[string]any, *problem) {
	out := make(map[string]any, len(old)+len(in))
	for k, v := range old {
		out[k] = v
	}
	var errs []fieldError
	for tag, v := range in {
		f := l.field(strings.ToUpper(tag))
		if f == nil {
			errs = append(errs, fieldError{tag, "This merge field does not exist."})
			continue
		}
		switch f.typ {
		case "number":
			if _, ok := v.(float64); !ok {
				if s, isStr := v.(string); !isStr || !isNumber(s) {
					errs = append(errs, fieldError{f.tag, "Please enter a number"})
					continue
				}
			}
		case "address":
			if s, ok := v.(string); ok && s == "" {
				break
			}
			a, ok := v.(map[string]any)
			if !ok || str(a["addr1"]) == "" || str(a["city"]) == "" || str(a["state"]) == "" || str(a["zip"]) == "" {
				errs = append(errs, fieldError{f.tag, "Please enter a complete address"})
				continue
			}
		default:
			if _, ok := v.(string); !ok {
				if _, isNum := v.(float64); !isNum {
					errs = append(errs, fieldError{f.tag, "Please enter a value"})
					continue
				}
				v = fmt.Sprint(v)
			}
		}
		out[f.tag] = v
	}
	if !skip {
		for _, f := range l.fields {
			if f.required && str(out[f.tag]) == "" && out[f.tag] == nil {
				errs = append(errs, fieldError{f.tag, "Please enter a value"})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errMergeFields(errs...)
	}
	return out, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func isNumber(s string) bool {
	var f float64
	_, err := fmt.Sscan(s, &f)
	return err == nil
}

// segmentByName finds a static segment (tag) by name, case-insensitively as
// Mailchimp does.
func (l *list) segmentByName(name string) *segment {
	for _, id := range l.segOrder {
		if s := l.segments[id]; strings.EqualFold(s.name, name) {
			return s
		}
	}
	return nil
}

func (e *Emulator) newSegment(l *list, name string) *segment {
	now := e.now()
	s := &segment{id: e.nextSegmentID(), name: name, created: now, updated: now, members: map[string]bool{}}
	l.segments[s.id] = s
	l.segOrder = append(l.segOrder, s.id)
	return s
}

// addTags tags m with each name, creating missing tags.
func (e *Emulator) addTags(l *list, m *member, names []string, now time.Time) {
	for _, n := range names {
		s := l.segmentByName(n)
		if s == nil {
			s = e.newSegment(l, n)
		}
		e.tag(m, s, now)
	}
}

func (e *Emulator) tag(m *member, s *segment, now time.Time) bool {
	if s.members[m.hash] {
		return false
	}
	s.members[m.hash] = true
	s.updated = now
	m.tags = append(m.tags, memberTag{s.id, now})
	m.changed = now
	return true
}

func (e *Emulator) untag(m *member, s *segment, now time.Time) bool {
	if !s.members[m.hash] {
		return false
	}
	delete(s.members, m.hash)
	s.updated = now
	for i, t := range m.tags {
		if t.id == s.id {
			m.tags = append(m.tags[:i:i], m.tags[i+1:]...)
			break
		}
	}
	m.changed = now
	return true
}
