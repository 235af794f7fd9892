package quickbooks

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// cursor is where a stream resumes. It is base64url JSON, so it survives a
// restart and reads in a debugger.
type cursor struct {
	V     int    `json:"v"`
	Realm string `json:"realm"`
	// Mode is modeFull (a pass through every customer is under way) or modeCDC.
	Mode string `json:"mode"`
	// Since is CDC's changedSince: for modeFull, when the pass began, so
	// that CDC picks up what changed during it.
	Since time.Time `json:"since"`
	// After is the full pass's inclusive LastUpdatedTime watermark.
	After time.Time `json:"after,omitzero"`
	// Seen are the objects at the boundary (Entity:Id:SyncToken) already
	// delivered: with an inclusive watermark they come back and are dropped.
	Seen []string `json:"seen,omitempty"`
}

const (
	cursorVersion = 1
	modeFull      = "full"
	modeCDC       = "cdc"
)

func (c cursor) encode() string {
	c.V = cursorVersion
	b, _ := json.Marshal(c) // plain data: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor; anything else is a KindInvalid error that
// names the cursor (the engine then resets it to run a full pass).
func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	bad := func(why string) error {
		shown := s
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return &connectors.Error{Kind: connectors.KindInvalid, Provider: Provider, Op: "read cursor",
			Message: "cursor " + `"` + shown + `"` + " is not a QuickBooks cursor (" + why + "): clear status.cursor to run a full sync"}
	}
	switch {
	case err != nil:
		return c, bad("not base64url JSON")
	case c.V != cursorVersion:
		return c, bad("unknown version")
	case c.Mode != modeFull && c.Mode != modeCDC:
		return c, bad("unknown mode")
	case c.Since.IsZero():
		return c, bad("no since time")
	}
	return c, nil
}
