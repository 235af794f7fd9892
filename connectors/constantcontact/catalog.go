package constantcontact

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/contactsync/contactsync/connectors"
)

type links struct {
	Next *struct {
		Href string `json:"href"`
	} `json:"next"`
}

func (l links) next() string {
	if l.Next == nil {
		return ""
	}
	return l.Next.Href
}

// paginate GETs path and follows _links.next.href until it is absent.
func paginate[T any, P interface {
	*T
	nextHref() string
}](ctx context.Context, c *client, op, path string, q url.Values, fn func(*T) error) error {
	seen := map[string]bool{}
	for {
		p := P(new(T))
		if _, err := c.call(ctx, op, http.MethodGet, path, q, nil, p); err != nil {
			return err
		}
		if err := fn((*T)(p)); err != nil {
			return err
		}
		next := p.nextHref()
		if next == "" || seen[next] {
			return nil
		}
		seen[next] = true
		path, q = next, nil // the href carries its own query
	}
}

type listJSON struct {
	ListID          string `json:"list_id"`
	Name            string `json:"name"`
	MembershipCount int64  `json:"membership_count"`
}

type listsPage struct {
	Lists []listJSON `json:"lists"`
	Links links      `json:"_links"`
}

func (p *listsPage) nextHref() string { return p.Links.next() }

type fieldJSON struct {
	ID    string `json:"custom_field_id"`
	Label string `json:"label"`
	Name  string `json:"name"`
}

type fieldsPage struct {
	Fields []fieldJSON `json:"custom_fields"`
	Links  links       `json:"_links"`
}

func (p *fieldsPage) nextHref() string { return p.Links.next() }

type tagJSON struct {
	ID   string `json:"tag_id"`
	Name string `json:"name"`
}

type tagsPage struct {
	Tags  []tagJSON `json:"tags"`
	Links links     `json:"_links"`
}

func (p *tagsPage) nextHref() string { return p.Links.next() }

// catalog maps the account's lists, custom fields and tags between names
// and IDs. Lists and tags match by name case-insensitively; custom fields
// by the key a ContactSync uses, their API name or their label.
type catalog struct {
	listName  map[string]string // id → name
	listID    map[string]string // lower name → id
	fieldID   map[string]string // key, name or lower label → id
	fieldName map[string]string // id → API name, for "cf:<name>" import columns
	fieldKey  map[string]string // id → key reported in TargetContact.Custom
	tagID     map[string]string // lower name → id
	tagName   map[string]string // id → name
}

func (c *catalog) addList(l listJSON) {
	c.listName[l.ListID] = l.Name
	c.listID[strings.ToLower(l.Name)] = l.ListID
}

func (c *catalog) addField(f fieldJSON, key string) {
	c.fieldName[f.ID] = f.Name
	c.fieldID[f.Name] = f.ID
	c.fieldID[strings.ToLower(f.Label)] = f.ID
	if key == "" {
		key = f.Name
	}
	c.fieldID[key] = f.ID
	c.fieldKey[f.ID] = key
}

func (c *catalog) addTag(t tagJSON) {
	c.tagName[t.ID] = t.Name
	c.tagID[strings.ToLower(t.Name)] = t.ID
}

// loadCatalog reads every list, custom field and tag: three calls for a
// usual account (the API caps custom fields at 100 per account).
func (t *Target) loadCatalog(ctx context.Context) (*catalog, error) {
	c := &catalog{listName: map[string]string{}, listID: map[string]string{}, fieldID: map[string]string{},
		fieldName: map[string]string{}, fieldKey: map[string]string{}, tagID: map[string]string{}, tagName: map[string]string{}}
	err := paginate(ctx, t.api, "list contact lists", "/contact_lists", url.Values{"limit": {"1000"}},
		func(p *listsPage) error {
			for _, l := range p.Lists {
				c.addList(l)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = paginate(ctx, t.api, "list custom fields", "/contact_custom_fields", url.Values{"limit": {"100"}},
		func(p *fieldsPage) error {
			for _, f := range p.Fields {
				c.addField(f, "")
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = paginate(ctx, t.api, "list tags", "/contact_tags", url.Values{"limit": {"500"}},
		func(p *tagsPage) error {
			for _, tg := range p.Tags {
				c.addTag(tg)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ready resolves the main list and loads the catalog once.
func (t *Target) ready(ctx context.Context) (connectors.ListInfo, *catalog, error) {
	t.resolveMu.Lock()
	defer t.resolveMu.Unlock()
	t.mu.Lock()
	info, cat := t.list, t.cat
	t.mu.Unlock()
	if info.ID == "" {
		var err error
		if info, err = t.resolveList(ctx); err != nil {
			return info, nil, err
		}
	}
	if cat == nil {
		var err error
		if cat, err = t.loadCatalog(ctx); err != nil {
			return info, nil, err
		}
	}
	t.mu.Lock()
	t.list, t.cat = info, cat
	t.mu.Unlock()
	return info, cat, nil
}
