package kibo

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// key is a position in a listing sorted by auditInfo.updateDate, then id:
// everything at or before it has been delivered.
type key struct {
	At time.Time `json:"t"`
	ID string    `json:"id,omitempty"`
}

// after reports whether an item (at, id) comes after k.
func (k key) after(at time.Time, id string) bool {
	if c := at.Compare(k.At); c != 0 {
		return c > 0
	}
	return compareIDs(id, k.ID) > 0
}

// compareIDs orders IDs as Kibo sorts them: account IDs are integers,
// order IDs are fixed-length hex strings.
func compareIDs(a, b string) int {
	if isDigits(a) && isDigits(b) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) - len(b)
		}
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// cursor is the resumable state of a stream: base64url of its JSON.
// Accounts resume after Accounts (nil: from the beginning, a full pass);
// purchases changed after Orders send their accounts again (nil: not
// tracked yet, as before the first full pass ends).
type cursor struct {
	V        int  `json:"v"`
	Accounts *key `json:"a,omitempty"`
	Orders   *key `json:"o,omitempty"`
}

const cursorVersion = 1

func (c cursor) encode() string {
	c.V = cursorVersion
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseCursor reads a cursor; "" is a full pass. Anything else that is not
// one of ours is an Invalid error naming it, since guessing would either
// resend everything or skip changes.
func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	bad := func(why string) error {
		shown := s
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return &connectors.Error{Kind: connectors.KindInvalid, Provider: provider, Op: "read cursor",
			Message: fmt.Sprintf("cursor %q is not a Kibo cursor (%s); clear status.cursor to run a full sync", shown, why)}
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad("not base64url")
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return cursor{}, bad("not its JSON")
	}
	if c.V != cursorVersion {
		return cursor{}, bad(fmt.Sprintf("version %d", c.V))
	}
	for _, k := range []*key{c.Accounts, c.Orders} {
		if k != nil && k.At.IsZero() {
			return cursor{}, bad("a watermark without a time")
		}
	}
	return c, nil
}
