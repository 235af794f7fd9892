package main

import (
	"fmt"
	"os"
)

// runSandbox serves every provider emulator on loopback.
func runSandbox(args []string) int {
	fmt.Fprintln(os.Stderr, "contactsync sandbox: emulators are being added")
	return 2
}
