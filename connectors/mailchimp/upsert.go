package mailchimp

import (
	"context"
	"strings"

	"github.com/contactsync/contactsync/connectors"
)

// batchMember is one member of batch subscribe.
type batchMember struct {
	Email       string         `json:"email_address"`
	Status      string         `json:"status,omitempty"`
	StatusIfNew string         `json:"status_if_new,omitempty"`
	MergeFields map[string]any `json:"merge_fields,omitempty"`
}

type batchResponse struct {
	NewMembers     []memberDoc `json:"new_members"`
	UpdatedMembers []memberDoc `json:"updated_members"`
	Errors         []struct {
		Email        string `json:"email_address"`
		Error        string `json:"error"`
		Code         string `json:"error_code"`
		Field        string `json:"field"`
		FieldMessage string `json:"field_message"`
	} `json:"errors"`
}

// Upsert writes up to 500 contacts with one batch subscribe call
// (update_existing), then applies tag changes with one call per tag.
//
// Consent: a new member gets status_if_new from its permission, which
// Mailchimp applies only when it creates the member, so a contact that
// exists after all (a race with Lookup) keeps its status. "status" is sent
// only to unsubscribe (a source-side opt-out) or to bring an archived
// member back as transactional (AddToList), never to subscribe anyone.
func (t *Target) Upsert(ctx context.Context, writes []connectors.Write) ([]connectors.Result, error) {
	if len(writes) == 0 {
		return nil, nil
	}
	if len(writes) > limits.MaxBatch {
		return nil, invalid("batch subscribe", "at most 500 writes per call")
	}
	listID, err := t.listID(ctx)
	if err != nil {
		return nil, err
	}
	fm, err := t.ensureFields(ctx, listID, writes)
	if err != nil {
		return nil, err
	}
	results := make([]connectors.Result, len(writes))
	last := map[string]int{} // email → index of its last write: the one sent
	var members []batchMember
	for i, w := range writes {
		email := connectors.NormalizeEmail(w.Email)
		results[i] = connectors.Result{Email: w.Email, ID: subscriberHash(email)}
		if email == "" {
			results[i].Outcome, results[i].Message = connectors.OutcomeInvalidEmail, "the write has no email"
			continue
		}
		m := batchMember{Email: email, MergeFields: fm.values(w)}
		switch {
		case w.Unsubscribe:
			m.Status = "unsubscribed"
		case w.Create:
			s, err := statusIfNew(w.Permission)
			if err != nil {
				results[i].Outcome, results[i].Message = connectors.OutcomeFailed, "write for "+connectors.MaskEmail(email)+": "+err.Error()
				continue
			}
			m.StatusIfNew = s
		case w.AddToList:
			// Only archived members are outside a Mailchimp audience;
			// archiving dropped their status, so they come back without
			// marketing permission.
			m.Status = "transactional"
		}
		if j, dup := last[email]; dup {
			members[j] = m
		} else {
			last[email] = len(members)
			members = append(members, m)
		}
	}
	if len(members) == 0 {
		return results, nil
	}
	var resp batchResponse
	if err := t.call(ctx, "batch subscribe", "POST", "/lists/"+listID,
		map[string]any{"members": members, "update_existing": true}, &resp); err != nil {
		return nil, err
	}
	byEmail := map[string]connectors.Result{}
	status := map[string]string{} // member status after the write
	written := map[string]connectors.TargetContact{}
	for i, list := range [][]memberDoc{resp.NewMembers, resp.UpdatedMembers} {
		for _, m := range list {
			tc := t.toContact(fm, m)
			r := connectors.Result{ID: tc.ID, Outcome: connectors.OutcomeUpdated}
			switch {
			case i == 0:
				r.Outcome = connectors.OutcomeCreated
			case m.Status == "archived":
				r.Outcome, r.Message = connectors.OutcomeFailed,
					"the contact is archived in the Mailchimp audience: restore it in Mailchimp to sync it again"
			}
			byEmail[tc.Email] = r
			status[tc.Email] = m.Status
			written[tc.Email] = tc
		}
	}
	for _, e := range resp.Errors {
		email := connectors.NormalizeEmail(e.Email)
		byEmail[email] = connectors.Result{ID: subscriberHash(email), Outcome: memberOutcome(e.Error, e.Field),
			Message: maskEmails(strings.TrimSpace(e.Error + " " + fieldNote(e.Field, e.FieldMessage)))}
	}
	tagged := map[string]bool{}
	for i, w := range writes {
		if results[i].Outcome != "" {
			continue
		}
		email := connectors.NormalizeEmail(w.Email)
		r, ok := byEmail[email]
		if !ok {
			r = connectors.Result{ID: results[i].ID, Outcome: connectors.OutcomeFailed, Message: "Mailchimp returned no result for this member"}
		}
		if r.Outcome == connectors.OutcomeUpdated {
			switch st := status[email]; {
			case w.Unsubscribe:
				r.Outcome = connectors.OutcomeUnsubscribed
			case w.Create && (st == "unsubscribed" || st == "cleaned"):
				// It existed after all, opted out: its fields were
				// updated, its status kept; count it as a skip.
				r.Outcome = connectors.OutcomeOptedOut
			}
		}
		r.Email = w.Email
		results[i] = r
		switch r.Outcome {
		case connectors.OutcomeCreated, connectors.OutcomeUpdated, connectors.OutcomeUnsubscribed, connectors.OutcomeOptedOut:
			if _, exists := written[email]; exists {
				tagged[email] = true
			}
		}
	}
	tagErrs, err := t.applyTags(ctx, listID, writes, tagged, written)
	if err != nil {
		return nil, err
	}
	for i, w := range writes {
		if msg, ok := tagErrs[connectors.NormalizeEmail(w.Email)]; ok {
			results[i].Outcome, results[i].Message = connectors.OutcomeFailed, msg
		}
	}
	tcs := make([]connectors.TargetContact, 0, len(written))
	for _, tc := range written {
		tcs = append(tcs, tc)
	}
	t.remember(tcs)
	return results, nil
}

// memberOutcome classifies a batch subscribe error (targets.md §1.5):
// compliance and forgotten members are opted out, fake or malformed
// addresses invalid, anything else a failure.
func memberOutcome(msg, field string) connectors.Outcome {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "compliance state"), strings.Contains(m, "permanently deleted"),
		strings.Contains(m, "forgotten"):
		return connectors.OutcomeOptedOut
	case strings.Contains(m, "looks fake or invalid"), strings.Contains(m, "valid email"),
		field == "email_address":
		return connectors.OutcomeInvalidEmail
	}
	return connectors.OutcomeFailed
}

func fieldNote(field, msg string) string {
	if field == "" && msg == "" {
		return ""
	}
	return "(" + strings.TrimPrefix(field+": "+msg, ": ") + ")"
}
