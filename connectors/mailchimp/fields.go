package mailchimp

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/contactsync/contactsync/connectors"
)

// mergeField is one of the audience's merge fields.
type mergeField struct {
	Tag  string `json:"tag"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// fieldMap is the audience's merge fields. The default tags (FNAME, LNAME,
// ADDRESS, PHONE) are editable, so they are used only when present.
type fieldMap struct {
	byTag  map[string]mergeField
	byName map[string]string // lower-cased name → tag
}

func newFieldMap(fs []mergeField) *fieldMap {
	m := &fieldMap{byTag: map[string]mergeField{}, byName: map[string]string{}}
	for _, f := range fs {
		m.add(f)
	}
	return m
}

func (m *fieldMap) add(f mergeField) {
	m.byTag[f.Tag] = f
	if _, dup := m.byName[strings.ToLower(f.Name)]; !dup {
		m.byName[strings.ToLower(f.Name)] = f.Tag
	}
}

// find returns the tag of the field for a custom name: a field of that name
// or of the tag the name would get.
func (m *fieldMap) find(name string) (string, bool) {
	if tag, ok := m.byName[strings.ToLower(name)]; ok {
		return tag, true
	}
	tag := tagBase(name)
	_, ok := m.byTag[tag]
	return tag, ok
}

// companyName is the merge field Company goes to unless the audience has
// one named "Company" already.
const companyName = "Company"

// standard tags that canonical fields map to.
var standard = map[string]bool{"FNAME": true, "LNAME": true, "ADDRESS": true, "PHONE": true}

// tagBase derives a merge tag from a name: upper-case letters, digits and
// underscores, at most 10 characters (Mailchimp's limit).
func tagBase(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case r == ' ' || r == '_' || r == '-':
			b.WriteByte('_')
		}
		if b.Len() == 10 {
			break
		}
	}
	tag := strings.Trim(b.String(), "_")
	if tag == "" {
		tag = "FIELD"
	}
	return tag
}

// uniqueTag makes tagBase(name) unique among the audience's tags by
// replacing its end with a number, staying within 10 characters.
func (m *fieldMap) uniqueTag(name string) string {
	base := tagBase(name)
	tag := base
	for i := 2; ; i++ {
		if _, taken := m.byTag[tag]; !taken {
			return tag
		}
		suffix := fmt.Sprint(i)
		tag = base[:min(len(base), 10-len(suffix))] + suffix
	}
}

// mergeFields loads the audience's merge fields once.
func (t *Target) mergeFields(ctx context.Context, listID string) (*fieldMap, error) {
	t.mu.Lock()
	fm := t.fields
	t.mu.Unlock()
	if fm != nil {
		return fm, nil
	}
	v, err, _ := t.loads.Do("fields", func() (any, error) { return t.loadFields(ctx, listID) })
	if err != nil {
		return nil, err
	}
	return v.(*fieldMap), nil
}

func (t *Target) loadFields(ctx context.Context, listID string) (*fieldMap, error) {
	var all []mergeField
	for offset := 0; ; offset += 1000 {
		var page struct {
			MergeFields []mergeField `json:"merge_fields"`
			TotalItems  int          `json:"total_items"`
		}
		path := fmt.Sprintf("/lists/%s/merge-fields?count=1000&offset=%d&fields=merge_fields.tag,merge_fields.name,merge_fields.type,total_items", listID, offset)
		if err := t.call(ctx, "list merge fields", "GET", path, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.MergeFields...)
		if len(page.MergeFields) == 0 || len(all) >= page.TotalItems {
			break
		}
	}
	fm := newFieldMap(all)
	t.mu.Lock()
	if t.fields == nil {
		t.fields = fm
	}
	fm = t.fields
	t.mu.Unlock()
	return fm, nil
}

// ensureFields creates the merge fields the writes need and the audience
// lacks: Company (unless a field is named so) and every custom name.
// Creation is serialised; the field map is replaced, never changed, so
// readers need no lock. A field another writer created first is found by
// reloading.
func (t *Target) ensureFields(ctx context.Context, listID string, writes []connectors.Write) (*fieldMap, error) {
	fm, err := t.mergeFields(ctx, listID)
	if err != nil {
		return nil, err
	}
	var need []string
	for _, w := range writes {
		if w.Company != "" {
			need = append(need, companyName)
		}
		for name := range w.Custom {
			need = append(need, name)
		}
	}
	missing := func(fm *fieldMap) bool {
		for _, n := range need {
			if _, ok := fm.find(n); !ok {
				return true
			}
		}
		return false
	}
	if !missing(fm) {
		return fm, nil
	}
	t.fieldMu.Lock()
	defer t.fieldMu.Unlock()
	if fm, err = t.mergeFields(ctx, listID); err != nil {
		return nil, err
	}
	for _, name := range need {
		if _, ok := fm.find(name); ok {
			continue
		}
		f := mergeField{Tag: fm.uniqueTag(name), Name: name, Type: "text"}
		err := t.call(ctx, "create merge field "+f.Tag, "POST", "/lists/"+listID+"/merge-fields",
			map[string]any{"name": f.Name, "tag": f.Tag, "type": f.Type, "required": false, "public": false}, &f)
		if connectors.KindOf(err) == connectors.KindInvalid {
			// Perhaps created meanwhile by another connection: look again.
			t.mu.Lock()
			t.fields = nil
			t.mu.Unlock()
			if fm, err = t.mergeFields(ctx, listID); err != nil {
				return nil, err
			}
			if _, ok := fm.find(name); ok {
				continue
			}
			return nil, errorf(connectors.KindInvalid, "create merge field", "merge field %q for %q could not be created", f.Tag, name)
		}
		if err != nil {
			return nil, err
		}
		fm = fm.with(f)
		t.mu.Lock()
		t.fields = fm
		t.mu.Unlock()
	}
	return fm, nil
}

// with returns a copy of m with f added.
func (m *fieldMap) with(f mergeField) *fieldMap {
	out := &fieldMap{byTag: make(map[string]mergeField, len(m.byTag)+1), byName: make(map[string]string, len(m.byName)+1)}
	for k, v := range m.byTag {
		out.byTag[k] = v
	}
	for k, v := range m.byName {
		out.byName[k] = v
	}
	out.add(f)
	return out
}

// values turns a write into merge field values. Empty fields are left out
// (left as they are); an incomplete address is left out, since Mailchimp
// refuses the whole member for it.
func (fm *fieldMap) values(w connectors.Write) map[string]any {
	out := map[string]any{}
	set := func(tag, v string) {
		if _, ok := fm.byTag[tag]; ok && v != "" {
			out[tag] = v
		}
	}
	set("FNAME", w.FirstName)
	set("LNAME", w.LastName)
	set("PHONE", w.Phone)
	if tag, ok := fm.find(companyName); ok {
		set(tag, w.Company)
	}
	for name, v := range w.Custom {
		if tag, ok := fm.find(name); ok {
			set(tag, v)
		}
	}
	if f, ok := fm.byTag["ADDRESS"]; ok && !w.Address.IsZero() {
		a := w.Address
		switch {
		case f.Type != "address":
			out["ADDRESS"] = strings.Join(nonEmpty(a.Street, a.City, a.Region, a.PostalCode, a.Country), ", ")
		case a.Street != "" && a.City != "" && a.Region != "" && a.PostalCode != "":
			out["ADDRESS"] = map[string]string{"addr1": a.Street, "addr2": "", "city": a.City, "state": a.Region,
				"zip": a.PostalCode, "country": a.Country}
		}
	}
	return out
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// contact reads merge values back into a TargetContact. Custom holds the
// other fields by name (as written), lower-cased name and tag, so the
// engine finds them under the name its mapping uses.
func (fm *fieldMap) contact(tc *connectors.TargetContact, merge map[string]any) {
	companyTag, _ := fm.find(companyName)
	for tag, v := range merge {
		switch tag {
		case "FNAME":
			tc.FirstName = text(v)
		case "LNAME":
			tc.LastName = text(v)
		case "PHONE":
			tc.Phone = text(v)
		case "ADDRESS":
			if a, ok := v.(map[string]any); ok {
				tc.Address = connectors.Address{Street: text(a["addr1"]), City: text(a["city"]), Region: text(a["state"]),
					PostalCode: text(a["zip"]), Country: text(a["country"])}
			}
		}
		if tag == companyTag {
			tc.Company = text(v)
		}
		if standard[tag] || text(v) == "" {
			continue
		}
		if tc.Custom == nil {
			tc.Custom = map[string]string{}
		}
		tc.Custom[tag] = text(v)
		if f, ok := fm.byTag[tag]; ok {
			tc.Custom[f.Name] = text(v)
			tc.Custom[strings.ToLower(f.Name)] = text(v)
		}
	}
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}
