package integration

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	cc "github.com/contactsync/contactsync/connectors/constantcontact/constantcontacttest"
	qbo "github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
	"github.com/contactsync/contactsync/internal/sandbox"
)

// seedCase is what a seeded QuickBooks customer is meant to exercise.
type seedCase int

const (
	caseNew seedCase = iota
	caseNoEmail
	caseInvalidEmail
	caseInactive
	// caseUnsubscribedInTarget: the address unsubscribed in Constant Contact.
	caseUnsubscribedInTarget
	// caseExisting: the address is in Constant Contact with explicit
	// permission, not in the list; it keeps its permission.
	caseExisting
	// caseTwoEmails: two addresses typed into the one email field.
	caseTwoEmails
	// caseOddCase: the address in capitals with spaces around it.
	caseOddCase
)

// caseOf spreads the cases over the population: one in twenty of each.
func caseOf(i int) seedCase {
	switch i % 20 {
	case 1:
		return caseNoEmail
	case 2:
		return caseInvalidEmail
	case 3:
		return caseInactive
	case 4:
		return caseUnsubscribedInTarget
	case 5:
		return caseExisting
	case 6:
		return caseTwoEmails
	case 7:
		return caseOddCase
	}
	return caseNew
}

// invalidForms are addresses every target refuses, as users type them.
var invalidForms = []string{"%s@", "%s.example.com", "%s@example", "%s@@example.com"}

// seeded is one customer seeded into QuickBooks and what the sync must make of it.
type seeded struct {
	ID          string
	Case        seedCase
	First, Last string
	// Raw is what the email field holds; Email the identity expected in
	// the target ("" when none).
	Raw, Email string
}

// inTarget reports whether the sync must put the customer in the list.
func (s seeded) inTarget() bool {
	switch s.Case {
	case caseNew, caseExisting, caseTwoEmails, caseOddCase:
		return true
	}
	return false
}

// seedQuickBooks adds n generated customers with the seed cases to the
// QuickBooks emulator, and the target-side state of the cases to the
// Constant Contact emulator.
func seedQuickBooks(t *testing.T, qb *qbo.Emulator, target *cc.Emulator, n int) []seeded {
	t.Helper()
	o := sandbox.GenOptions{Seed: 11, Now: qb.Now(), SubscribedShare: 0.6, CompanyShare: 0.3, MaxOrders: 3}
	people := sandbox.People(n, o) // no share of bad emails or inactive people: the cases below set them
	out := make([]seeded, 0, n)
	for i, p := range people {
		s := seeded{Case: caseOf(i), First: p.FirstName, Last: p.LastName, Raw: p.Email, Email: p.Email}
		active := s.Case != caseInactive
		switch s.Case {
		case caseNoEmail:
			s.Raw, s.Email = "", ""
		case caseInvalidEmail:
			s.Raw = fmt.Sprintf(invalidForms[i%len(invalidForms)], strings.Split(p.Email, "@")[0])
			s.Email = ""
		case caseTwoEmails:
			s.Raw = p.Email + ", " + sandbox.EmailFor(p.LastName, p.FirstName, i+100000)
		case caseOddCase:
			s.Raw = "  " + strings.ToUpper(p.Email) + " "
		case caseUnsubscribedInTarget:
			seedTarget(t, target, cc.SeedContact{Email: p.Email, Permission: cc.PermUnsubscribe})
		case caseExisting:
			seedTarget(t, target, cc.SeedContact{Email: p.Email, Permission: cc.PermExplicit, FirstName: "Formerly"})
		}
		c := qbo.Customer{
			GivenName: p.FirstName, FamilyName: p.LastName, CompanyName: p.Company,
			DisplayName:  fmt.Sprintf("%s %s %d", p.FirstName, p.LastName, i),
			Active:       &active,
			PrimaryPhone: &qbo.TelephoneNumber{FreeFormNumber: p.Phone},
			BillAddr: &qbo.PhysicalAddress{Line1: p.Street, City: p.City, CountrySubDivisionCode: p.Region,
				PostalCode: p.PostalCode, Country: p.Country},
		}
		if s.Raw != "" {
			c.PrimaryEmailAddr = &qbo.EmailAddress{Address: s.Raw}
		}
		stored, err := qb.UpsertCustomer(c)
		if err != nil {
			t.Fatalf("seeding customer %d: %v", i, err)
		}
		s.ID = stored.Id
		for _, ord := range p.Orders {
			if _, err := qb.AddTransaction(qbo.EntityInvoice, s.ID, ord.Date, ord.Amount); err != nil {
				t.Fatalf("seeding an invoice of customer %s: %v", s.ID, err)
			}
		}
		out = append(out, s)
	}
	return out
}

func seedTarget(t *testing.T, target *cc.Emulator, c cc.SeedContact) {
	t.Helper()
	if err := target.Seed(c); err != nil {
		t.Fatalf("seeding Constant Contact: %v", err)
	}
}

// count returns how many seeded customers have a case.
func count(ss []seeded, c seedCase) int64 {
	var n int64
	for _, s := range ss {
		if s.Case == c {
			n++
		}
	}
	return n
}

// quickBooksSource creates the Secret and the SourceConnection of a
// QuickBooks emulator served at url.
func quickBooksSource(t *testing.T, ns, name string, qb *qbo.Emulator, url string, labels map[string]string) *csv1.SourceConnection {
	t.Helper()
	createSecret(t, ns, name+"-credentials", qb.Credentials())
	sc := &csv1.SourceConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: csv1.SourceConnectionSpec{
			QuickBooks:     &csv1.QuickBooksSource{RealmID: qb.RealmID(), Environment: "production"},
			Endpoint:       url,
			CredentialsRef: csv1.LocalObjectReference{Name: name + "-credentials"},
		},
	}
	create(t, sc)
	return sc
}

// constantContactTarget creates the Secret and the ListTarget of a Constant
// Contact emulator served at url, writing into list.
func constantContactTarget(t *testing.T, ns, name string, e *cc.Emulator, url, list string, labels map[string]string) *csv1.ListTarget {
	t.Helper()
	createSecret(t, ns, name+"-credentials", e.Credentials())
	lt := &csv1.ListTarget{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: csv1.ListTargetSpec{
			ConstantContact: &csv1.ConstantContactTarget{List: list},
			Endpoint:        url,
			CredentialsRef:  csv1.LocalObjectReference{Name: name + "-credentials"},
		},
	}
	create(t, lt)
	return lt
}

// secretValues returns every value of the Secrets in a namespace: none of
// them may appear in a status, an Event or a log line.
func secretValues(t *testing.T, ns string) []string {
	t.Helper()
	var list corev1.SecretList
	if err := k8s.List(t.Context(), &list, client.InNamespace(ns)); err != nil {
		t.Fatalf("listing Secrets: %v", err)
	}
	var out []string
	for _, s := range list.Items {
		for k, v := range s.Data {
			if len(v) >= 8 && k != "expiry" && k != "descends-from" && k != "client-id" {
				out = append(out, string(v))
			}
		}
	}
	return out
}
