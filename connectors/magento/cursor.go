package magento

import (
	"encoding/base64"
	"encoding/json"
	"slices"

	"github.com/contactsync/contactsync/connectors"
)

// cursor is where a stream resumes: for customers and for orders, the
// latest updated_at delivered (Magento's own "YYYY-MM-DD HH:MM:SS", second
// resolution) and the IDs already delivered at that very second, so that
// the next run asks for updated_at >= watermark without losing rows saved
// later in the same second nor repeating the ones it had. It travels as
// base64url JSON, so it survives restarts and can be read when debugging.
type cursor struct {
	V         int     `json:"v"`
	Customers string  `json:"c,omitempty"`
	CustIDs   []int64 `json:"ci,omitempty"`
	Orders    string  `json:"o,omitempty"`
	OrderIDs  []int64 `json:"oi,omitempty"`
}

const cursorVersion = 1

func (c cursor) encode() string {
	c.V = cursorVersion
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor; "" is the zero cursor (a full pass). Garbage
// is an Invalid error naming the cursor, never a silent full pass.
func decodeCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err == nil && c.V != cursorVersion {
		err = errVersion
	}
	if err == nil {
		for _, ts := range []string{c.Customers, c.Orders} {
			if ts != "" {
				if _, err = parseTime(ts); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		return cursor{}, &connectors.Error{Kind: connectors.KindInvalid, Provider: Name, Op: "read cursor",
			Message: "the cursor is not one this connector wrote; clear status.cursor to start a full pass", Err: err}
	}
	return c, nil
}

type cursorError string

func (e cursorError) Error() string { return string(e) }

const errVersion = cursorError("unknown cursor version")

// mark is a watermark with the IDs delivered at its second.
type mark struct {
	at  string
	ids []int64
	max int
}

// seen reports whether a row was delivered by an earlier run.
func (m *mark) seen(updated string, id int64) bool {
	return updated == m.at && slices.Contains(m.ids, id)
}

// advance records a delivered row. Past max IDs at one second (a bulk
// import) the rest are not recorded: they will be delivered again, which
// is harmless, rather than lost.
func (m *mark) advance(updated string, id int64) {
	switch {
	case updated > m.at:
		m.at, m.ids = updated, []int64{id}
	case updated == m.at && len(m.ids) < m.max && !slices.Contains(m.ids, id):
		m.ids = append(m.ids, id)
	}
}
