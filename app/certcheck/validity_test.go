package certcheck

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
)

func TestValidity(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	tests := []struct {
		name      string
		nb, na    time.Time
		status    Status
		fragments []string
	}{
		{"valid", time.Time{}, time.Time{}, Pass, []string{"valid until"}},
		{"expires-soon", now.AddDate(0, 0, -300), now.Add(10*day + time.Hour), Warn, []string{"expires in 10 days", "soon"}},
		{"expires-today", now.AddDate(0, 0, -300), now.Add(5 * time.Hour), Warn, []string{"expires in 4 hours"}},
		{"expired", now.AddDate(-1, 0, 0), now.Add(-30*day - time.Hour), Fail, []string{"expired 30 days ago", "renewed"}},
		{"expired-yesterday", now.AddDate(-1, 0, 0), now.Add(-day - time.Hour), Fail, []string{"expired 1 day ago"}},
		{"not-yet", now.Add(30*day + time.Hour), now.AddDate(1, 0, 0), Fail, []string{"not valid until", "30 days from now"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := issue(t, p.inter, pki.LeafSpec{NotBefore: tt.nb, NotAfter: tt.na})
			expect(t, Validity(leaf.Cert, now), NameValidity, tt.status, tt.fragments...)
		})
	}
	expect(t, Validity(nil, now), NameValidity, Skipped)
}

func TestValidityBoundaries(t *testing.T) {
	nb := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &x509.Certificate{NotBefore: nb, NotAfter: nb.AddDate(1, 0, 0)}
	expect(t, Validity(c, nb), NameValidity, Pass, "1 January 2031, 00:00 UTC")
	expect(t, Validity(c, c.NotAfter), NameValidity, Warn, "a moment")
	expect(t, Validity(c, c.NotAfter.Add(time.Second)), NameValidity, Fail, "a moment ago")
	expect(t, Validity(c, c.NotAfter.Add(-RenewWarning)), NameValidity, Pass)
	expect(t, Validity(c, nb.Add(-time.Second)), NameValidity, Fail, "not valid until 1 January 2030")
}
