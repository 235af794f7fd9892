package constantcontact

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/contactsync/contactsync/connectors"
)

// Check verifies the credentials, resolves the list (creating it when the
// spec says so) and reports its member count.
func (t *Target) Check(ctx context.Context) (connectors.ListInfo, error) {
	t.resolveMu.Lock()
	defer t.resolveMu.Unlock()
	info, err := t.resolveList(ctx)
	if err != nil {
		return connectors.ListInfo{}, err
	}
	t.mu.Lock()
	t.list = info
	t.mu.Unlock()
	return info, nil
}

// resolveList finds the list by ID or by exact name; callers hold resolveMu.
func (t *Target) resolveList(ctx context.Context) (connectors.ListInfo, error) {
	ref := strings.TrimSpace(t.spec.List)
	if _, err := uuid.Parse(ref); err == nil {
		var l listJSON
		_, err := t.api.call(ctx, "get list", http.MethodGet, "/contact_lists/"+url.PathEscape(ref),
			url.Values{"include_membership_count": {"all"}}, nil, &l)
		if connectors.KindOf(err) == connectors.KindNotFound {
			return connectors.ListInfo{}, &connectors.Error{Kind: connectors.KindNotFound, Provider: Provider, Op: "get list",
				StatusCode: http.StatusNotFound, Message: "no contact list has the ID " + ref + " in this Constant Contact account"}
		}
		if err != nil {
			return connectors.ListInfo{}, err
		}
		return connectors.ListInfo{ID: l.ListID, Name: l.Name, MemberCount: l.MembershipCount}, nil
	}
	l, err := t.findList(ctx, ref, true)
	if err != nil {
		return connectors.ListInfo{}, err
	}
	if l == nil {
		if !t.spec.CreateIfMissing {
			return connectors.ListInfo{}, &connectors.Error{Kind: connectors.KindNotFound, Provider: Provider, Op: "find list",
				Message: "no contact list is named " + quote(ref) + " in this Constant Contact account; create it or set spec.constantContact.createIfMissing"}
		}
		if l, err = t.createList(ctx, ref); err != nil {
			return connectors.ListInfo{}, err
		}
	}
	return connectors.ListInfo{ID: l.ListID, Name: l.Name, MemberCount: l.MembershipCount}, nil
}

// findList GETs a list by its exact name ("name" filter), or nil.
func (t *Target) findList(ctx context.Context, name string, count bool) (*listJSON, error) {
	q := url.Values{"name": {name}}
	if count {
		q.Set("include_membership_count", "all")
	}
	var found *listJSON
	err := paginate(ctx, t.api, "find list", "/contact_lists", q, func(p *listsPage) error {
		for _, l := range p.Lists {
			if found == nil && strings.EqualFold(l.Name, name) {
				found = &l
			}
		}
		return nil
	})
	return found, err
}

// createList creates a list; a 409 means another writer created it first.
func (t *Target) createList(ctx context.Context, name string) (*listJSON, error) {
	var l listJSON
	_, err := t.api.call(ctx, "create list", http.MethodPost, "/contact_lists", nil, map[string]any{"name": name}, &l)
	var ce *connectors.Error
	if errors.As(err, &ce) && ce.StatusCode == http.StatusConflict {
		found, ferr := t.findList(ctx, name, false)
		if ferr != nil || found != nil {
			return found, ferr
		}
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// groupIDs resolves group names to list IDs, creating missing lists.
func (t *Target) groupIDs(ctx context.Context, names []string) ([]string, error) {
	ids := make([]string, 0, len(names))
	for _, name := range names {
		t.mu.Lock()
		id := t.cat.listID[strings.ToLower(name)]
		t.mu.Unlock()
		if id == "" {
			l, err := t.createList(ctx, name)
			if err != nil {
				return nil, err
			}
			t.mu.Lock()
			t.cat.addList(*l)
			t.mu.Unlock()
			id = l.ListID
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// fieldID resolves a custom field by the key a ContactSync uses, creating
// a text field with that label when the account has none.
func (t *Target) fieldID(ctx context.Context, key string) (string, error) {
	t.mu.Lock()
	id := t.cat.fieldID[key]
	if id == "" {
		id = t.cat.fieldID[strings.ToLower(key)]
	}
	if id != "" {
		t.cat.fieldKey[id] = key
	}
	t.mu.Unlock()
	if id != "" {
		return id, nil
	}
	var f fieldJSON
	_, err := t.api.call(ctx, "create custom field", http.MethodPost, "/contact_custom_fields", nil,
		map[string]any{"label": key, "type": "string"}, &f)
	var ce *connectors.Error
	if errors.As(err, &ce) && ce.StatusCode == http.StatusConflict {
		return "", &connectors.Error{Kind: connectors.KindInvalid, Provider: Provider, Op: "create custom field",
			StatusCode: ce.StatusCode, Message: "custom field " + quote(key) + " cannot be created: " + ce.Message +
				" (an account holds at most 100 custom fields)"}
	}
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	t.cat.addField(f, key)
	t.mu.Unlock()
	return f.ID, nil
}

// tagID resolves a tag by name, creating it when missing.
func (t *Target) tagID(ctx context.Context, name string) (string, error) {
	t.mu.Lock()
	id := t.cat.tagID[strings.ToLower(name)]
	t.mu.Unlock()
	if id != "" {
		return id, nil
	}
	var tg tagJSON
	_, err := t.api.call(ctx, "create tag", http.MethodPost, "/contact_tags", nil, map[string]any{"name": name}, &tg)
	var ce *connectors.Error
	if errors.As(err, &ce) && ce.StatusCode == http.StatusConflict {
		cat, lerr := t.loadCatalog(ctx)
		if lerr != nil {
			return "", lerr
		}
		if id = cat.tagID[strings.ToLower(name)]; id != "" {
			t.mu.Lock()
			t.cat.addTag(tagJSON{ID: id, Name: name})
			t.mu.Unlock()
			return id, nil
		}
	}
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	t.cat.addTag(tg)
	t.mu.Unlock()
	return tg.ID, nil
}

func quote(s string) string { return `"` + s + `"` }
