package certcheck

import (
	"crypto/x509"
	"fmt"
	"time"
)

// RenewWarning is how close to its end a certificate's validity must be
// for the validity check to warn: about the time a helpdesk needs to get a
// new card issued.
const RenewWarning = 30 * 24 * time.Hour

const day = 24 * time.Hour

// Validity checks the leaf's validity period at now.
func Validity(leaf *x509.Certificate, now time.Time) Check {
	if leaf == nil {
		return result(NameValidity, Skipped, "no certificate was chosen")
	}
	switch left := leaf.NotAfter.Sub(now); {
	case now.Before(leaf.NotBefore):
		return result(NameValidity, Fail, "the certificate is not valid until %s (%s from now); check the computer's clock or wait",
			date(leaf.NotBefore), span(leaf.NotBefore.Sub(now)))
	case left < 0:
		return result(NameValidity, Fail, "the certificate expired %s ago (on %s); it needs to be renewed",
			span(-left), date(leaf.NotAfter))
	case left < RenewWarning:
		return result(NameValidity, Warn, "the certificate expires in %s (on %s); ask for a new one soon",
			span(left), date(leaf.NotAfter))
	}
	return result(NameValidity, Pass, "the certificate is valid until %s", date(leaf.NotAfter))
}

// date formats a certificate time the way people read it; certificates
// count in UTC.
func date(t time.Time) string {
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

// span says how long d is in whole days, or hours and minutes below a day.
func span(d time.Duration) string {
	switch {
	case d >= 2*day:
		return fmt.Sprintf("%d days", int(d/day))
	case d >= day:
		return "1 day"
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= time.Hour:
		return "1 hour"
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return "a moment"
}
