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
func date(t time.Time) msg.Msg {
	t = t.UTC()
	return dateTime.New("Day", t.Day(), "Month", months[t.Month()-1].New(), "Year", t.Year(), "Time", t.Format("15:04"))
}

// dateTime is "2 January 2006, 15:04 UTC" in English; each language
// orders day, month and year its own way.
var dateTime = msg.Define("certcheck.date", "{{.Day}} {{.Month}} {{.Year}}, {{.Time}} UTC")

var months = [12]*msg.Def{
	msg.Define("certcheck.month.1", "January"), msg.Define("certcheck.month.2", "February"),
	msg.Define("certcheck.month.3", "March"), msg.Define("certcheck.month.4", "April"),
	msg.Define("certcheck.month.5", "May"), msg.Define("certcheck.month.6", "June"),
	msg.Define("certcheck.month.7", "July"), msg.Define("certcheck.month.8", "August"),
	msg.Define("certcheck.month.9", "September"), msg.Define("certcheck.month.10", "October"),
	msg.Define("certcheck.month.11", "November"), msg.Define("certcheck.month.12", "December"),
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
