package probe

import (
	"time"

	"github.com/cardcheck/cardcheck/app/tlstrace"
)

// Stage is what a test is doing; the values are stable codes.
type Stage string

// The stages reported through Options.OnProgress.
const (
	// StageConnect: a new connection starts. Progress.Connection names it;
	// the steps that follow (OnStep) belong to it, with Seq from 1 again.
	StageConnect Stage = "connect"
	// StageLateAlertWait: the handshake is over and the test waits for the
	// server's verdict on the certificate (see Options.LateAlertWait).
	// Reported when the wait starts, about every half second, and once
	// with Done set when it ends.
	StageLateAlertWait Stage = "late-alert-wait"
)

// Connection labels (Progress.Connection).
const (
	ConnPreflight = "preflight"  // the handshake without the card
	ConnTest      = "test"       // the test with the card
	ConnTestTLS12 = "test-tls12" // the test with the card over TLS 1.2 after the post-handshake pattern
)

// Progress is one report of OnProgress.
type Progress struct {
	Stage      Stage
	Connection string        // ConnPreflight, ConnTest or ConnTestTLS12
	Elapsed    time.Duration // for waits: how long it has waited so far
	Limit      time.Duration // for waits: the longest it will wait
	Done       bool          // for waits: the wait is over
}

// progressTick is how often a wait reports its progress.
const progressTick = 500 * time.Millisecond

func (r *run) progress(p Progress) {
	if r.opt.OnProgress == nil {
		return
	}
	p.Connection = r.conn
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	r.opt.OnProgress(p)
}

// watchStep passes steps on and notices the server's NewSessionTicket
// after our Finished: OpenSSL, GnuTLS and Go servers send it only after
// they verified the client's Finished, and so its certificate (TLS 1.3,
// RFC 8446 §4.6.1) — the TLS layer has accepted the certificate.
func (r *run) watchStep(s tlstrace.Step) {
	if s.From == "server" && s.Message == "NewSessionTicket" && r.clientFinished() {
		r.ticketOnce.Do(func() { close(r.ticketSeen) })
	}
	if r.opt.OnStep != nil {
		r.opt.OnStep(s)
	}
}

// clientFinished reports whether our Finished has gone out; the steps
// are read from the tracer, which allows it inside its callback.
func (r *run) clientFinished() bool {
	for _, s := range r.tracer.Steps() {
		if s.From == "client" && s.Message == "Finished" {
			return true
		}
	}
	return false
}
