package syncer

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"

	"github.com/contactsync/contactsync/connectors"
)

// RFC 5321 limits.
const (
	maxEmailLen = 254
	maxLocalLen = 64
)

// NormalizeEmail is the identity of a contact: trimmed and lower-cased.
func NormalizeEmail(email string) string { return connectors.NormalizeEmail(email) }

// ValidateEmail checks a normalised address the way targets do before they
// accept it: a plain parseable addr-spec (no display name, no spaces), a
// sane length, and a domain of at least two dot-separated labels. The
// error says what is wrong without repeating the address.
func ValidateEmail(email string) error {
	if email == "" {
		return errors.New("no email")
	}
	if len(email) > maxEmailLen {
		return errors.New("longer than 254 characters")
	}
	if strings.IndexFunc(email, unicode.IsSpace) >= 0 {
		return errors.New("contains a space")
	}
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return errors.New("has no @")
	}
	local, domain := email[:at], email[at+1:]
	if local == "" || len(local) > maxLocalLen {
		return errors.New("the part before @ is empty or longer than 64 characters")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || !strings.EqualFold(addr.Address, email) {
		return errors.New("is not a valid address")
	}
	return validateDomain(domain)
}

func validateDomain(domain string) error {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return errors.New("the domain has no dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return errors.New("the domain has an empty or malformed label")
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return errors.New("the domain has a character that is not a letter, digit or hyphen")
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.IndexFunc(tld, unicode.IsLetter) < 0 {
		return errors.New("the top-level domain has no letter")
	}
	return nil
}
