package chart_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Secret keys per provider (DESIGN.md §1): each alternative is a complete set.
var providerKeys = map[string]struct {
	required [][]string
	optional []string
}{
	"quickbooks":      {required: [][]string{{"client-id", "client-secret", "refresh-token"}}, optional: []string{"webhook-verifier-token"}},
	"magento":         {required: [][]string{{"access-token"}, {"consumer-key", "consumer-secret", "access-token", "access-token-secret"}}},
	"kibo":            {required: [][]string{{"application-id", "shared-secret"}}, optional: []string{"event-secret"}},
	"flipcause":       {required: [][]string{{"webhook-token"}}},
	"mailchimp":       {required: [][]string{{"api-key"}, {"access-token", "server"}}},
	"constantcontact": {required: [][]string{{"client-id", "refresh-token"}}, optional: []string{"client-secret", "access-token"}},
}

// blockProvider maps a spec's provider block to its registry name.
var blockProvider = map[string]string{
	"quickbooks": "quickbooks", "magento": "magento", "kibo": "kibo", "flipcause": "flipcause",
	"constantContact": "constantcontact", "mailchimp": "mailchimp",
}

func providerOf(t *testing.T, o object) string {
	t.Helper()
	var found []string
	for block := range get(o, "spec").(map[string]any) {
		if p, ok := blockProvider[block]; ok {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s %s: want exactly one provider block, got %v", o.kind(), o.name(), found)
	}
	return found[0]
}

// TestSamples: each sample is self-contained (its Secrets and the three objects, every
// reference resolved in the file), its Secrets hold the provider's keys, and every secret
// value is a REPLACE-ME placeholder.
func TestSamples(t *testing.T) {
	want := map[string]string{
		"quickbooks-to-constantcontact.yaml": "quickbooks→constantcontact",
		"quickbooks-to-mailchimp.yaml":       "quickbooks→mailchimp",
		"flipcause-to-constantcontact.yaml":  "flipcause→constantcontact",
		"kibo-to-constantcontact.yaml":       "kibo→constantcontact",
		"magento-to-constantcontact.yaml":    "magento→constantcontact",
	}
	kust := readYAMLFile(t, configFile(t, "samples", "kustomization.yaml"))[0]
	var listed []string
	for _, r := range get(kust, "resources").([]any) {
		listed = append(listed, r.(string))
	}
	for file, pair := range want {
		t.Run(file, func(t *testing.T) {
			if !slices.Contains(listed, file) {
				t.Errorf("config/samples/kustomization.yaml does not list %s", file)
			}
			objs := readYAMLFile(t, filepath.Join(repoRoot(t), "config", "samples", file))
			secrets := map[string]object{}
			for _, s := range find(objs, "Secret") {
				secrets[s.name()] = s
				for k, v := range get(s, "stringData").(map[string]any) {
					if !strings.HasPrefix(v.(string), "REPLACE-ME") {
						t.Errorf("secret %s key %s holds %q, not a REPLACE-ME placeholder", s.name(), k, v)
					}
				}
			}
			src, dst := one(t, objs, "SourceConnection"), one(t, objs, "ListTarget")
			cs := one(t, objs, "ContactSync")
			if got := providerOf(t, src) + "→" + providerOf(t, dst); got != pair {
				t.Errorf("sample syncs %s, want %s", got, pair)
			}
			if str(cs, "spec", "sourceRef", "name") != src.name() || str(cs, "spec", "targetRef", "name") != dst.name() {
				t.Errorf("ContactSync %s references %v/%v, not the file's objects", cs.name(), get(cs, "spec", "sourceRef"), get(cs, "spec", "targetRef"))
			}
			for _, conn := range []object{src, dst} {
				ref := str(conn, "spec", "credentialsRef", "name")
				s, ok := secrets[ref]
				if !ok {
					t.Errorf("%s %s references Secret %q, which the file lacks", conn.kind(), conn.name(), ref)
					continue
				}
				checkKeys(t, providerOf(t, conn), s)
			}
			if len(secrets) != 2 {
				t.Errorf("%d Secrets, want one per connection", len(secrets))
			}
		})
	}
}

func checkKeys(t *testing.T, provider string, s object) {
	t.Helper()
	spec := providerKeys[provider]
	var keys []string
	for k := range get(s, "stringData").(map[string]any) {
		keys = append(keys, k)
	}
	for _, alt := range spec.required {
		complete := true
		for _, k := range alt {
			complete = complete && slices.Contains(keys, k)
		}
		if complete {
			for _, k := range keys {
				if !slices.Contains(alt, k) && !slices.Contains(spec.optional, k) && !isAlternativeKey(spec.required, k) {
					t.Errorf("secret %s: key %q is not a %s key", s.name(), k, provider)
				}
			}
			return
		}
	}
	t.Errorf("secret %s has keys %v, want one of %v for %s", s.name(), keys, spec.required, provider)
}

func isAlternativeKey(alts [][]string, k string) bool {
	for _, alt := range alts {
		if slices.Contains(alt, k) {
			return true
		}
	}
	return false
}
