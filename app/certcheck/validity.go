package certcheck

import (
	"crypto/x509"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
)

// RenewWarning is how close to its end a certificate's validity must be
// for the validity check to warn: about the time a helpdesk needs to get a
// new card issued.
const RenewWarning = 30 * 24 * time.Hour

const day = 24 * time.Hour

// Validity checks the leaf's validity period at now.
func Validity(leaf *x509.Certificate, now time.Time) Check {
	if leaf == nil {
		return result(NameValidity, Skipped, noCertificate.New())
	}
	switch left := leaf.NotAfter.Sub(now); {
	case now.Before(leaf.NotBefore):
		return result(NameValidity, Fail, valNotYet.New("Date", date(leaf.NotBefore), "Span", span(leaf.NotBefore.Sub(now))))
	case left < 0:
		return result(NameValidity, Fail, valExpired.New("Span", span(-left), "Date", date(leaf.NotAfter)))
	case left < RenewWarning:
		return result(NameValidity, Warn, valExpiring.New("Span", span(left), "Date", date(leaf.NotAfter)))
	}
	return result(NameValidity, Pass, valValid.New("Date", date(leaf.NotAfter)))
}

// date formats a certificate time the way people read it; certificates
// count in UTC.
func date(t time.Time) string {
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

// span says how long d is in whole days, or hours and minutes below a day.
func span(d time.Duration) msg.Msg {
	switch {
	case d >= day:
		return spanDays.New("Count", int(d/day))
	case d >= time.Hour:
		return spanHours.New("Count", int(d/time.Hour))
	case d >= 2*time.Minute:
		return spanMinutes.New("Count", int(d/time.Minute))
	}
	return spanMoment.New()
}
