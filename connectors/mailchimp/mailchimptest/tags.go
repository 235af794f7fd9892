package mailchimptest

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

func (e *Emulator) getMemberTags(l *list, r *http.Request) (int, any, *problem) {
	m := l.lookup(r.PathValue("hash"))
	if m == nil {
		return 0, nil, errNotFound()
	}
	count, offset, p := paging(r)
	if p != nil {
		return 0, nil, p
	}
	all := make([]any, 0, len(m.tags))
	for _, t := range m.tags {
		if s := l.segments[t.id]; s != nil {
			all = append(all, map[string]any{"id": s.id, "name": s.name, "date_added": timestamp(t.added)})
		}
	}
	return 200, map[string]any{"tags": page(all, count, offset), "total_items": len(all), "_links": []any{}}, nil
}

// postMemberTags adds (active, creating the tag) and removes (inactive)
// tags of one member; it answers 204 with no body.
func (e *Emulator) postMemberTags(l *list, r *http.Request) (int, any, *problem) {
	m := l.lookup(r.PathValue("hash"))
	if m == nil {
		return 0, nil, errNotFound()
	}
	var in struct {
		Tags []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"tags"`
		IsSyncing bool `json:"is_syncing"`
	}
	if p := decode(r, &in); p != nil {
		return 0, nil, p
	}
	if in.Tags == nil {
		return 0, nil, errInvalid(fieldError{"tags", "This value should not be blank."})
	}
	for i, t := range in.Tags {
		if strings.TrimSpace(t.Name) == "" {
			return 0, nil, errInvalid(fieldError{fmt.Sprintf("tags.%d.name", i), "This value should not be blank."})
		}
		if t.Status != "active" && t.Status != "inactive" {
			return 0, nil, errInvalid(fieldError{fmt.Sprintf("tags.%d.status", i), "Value must be one of: active, inactive"})
		}
	}
	now := e.now()
	for _, t := range in.Tags {
		s := l.segmentByName(t.Name)
		switch {
		case t.Status == "active" && s == nil:
			e.tag(m, e.newSegment(l, t.Name), now)
		case t.Status == "active":
			e.tag(m, s, now)
		case s != nil:
			e.untag(m, s, now)
		}
	}
	return http.StatusNoContent, nil, nil
}

var mergeTypes = map[string]bool{"text": true, "number": true, "address": true, "phone": true, "date": true, "url": true,
	"imageurl": true, "radio": true, "dropdown": true, "birthday": true, "zip": true}

var tagPattern = regexp.MustCompile(`^[A-Z0-9_]{1,10}$`)

func mergeFieldJSON(l *list, f *mergeField) map[string]any {
	return map[string]any{"merge_id": f.id, "tag": f.tag, "name": f.name, "type": f.typ, "required": f.required,
		"default_value": f.defaultValue, "public": f.public, "display_order": f.order, "options": map[string]any{},
		"help_text": f.help, "list_id": l.id, "_links": []any{}}
}

func (e *Emulator) getMergeFields(l *list, r *http.Request) (int, any, *problem) {
	count, offset, p := paging(r)
	if p != nil {
		return 0, nil, p
	}
	typ := r.URL.Query().Get("type")
	all := []any{}
	for _, f := range l.fields {
		if typ == "" || f.typ == typ {
			all = append(all, mergeFieldJSON(l, f))
		}
	}
	return 200, map[string]any{"merge_fields": page(all, count, offset), "list_id": l.id, "total_items": len(all), "_links": []any{}}, nil
}

// postMergeField adds a merge field: name and type are required, the tag is
// upper-case, at most 10 characters, and unique in the audience.
func (e *Emulator) postMergeField(l *list, r *http.Request) (int, any, *problem) {
	var in struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Tag      string `json:"tag"`
		Required bool   `json:"required"`
	}
	if p := decode(r, &in); p != nil {
		return 0, nil, p
	}
	var errs []fieldError
	if strings.TrimSpace(in.Name) == "" {
		errs = append(errs, fieldError{"name", "This value should not be blank."})
	}
	if !mergeTypes[in.Type] {
		errs = append(errs, fieldError{"type", "Value must be one of: text, number, address, phone, date, url, imageurl, radio, dropdown, birthday, zip"})
	}
	tag := strings.ToUpper(in.Tag)
	if tag != "" && !tagPattern.MatchString(tag) {
		errs = append(errs, fieldError{"tag", "The merge tag must be at most 10 letters, digits or underscores."})
	}
	if len(errs) > 0 {
		return 0, nil, errInvalid(errs...)
	}
	if tag == "" {
		tag = "MMERGE" + strconv.Itoa(l.nextMerge)
	}
	if l.field(tag) != nil {
		return 0, nil, errBadRequest(fmt.Sprintf("A Merge Field with the tag %q already exists for this list.", tag))
	}
	return 200, mergeFieldJSON(l, l.addField(tag, in.Name, in.Type, in.Required)), nil
}

func segmentJSON(l *list, s *segment) map[string]any {
	return map[string]any{"id": s.id, "name": s.name, "member_count": len(s.members), "type": "static",
		"created_at": timestamp(s.created), "updated_at": timestamp(s.updated), "list_id": l.id, "_links": []any{}}
}

// getSegments lists segments; every segment here is static, which is what
// tags are in Mailchimp.
func (e *Emulator) getSegments(l *list, r *http.Request) (int, any, *problem) {
	count, offset, p := paging(r)
	if p != nil {
		return 0, nil, p
	}
	typ := r.URL.Query().Get("type")
	if typ != "" && typ != "saved" && typ != "static" && typ != "fuzzy" {
		return 0, nil, errInvalid(fieldError{"type", "Value must be one of: saved, static, fuzzy"})
	}
	all := []any{}
	if typ == "" || typ == "static" {
		for _, id := range l.segOrder {
			all = append(all, segmentJSON(l, l.segments[id]))
		}
	}
	return 200, map[string]any{"segments": page(all, count, offset), "list_id": l.id, "total_items": len(all), "_links": []any{}}, nil
}

func (e *Emulator) getSegment(l *list, r *http.Request) (int, any, *problem) {
	s := e.segmentOf(l, r)
	if s == nil {
		return 0, nil, errNotFound()
	}
	return 200, segmentJSON(l, s), nil
}

func (e *Emulator) segmentOf(l *list, r *http.Request) *segment {
	id, err := strconv.Atoi(r.PathValue("segment_id"))
	if err != nil {
		return nil
	}
	return l.segments[id]
}

// postSegment creates a static segment (a tag) with its first members.
func (e *Emulator) postSegment(l *list, r *http.Request) (int, any, *problem) {
	var in struct {
		Name          string   `json:"name"`
		StaticSegment []string `json:"static_segment"`
	}
	if p := decode(r, &in); p != nil {
		return 0, nil, p
	}
	if strings.TrimSpace(in.Name) == "" {
		return 0, nil, errInvalid(fieldError{"name", "This value should not be blank."})
	}
	if l.segmentByName(in.Name) != nil {
		return 0, nil, errBadRequest("Sorry, a tag or segment with that name already exists.")
	}
	s := e.newSegment(l, in.Name)
	now := e.now()
	for _, email := range in.StaticSegment {
		if m := l.members[Hash(email)]; m != nil {
			e.tag(m, s, now)
		}
	}
	return 200, segmentJSON(l, s), nil
}

// batchSegment adds and removes up to 500 members each to or from a static
// segment; addresses that are not in the audience are reported in errors.
func (e *Emulator) batchSegment(l *list, r *http.Request) (int, any, *problem) {
	s := e.segmentOf(l, r)
	if s == nil {
		return 0, nil, errNotFound()
	}
	var in struct {
		Add    []string `json:"members_to_add"`
		Remove []string `json:"members_to_remove"`
	}
	if p := decode(r, &in); p != nil {
		return 0, nil, p
	}
	if len(in.Add) > 500 || len(in.Remove) > 500 {
		return 0, nil, errInvalid(fieldError{"members_to_add", "A maximum of 500 members can be sent."})
	}
	now := e.now()
	added, removed, missing := []any{}, []any{}, []string{}
	for _, email := range in.Add {
		if m := l.members[Hash(email)]; m == nil {
			missing = append(missing, email)
		} else if e.tag(m, s, now) {
			added = append(added, memberJSON(l, m))
		}
	}
	for _, email := range in.Remove {
		if m := l.members[Hash(email)]; m == nil {
			missing = append(missing, email)
		} else if e.untag(m, s, now) {
			removed = append(removed, memberJSON(l, m))
		}
	}
	errs := []any{}
	if len(missing) > 0 {
		errs = append(errs, map[string]any{"email_addresses": missing, "error": "Email addresses are not members of this list."})
	}
	return 200, map[string]any{"members_added": added, "members_removed": removed, "errors": errs,
		"total_added": len(added), "total_removed": len(removed), "error_count": len(missing), "_links": []any{}}, nil
}
