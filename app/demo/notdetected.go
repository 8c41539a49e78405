package demo

import (
	"context"
	"time"

	"github.com/cardcheck/cardcheck/app/diagnose"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/pcsc"
)

// The "card not detected" lesson: the layers between a card and
// cardcheck, each step a case that breaks one of them. Each step is a
// simulated smart-card service (a pcsc.Client in memory) and a simulated
// module scan; the report comes from app/diagnose exactly as for a real
// system, so the lesson shows what a user with that problem sees in the
// window and in Help → Diagnostics. No real reader or card is used, and
// the lesson says so.

// Layer step names (stable: the GUI words them by name).
const (
	StepCardListed        = "card-listed"         // everything in place: the layer chain as it should be
	StepNoReader          = "no-reader"           // the service runs, no reader is connected
	StepServiceNotRunning = "service-not-running" // pcscd is not running
	StepNoModule          = "no-module"           // a card in the reader, no module claims it
	StepCardInUse         = "card-in-use"         // another program holds the card exclusively
	StepModuleHidesCard   = "module-hides-card"   // a module sees the card but hides it; PIN pad reader
)

// Simulated readers. "(simulated)" is in their names so that a report
// copied out of the lesson cannot pass for a real one.
const (
	SimReader       = "Simulated Reader (simulated) 00 00"
	SimPINPadReader = "Simulated PINpad Reader (simulated) 00 00"
)

// simATR is a PIV card's ATR whose historical bytes carry the PIV AID,
// the card the project's emulator (build/pivemu) presents.
var simATR = []byte{0x3B, 0x8D, 0x80, 0x01, 0x80, 0xFB, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0xCD}

// ckrDeviceError is CKR_DEVICE_ERROR, what a module answers when its
// card driver cannot talk to the card through this reader.
const ckrDeviceError = 0x30

// simOpenSC is where the lesson's module is said to be.
const simOpenSC = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"

// LayerStep is one step of the lesson: a simulated state of the layers
// below the token list.
type LayerStep struct {
	Name      string
	Inventory *token.Inventory // the module scan a user with this problem gets
	pcsc      *simPCSC
}

// NotDetectedLesson returns the lesson's steps, the working chain first.
// demoModule is the demo's own (SoftHSM) module: in the steps it is the
// module that is loaded but knows nothing of cards in readers.
func NotDetectedLesson(demoModule string) []LayerStep {
	card := pcsc.RawState{Reader: SimReader, State: pcsc.StatePresent, ATR: simATR}
	inUse := card
	inUse.State |= pcsc.StateExclusive
	pad := pcsc.RawState{Reader: SimPINPadReader, State: pcsc.StatePresent, ATR: simATR}
	softhsm := token.ModuleStatus{Path: demoModule, Source: token.SourceWellKnown,
		Info: token.ModuleInfo{Manufacturer: "SoftHSM", Description: "Implementation of PKCS11", LibraryVersion: "2.6"}}
	return []LayerStep{
		{Name: StepCardListed, pcsc: &simPCSC{readers: []pcsc.RawState{card}},
			Inventory: openSCInventory(token.Slot{ID: 0, Description: SimReader, Manufacturer: "OpenSC Project",
				TokenLabel: "PIV Card (simulated)", TokenInitialized: true, Listed: true}, true)},
		{Name: StepNoReader, pcsc: &simPCSC{}, Inventory: openSCInventory(token.Slot{}, false)},
		{Name: StepServiceNotRunning, pcsc: &simPCSC{down: true}, Inventory: openSCInventory(token.Slot{}, false)},
		{Name: StepNoModule, pcsc: &simPCSC{readers: []pcsc.RawState{card}},
			Inventory: &token.Inventory{Modules: []token.ModuleStatus{softhsm}}},
		{Name: StepCardInUse, pcsc: &simPCSC{readers: []pcsc.RawState{inUse}}, Inventory: openSCInventory(token.Slot{}, false)},
		{Name: StepModuleHidesCard, pcsc: &simPCSC{readers: []pcsc.RawState{pad}},
			Inventory: openSCInventory(token.Slot{ID: 0, Description: SimPINPadReader, Manufacturer: "OpenSC Project",
				TokenLabel: "PIV Card (simulated)", TokenInitialized: true,
				Err: &token.Error{Kind: token.KindModule, Op: "read the token", Code: ckrDeviceError,
					Msg: "The module could not read the token."}}, true)},
	}
}

// openSCInventory is a scan with OpenSC loaded, showing slot when withSlot.
func openSCInventory(slot token.Slot, withSlot bool) *token.Inventory {
	ms := token.ModuleStatus{Path: simOpenSC, Source: token.SourceWellKnown,
		Info: token.ModuleInfo{Manufacturer: "OpenSC Project", Description: "OpenSC smartcard framework", LibraryVersion: "0.23"}}
	inv := &token.Inventory{}
	if withSlot {
		ms.Slots = []token.Slot{slot}
		if slot.Listed {
			inv.Tokens = []*token.Token{{Module: &token.Module{Path: simOpenSC}, SlotID: slot.ID, SlotDescription: slot.Description,
				Label: slot.TokenLabel, Manufacturer: "piv_II", Model: "PKCS#15 emulated", Serial: "0000000000000000"}}
		}
	}
	inv.Modules = []token.ModuleStatus{ms}
	return inv
}

// Diagnose makes the step's report the way `cardcheck diagnose` makes a
// real one, from the simulated service and scan. Library versions are
// left out: they would be this computer's, not the case's.
func (s LayerStep) Diagnose(ctx context.Context) *diagnose.Report {
	return diagnose.Run(ctx, diagnose.Options{Inventory: s.Inventory, NoVersions: true, Timeout: 5 * time.Second,
		PCSC: pcsc.Options{Connect: s.pcsc.connect, NoFeatures: true}})
}

// simPCSC is a smart-card service in memory: the lesson's readers.
type simPCSC struct {
	down    bool // the service is not running
	readers []pcsc.RawState
}

func (s *simPCSC) connect(context.Context) (pcsc.Client, error) {
	if s.down {
		return nil, &pcsc.Error{Op: "establish context", Err: pcsc.ErrNoService}
	}
	return s, nil
}

func (s *simPCSC) ListReaders(context.Context) ([]string, error) {
	if len(s.readers) == 0 {
		return nil, pcsc.ErrNoReaders
	}
	names := make([]string, 0, len(s.readers))
	for _, r := range s.readers {
		names = append(names, r.Reader)
	}
	return names, nil
}

func (s *simPCSC) States(context.Context, []string) ([]pcsc.RawState, error) {
	return append([]pcsc.RawState(nil), s.readers...), nil
}

func (s *simPCSC) Features(context.Context, string) ([]byte, error) {
	return nil, pcsc.ErrUnsupportedFeature
}

func (s *simPCSC) WaitChange(ctx context.Context, _ []pcsc.RawState, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *simPCSC) Close() error { return nil }
