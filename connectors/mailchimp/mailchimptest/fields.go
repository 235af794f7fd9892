package mailchimptest

import (
	"net/http"
	"strings"
)

// fieldTree is a set of dotted paths ("members.email_address") as a tree.
type fieldTree map[string]fieldTree

func parseFields(v string) fieldTree {
	if v == "" {
		return nil
	}
	t := fieldTree{}
	for _, path := range strings.Split(v, ",") {
		node := t
		for _, k := range strings.Split(strings.TrimSpace(path), ".") {
			if node[k] == nil {
				node[k] = fieldTree{}
			}
			node = node[k]
		}
	}
	return t
}

// applyFields honours the fields and exclude_fields parameters every GET
// accepts: comma lists with dot notation into sub-objects and arrays.
func applyFields(r *http.Request, body any) any {
	q := r.URL.Query()
	if inc := parseFields(q.Get("fields")); inc != nil {
		body = include(body, inc)
	}
	if exc := parseFields(q.Get("exclude_fields")); exc != nil {
		body = exclude(body, exc)
	}
	return body
}

func include(v any, t fieldTree) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, sub := range t {
			if val, ok := x[k]; ok {
				if len(sub) == 0 {
					out[k] = val
				} else {
					out[k] = include(val, sub)
				}
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = include(e, t)
		}
		return out
	}
	return v
}

func exclude(v any, t fieldTree) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			sub, named := t[k]
			switch {
			case !named:
				out[k] = val
			case len(sub) > 0:
				out[k] = exclude(val, sub)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = exclude(e, t)
		}
		return out
	}
	return v
}
