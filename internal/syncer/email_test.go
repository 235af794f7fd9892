package syncer

import (
	"strings"
	"testing"
	"unicode"
)

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		email string
		valid bool
	}{
		{"jane@example.com", true},
		{"jane.doe+news@mail.example.co.uk", true},
		{"o'neil@example.ie", true},
		{"zoë@exämple.de", true},
		{"", false},
		{"jane", false},
		{"jane@example", false},
		{"jane@@example.com", false},
		{"@example.com", false},
		{"jane@.example.com", false},
		{"jane@example..com", false},
		{"jane@-example.com", false},
		{"jane doe@example.com", false},
		{"jane@exa mple.com", false},
		{"Jane <jane@example.com>", false},
		{"jane@example.123", false},
		{"jane@exa_mple.com", false},
		{strings.Repeat("a", 65) + "@example.com", false},
		{"a@" + strings.Repeat("b", 250) + ".com", false},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			err := ValidateEmail(NormalizeEmail(tt.email))
			if (err == nil) != tt.valid {
				t.Fatalf("ValidateEmail(%q) = %v, want valid %v", tt.email, err, tt.valid)
			}
			if err != nil && tt.email != "" && strings.Contains(err.Error(), tt.email) {
				t.Fatalf("the error repeats the address: %v", err)
			}
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got := NormalizeEmail("  Jane.Doe@Example.COM \t"); got != "jane.doe@example.com" {
		t.Fatalf("got %q", got)
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"jane@example.com", " JANE@EXAMPLE.COM ", "a@b", "\"a b\"@example.com", "ǅ@example.com", "a@b.c\u00a0", "x@y..z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeEmail(s)
		if NormalizeEmail(n) != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, NormalizeEmail(n))
		}
		if ValidateEmail(n) != nil {
			return
		}
		if strings.IndexFunc(n, unicode.IsSpace) >= 0 {
			t.Fatalf("valid address with a space: %q", n)
		}
		at := strings.LastIndexByte(n, '@')
		if at <= 0 || !strings.Contains(n[at+1:], ".") {
			t.Fatalf("valid address without a dotted domain: %q", n)
		}
		if len(n) > maxEmailLen {
			t.Fatalf("valid address too long: %d", len(n))
		}
	})
}
