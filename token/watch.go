package token

import (
	"context"
	"sort"
	"time"

	"github.com/miekg/pkcs11"
)

// EventKind says what happened in a slot.
type EventKind int

// Hot-plug events.
const (
	Inserted EventKind = iota
	Removed
)

// Event is a token appearing or disappearing.
type Event struct {
	Kind  EventKind
	Token Ref
}

// Watch polls the modules' slot lists every interval and sends an Event
// for each token that appears or disappears, until ctx ends (then the
// channel is closed). Polling is used because C_WaitForSlotEvent is not
// reliable across modules (SoftHSM reports a fake event forever, see
// docs/design.md, Field notes). The baseline is taken before Watch returns, so any change
// after the call is reported.
func Watch(ctx context.Context, modules func() []*Module, interval time.Duration) <-chan Event {
	ch := make(chan Event, 16)
	prev := present(modules())
	go func() {
		defer close(ch)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			cur := present(modules())
			for _, ev := range diff(prev, cur) {
				select {
				case ch <- ev:
				case <-ctx.Done():
					return
				}
			}
			prev = cur
		}
	}()
	return ch
}

// present lists the initialized tokens in all modules' slots.
func present(mods []*Module) map[Ref]bool {
	out := map[Ref]bool{}
	for _, mod := range mods {
		for _, r := range mod.presentTokens() {
			out[r] = true
		}
	}
	return out
}

func (mod *Module) presentTokens() []Ref {
	mod.mu.Lock()
	defer mod.mu.Unlock()
	slots, err := mod.be.GetSlotList(true)
	if err != nil {
		return nil
	}
	var out []Ref
	for _, slot := range slots {
		ti, err := mod.be.GetTokenInfo(slot)
		if err != nil || ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue
		}
		out = append(out, Ref{ModulePath: mod.Path, Serial: clean(ti.SerialNumber), Label: clean(ti.Label)})
	}
	return out
}

func diff(prev, cur map[Ref]bool) []Event {
	var evs []Event
	for r := range prev {
		if !cur[r] {
			evs = append(evs, Event{Kind: Removed, Token: r})
		}
	}
	for r := range cur {
		if !prev[r] {
			evs = append(evs, Event{Kind: Inserted, Token: r})
		}
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].Kind != evs[j].Kind {
			return evs[i].Kind > evs[j].Kind // removals first
		}
		return evs[i].Token.Serial < evs[j].Token.Serial
	})
	return evs
}

// Modules returns the modules loaded so far, for Watch.
func (m *Manager) Modules() []*Module {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Module, 0, len(m.modules))
	for _, mod := range m.modules {
		out = append(out, mod)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
