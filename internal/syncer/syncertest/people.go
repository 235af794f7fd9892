package syncertest

import (
	"strconv"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/internal/sandbox"
)

// FromPeople turns generated people into canonical contacts, as a source
// connector would: opt-in becomes Subscribed or NotSubscribed, orders
// become purchases.
func FromPeople(people []sandbox.Person) []connectors.Contact {
	out := make([]connectors.Contact, len(people))
	for i, p := range people {
		out[i] = FromPerson(p)
	}
	return out
}

// FromPerson turns one generated person into a contact.
func FromPerson(p sandbox.Person) connectors.Contact {
	c := connectors.Contact{
		SourceID: strconv.Itoa(p.N + 1), Email: p.Email, FirstName: p.FirstName, LastName: p.LastName,
		Company: p.Company, Phone: p.Phone,
		Address: connectors.Address{Street: p.Street, City: p.City, Region: p.Region, PostalCode: p.PostalCode, Country: p.Country},
		Active:  p.Active, Consent: connectors.ConsentNotSubscribed, UpdatedAt: p.Updated,
	}
	if p.Subscribed {
		c.Consent = connectors.ConsentSubscribed
	}
	for _, o := range p.Orders {
		c.Purchases.Count++
		c.Purchases.Total += o.Amount
		if c.Purchases.First.IsZero() || o.Date.Before(c.Purchases.First) {
			c.Purchases.First = o.Date
		}
		if o.Date.After(c.Purchases.Last) {
			c.Purchases.Last = o.Date
		}
	}
	return c
}

// Synthetic returns a cheap, deterministic contact i for streams too large
// to generate people for (benchmarks): every seventh has purchases, every
// thirteenth has no email.
func Synthetic(i int, now time.Time) connectors.Contact {
	id := strconv.Itoa(i)
	c := connectors.Contact{
		SourceID: id, Email: "person" + id + "@example.com", FirstName: "First" + id, LastName: "Last",
		Active: true, Consent: connectors.ConsentSubscribed, UpdatedAt: now,
	}
	if i%13 == 0 {
		c.Email = ""
	}
	if i%7 == 0 {
		c.Purchases = connectors.Purchases{Count: 1 + i%3, Total: float64(i % 500), First: now.AddDate(0, 0, -90), Last: now.AddDate(0, 0, -(i % 60))}
	}
	return c
}
