// Package catalog links every package that defines messages, so that
// msg.Catalog() holds them all. Only tests and the translation-file
// writer import it: a program gets the entries of the packages it uses.
// A new package with messages is added here (the test of app/msg then
// checks its entries against assets/translations/en.json).
package catalog

import (
	_ "github.com/cardcheck/cardcheck/app/cardtest"
	_ "github.com/cardcheck/cardcheck/app/certcheck"
	_ "github.com/cardcheck/cardcheck/app/diagnose"
	_ "github.com/cardcheck/cardcheck/app/probe"
	_ "github.com/cardcheck/cardcheck/app/tlstrace"
	_ "github.com/cardcheck/cardcheck/token"
	_ "github.com/cardcheck/cardcheck/token/isolate"
)
