package syncer

import (
	"slices"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// verdict is what the consent rules make of one contact.
type verdict int

const (
	// write: the Write goes to the target.
	write verdict = iota
	// unchanged: the target already holds everything the write would say.
	unchanged
	// optedOutInTarget: the target has the contact opted out; it is never
	// written (DESIGN.md §3 rule 1).
	optedOutInTarget
	// notSubscribed: SubscribersOnly and the contact did not opt in.
	notSubscribed
	// inactiveNew: inactive in the source and not in the target. Inactive
	// contacts are never brought over; those already in the target keep
	// being updated (deactivating later does not remove from the list).
	inactiveNew
)

// decide applies the consent rules, the field mappings and the segments to
// one normalised contact, given what the target knows of it (nil: nothing).
// Segment rules that fail for this contact are returned as errors; their
// membership is left as it is.
func (p *Policy) decide(c *connectors.Contact, tc *connectors.TargetContact, now time.Time) (connectors.Write, verdict, []error) {
	w := connectors.Write{Email: c.Email}
	if tc != nil && tc.Status == connectors.MemberOptedOut {
		return w, optedOutInTarget, nil
	}
	if tc == nil && !c.Active {
		return w, inactiveNew, nil
	}
	if tc == nil && p.spec.Contacts == SubscribersOnly && c.Consent != connectors.ConsentSubscribed {
		return w, notSubscribed, nil
	}
	in, out, errs := p.segmentGroups(c, now)
	if tc == nil {
		var group string
		w.Create = true
		w.Permission, group = p.newContact(c.Consent)
		p.mapFields(c, &w, true)
		w.Tags = slices.Clone(p.spec.Tags)
		if group != "" {
			w.AddGroups = append(w.AddGroups, group)
		}
		w.AddGroups = append(w.AddGroups, in...)
		return w, write, errs
	}

	// An existing contact keeps its status: no Permission, and only a
	// source-side opt-out changes it, when the status allows marketing. A
	// contact without permission (NotSubscribed) cannot be mailed already;
	// leaving it so makes the write of a source opt-out idempotent: creating
	// it with NotSet and seeing it again later (a resumed run, a full pass)
	// end the same.
	w.ID = tc.ID
	w.Unsubscribe = c.Consent == connectors.ConsentOptedOut &&
		(tc.Status == connectors.MemberSubscribed || tc.Status == connectors.MemberPending)
	w.AddToList = !tc.InList
	p.mapFields(c, &w, false)
	changed := w.Unsubscribe || w.AddToList || fieldsDiffer(&w, tc)
	w.Tags = missing(p.spec.Tags, tc.Tags, tc.Groups)
	if s := p.spec.SplitLists; p.spec.Contacts == SplitBySubscription &&
		!slices.Contains(tc.Groups, s.NewSubscribers) && !slices.Contains(tc.Groups, s.NewNonSubscribers) {
		// Contacts this sync created sit in a "new" list; only those that
		// were in the target before go to the existing list.
		in = append(in, s.Existing)
	}
	w.AddGroups = missing(in, tc.Groups)
	for _, g := range out {
		if slices.Contains(tc.Groups, g) {
			w.RemoveGroups = append(w.RemoveGroups, g)
		}
	}
	if !changed && len(w.Tags) == 0 && len(w.AddGroups) == 0 && len(w.RemoveGroups) == 0 {
		return w, unchanged, errs
	}
	return w, write, errs
}

// newContact returns the permission and the split list of a contact the
// target does not have yet. No option gives marketing permission to a
// contact who opted out at the source.
func (p *Policy) newContact(consent connectors.Consent) (connectors.Permission, string) {
	perm := p.spec.NewContactPermission
	switch p.spec.Contacts {
	case SubscribersOnly:
		return connectors.PermissionExplicit, ""
	case SplitBySubscription:
		lists := p.spec.SplitLists
		switch consent {
		case connectors.ConsentSubscribed:
			if perm == connectors.PermissionNotSet {
				// The source says they opted in: that is explicit permission.
				perm = connectors.PermissionExplicit
			}
			return perm, lists.NewSubscribers
		case connectors.ConsentUnknown, "":
			return perm, lists.NewNonSubscribers
		default:
			return connectors.PermissionNotSet, lists.NewNonSubscribers
		}
	}
	if consent == connectors.ConsentOptedOut {
		return connectors.PermissionNotSet, ""
	}
	return perm, ""
}

// fieldsDiffer reports whether w would change a field the target holds.
// Empty fields of w are left as they are, so they never differ.
func fieldsDiffer(w *connectors.Write, tc *connectors.TargetContact) bool {
	differ := func(want, have string) bool { return want != "" && want != have }
	if differ(w.FirstName, tc.FirstName) || differ(w.LastName, tc.LastName) ||
		differ(w.Company, tc.Company) || differ(w.Phone, tc.Phone) {
		return true
	}
	a, b := w.Address, tc.Address
	if differ(a.Street, b.Street) || differ(a.City, b.City) || differ(a.Region, b.Region) ||
		differ(a.PostalCode, b.PostalCode) || differ(a.Country, b.Country) {
		return true
	}
	for k, v := range w.Custom {
		if differ(v, tc.Custom[k]) {
			return true
		}
	}
	return false
}

// missing returns the names of want that none of have holds.
func missing(want []string, have ...[]string) []string {
	var out []string
	for _, w := range want {
		found := false
		for _, h := range have {
			if slices.Contains(h, w) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}
