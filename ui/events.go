package ui

import (
	"encoding/json"
	"maps"
	"os"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// EventLogEnv names the environment variable that main passes as
// Deps.EventLog. With it set, the window appends one JSON object per line
// to that file at each milestone:
//
//	{"event":"tokens","unix_ms":…,"tokens":2,"certificates":14}  token list shown
//	{"event":"pin-dialog","unix_ms":…}                               PIN dialog open
//	{"event":"pin-ready","unix_ms":…}                                the pre-flight found the server
//	                                         asks: OK enabled, the dialog laid out for good
//	{"event":"result","unix_ms":…,"verdict":"accepted","steps":12} test finished
//	{"event":"compare","unix_ms":…,"verdict_12":"accepted","verdict_13":"accepted",
//	 "steps_12":16,"steps_13":15,"messages_12":13,"messages_13":12}  comparison shown
//	                                         (messages: the handshake before the request)
//	{"event":"explain","unix_ms":…,"on":true}                       Explain switched
//	{"event":"tab","unix_ms":…,"tab":"lesson"}                      a tab shown (certificate,
//	                                                                 handshake, server, request, lesson)
//	{"event":"dialog","unix_ms":…,"name":"about","open":true}       a dialog opened or closed (pin,
//	                                 about, error, add-module, ca-file, save-report, export-certificate)
//	{"event":"test-started","unix_ms":…,"compare":false}            Test connection (or Compare) pressed
//	{"event":"test-canceled","unix_ms":…,"stage":"login"}           a test canceled (login or probe)
//	{"event":"selected","unix_ms":…,"kind":"certificate"}           a row of the tree selected (or "none")
//	{"event":"message","unix_ms":…,"index":3,"name":"Certificate"}  a message of the ladder selected
//	{"event":"status","unix_ms":…,"what":"report-copied"}            an action without a dialog finished
//	                                 (report-copied, uri-copied, report-saved, certificate-saved,
//	                                 module-added, logged-out, panel, split)
//
// Events that wait for the frame (all but "status") also carry when the
// change was first painted ("frame_ms", Unix milliseconds; unix_ms is a
// few frames later, see emitAfterFrame) and where the controls are, for
// the exerciser to click: "controls" {name: [x, y, w, h]} in window pixels
// (tree rows only while in the tree's view), "focus" (the focused
// control's name, "other" or ""), "selected_row" (the tree row selected,
// or ""), "dialogs" (open dialogs, top last) and "window" [w, h].
//
// The smoke test (build/smoke) drives the real binary under Xvfb and
// waits on these lines instead of guessing from screenshots. Nothing
// secret is ever written: no PIN, no certificate content.
const EventLogEnv = "CARDCHECK_UI_EVENTS"

// eventLog writes the milestones; the zero value (no file) does nothing.
type eventLog struct {
	mu sync.Mutex
	f  *os.File
	// snapshot adds the layout to settled events; it runs on the UI
	// goroutine (animations tick there).
	snapshot func() map[string]any

	wmu     sync.Mutex
	waiting []*waitingEvent // events waiting for a paint (emitAfter)
	watch   *fyne.Animation // ticks them, while there are any
}

func openEventLog(path string) *eventLog {
	l := &eventLog{}
	if path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err == nil {
			l.f = f
		}
	}
	return l
}

// emitAfterFrame appends the event once the change that caused it is on
// screen: the driver ticks animations right before it paints, so an
// animation lasting a few frames ends after at least two paints. A smoke
// test that takes a screenshot on the event sees the new state.
func (l *eventLog) emitAfterFrame(event string, fields map[string]any) {
	l.emitAfter(settleTime, event, fields)
}

// emitAfter appends the event once the change that caused it has been
// painted and an animation of duration d would have ended (see
// emitAfterFrame).
//
// One animation ticks every waiting event: Fyne ticks the first animation
// started while none runs from the next frame, but one started while
// another runs only from the frame after (it waits in a queue for a
// frame). With an animation each, the second event of one change (the
// card list's "tokens" after its "selected", in the window's first frame)
// was stamped a frame late; sharing the first one's ticks stamps both
// with the frame that painted them.
func (l *eventLog) emitAfter(d time.Duration, event string, fields map[string]any) {
	l.mu.Lock()
	on := l.f != nil
	l.mu.Unlock()
	if !on {
		return
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.waiting = append(l.waiting, &waitingEvent{name: event, fields: fields, due: time.Now().Add(d)})
	if l.watch == nil {
		l.watch = &fyne.Animation{Duration: settleTime, RepeatCount: fyne.AnimationRepeatForever, Tick: l.tick}
		l.watch.Start()
	}
}

// waitingEvent is an event waiting for its change to be painted and to
// settle.
type waitingEvent struct {
	name   string
	fields map[string]any
	due    time.Time
	frame  int64 // the first paint after it, Unix ms
}

// tick runs right before each paint while events wait: the first tick
// after an event is the paint that shows its change (when the person saw
// it); the event is written once it is due. With none left, the
// animation stops: a resting window ticks nothing.
func (l *eventLog) tick(float32) {
	now := time.Now()
	l.wmu.Lock()
	var due []*waitingEvent
	kept := l.waiting[:0]
	for _, w := range l.waiting {
		if w.frame == 0 {
			w.frame = now.UnixMilli()
		}
		if now.Before(w.due) {
			kept = append(kept, w)
		} else {
			due = append(due, w)
		}
	}
	l.waiting = kept
	if len(kept) == 0 && l.watch != nil {
		l.watch.Stop()
		l.watch = nil
	}
	l.wmu.Unlock()
	for _, w := range due {
		rec := maps.Clone(l.withSnapshot(w.fields))
		rec["frame_ms"] = w.frame
		l.emit(w.name, rec)
	}
}

// settleTime is a few frames at 60 Hz.
const settleTime = 80 * time.Millisecond

// withSnapshot adds the layout to fields (a new map: callers may reuse
// theirs).
func (l *eventLog) withSnapshot(fields map[string]any) map[string]any {
	if l.snapshot == nil {
		return fields
	}
	out := l.snapshot()
	for k, v := range fields {
		out[k] = v
	}
	return out
}

// emit appends one event with extra fields.
func (l *eventLog) emit(event string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	rec := map[string]any{"event": event, "unix_ms": time.Now().UnixMilli()}
	for k, v := range fields {
		rec[k] = v
	}
	b, _ := json.Marshal(rec) // maps of strings and numbers always marshal
	l.f.Write(append(b, '\n'))
}

func (l *eventLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
