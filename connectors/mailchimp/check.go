package mailchimp

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/contactsync/contactsync/connectors"
)

// listIDPattern is the shape of an audience id: 10 lower-case hex digits.
var listIDPattern = regexp.MustCompile(`^[0-9a-f]{10}$`)

type listDoc struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Stats struct {
		MemberCount   int64 `json:"member_count"`
		TotalContacts int64 `json:"total_contacts"`
	} `json:"stats"`
}

func (l listDoc) info() connectors.ListInfo {
	n := l.Stats.TotalContacts
	if n == 0 {
		n = l.Stats.MemberCount
	}
	return connectors.ListInfo{ID: l.ID, Name: l.Name, MemberCount: n}
}

const listFields = "id,name,stats.member_count,stats.total_contacts"

// Check verifies the credentials and resolves the audience by ID or, since
// GET /lists has no name filter, by paging through the account's lists.
func (t *Target) Check(ctx context.Context) (connectors.ListInfo, error) {
	const op = "resolve audience"
	if listIDPattern.MatchString(t.audience) {
		var l listDoc
		err := t.call(ctx, op, "GET", "/lists/"+t.audience+"?fields="+listFields, nil, &l)
		if err == nil {
			return t.setList(l.info()), nil
		}
		if connectors.KindOf(err) != connectors.KindNotFound {
			return connectors.ListInfo{}, err
		}
		// An audience may be named like an id: look it up by name too.
	}
	var names []string
	for offset := 0; ; offset += 1000 {
		var page struct {
			Lists      []listDoc `json:"lists"`
			TotalItems int       `json:"total_items"`
		}
		q := url.Values{"count": {"1000"}, "offset": {strconv.Itoa(offset)},
			"fields": {"total_items,lists." + strings.ReplaceAll(listFields, ",", ",lists.")}}
		if err := t.call(ctx, op, "GET", "/lists?"+q.Encode(), nil, &page); err != nil {
			return connectors.ListInfo{}, err
		}
		for _, l := range page.Lists {
			if l.Name == t.audience {
				return t.setList(l.info()), nil
			}
			names = append(names, l.Name)
		}
		if len(page.Lists) == 0 || offset+len(page.Lists) >= page.TotalItems {
			break
		}
	}
	// No exact match: accept a unique case-insensitive one.
	var match []string
	for _, n := range names {
		if strings.EqualFold(n, t.audience) {
			match = append(match, n)
		}
	}
	if len(match) == 1 {
		t.audience = match[0]
		return t.Check(ctx)
	}
	return connectors.ListInfo{}, notFound(op, "audience \""+t.audience+"\" was not found in this Mailchimp account"+
		seen(names)+": set spec.mailchimp.audience to an existing audience's name or list ID")
}

func seen(names []string) string {
	if len(names) == 0 {
		return " (it has no audiences)"
	}
	if len(names) > 10 {
		names = append(names[:10:10], "…")
	}
	return " (it has: " + strings.Join(names, ", ") + ")"
}

func (t *Target) setList(l connectors.ListInfo) connectors.ListInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.list.ID != l.ID {
		// Another audience: what we knew of the old one no longer holds.
		t.fields, t.segments, t.snap, t.size = nil, nil, nil, sizeHint{}
	}
	t.list = l
	t.log.V(1).Info("resolved Mailchimp audience", "id", l.ID, "name", l.Name, "members", l.MemberCount)
	return l
}

// listID resolves the audience on first use.
func (t *Target) listID(ctx context.Context) (string, error) {
	t.mu.Lock()
	id := t.list.ID
	t.mu.Unlock()
	if id != "" {
		return id, nil
	}
	l, err := t.Check(ctx)
	return l.ID, err
}
