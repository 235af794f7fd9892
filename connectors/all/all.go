// Package all registers every provider: importing it is the registry's one
// line per provider. main imports it; tests of the controllers register
// fakes instead.
package all

import (
	_ "github.com/contactsync/contactsync/connectors/constantcontact"
	_ "github.com/contactsync/contactsync/connectors/flipcause"
	_ "github.com/contactsync/contactsync/connectors/kibo"
	_ "github.com/contactsync/contactsync/connectors/magento"
	_ "github.com/contactsync/contactsync/connectors/mailchimp"
	_ "github.com/contactsync/contactsync/connectors/quickbooks"
)
