package controllers

import (
	"context"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
)

// Fake providers are registered under the real providers' names, the way
// real ones register, so the controllers are tested without any network.
// Their behaviour follows the Secret: a refresh token or API key of
// "revoked" fails authentication, "down" makes the provider unreachable.

type fakeSource struct {
	realm string
	token string
}

func (f *fakeSource) Check(context.Context) (connectors.Account, error) {
	switch f.token {
	case "revoked":
		return connectors.Account{}, &connectors.Error{Kind: connectors.KindAuth, Provider: "quickbooks", Op: "refresh token",
			Message: "the refresh token was revoked: re-authorise and put the new refresh-token in the Secret"}
	case "down":
		return connectors.Account{}, &connectors.Error{Kind: connectors.KindTransient, Provider: "quickbooks", Op: "company info", StatusCode: 503}
	}
	return connectors.Account{ID: f.realm, Name: "Fake Books LLC"}, nil
}

func (f *fakeSource) Changes(context.Context, string, func(connectors.Page) error) error { return nil }

type fakeTarget struct {
	list string
	key  string
}

func (f *fakeTarget) Check(context.Context) (connectors.ListInfo, error) {
	switch {
	case f.key == "revoked":
		return connectors.ListInfo{}, &connectors.Error{Kind: connectors.KindAuth, Provider: "mailchimp", Op: "ping", StatusCode: 401,
			Message: "API Key Invalid"}
	case f.list == "missing":
		return connectors.ListInfo{}, &connectors.Error{Kind: connectors.KindNotFound, Provider: "mailchimp", Op: "find audience",
			Message: `no audience named "missing"`}
	}
	return connectors.ListInfo{ID: "a1b2c3", Name: f.list, MemberCount: 42}, nil
}

func (f *fakeTarget) Limits() connectors.Limits {
	return connectors.Limits{MaxBatch: 500, MaxLookup: 500}
}

func (f *fakeTarget) Lookup(context.Context, []string) (map[string]connectors.TargetContact, error) {
	return map[string]connectors.TargetContact{}, nil
}

func (f *fakeTarget) Upsert(_ context.Context, ws []connectors.Write) ([]connectors.Result, error) {
	out := make([]connectors.Result, len(ws))
	for i, w := range ws {
		out[i] = connectors.Result{Email: w.Email, Outcome: connectors.OutcomeCreated}
	}
	return out, nil
}

func registerFakeProviders() {
	connectors.ForceRegisterSource("quickbooks", connectors.SourceProvider{
		Keys: connectors.KeySpec{OneOf: [][]string{{"client-id", "client-secret", "refresh-token"}}, Optional: []string{"webhook-verifier-token"}},
		New: func(spec *csv1.SourceConnectionSpec, cfg connectors.Config) (connectors.Source, error) {
			return &fakeSource{realm: spec.QuickBooks.RealmID, token: cfg.Credential("refresh-token")}, nil
		},
	})
	connectors.ForceRegisterTarget("mailchimp", connectors.TargetProvider{
		Keys: connectors.KeySpec{OneOf: [][]string{{"api-key"}, {"access-token", "server"}}},
		New: func(spec *csv1.ListTargetSpec, cfg connectors.Config) (connectors.Target, error) {
			return &fakeTarget{list: spec.Mailchimp.Audience, key: cfg.Credential("api-key")}, nil
		},
	})
}
