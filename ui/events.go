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

// emitAfter appends the event after an animation of duration d has
// ended (see emitAfterFrame).
func (l *eventLog) emitAfter(d time.Duration, event string, fields map[string]any) {
	l.mu.Lock()
	on := l.f != nil
	l.mu.Unlock()
	if !on {
		return
	}
	done := false
	var frame int64
	fyne.NewAnimation(d, func(p float32) {
		if frame == 0 {
			// The first tick comes right before the first paint that
			// shows the change: its time is when the person saw it.
			frame = time.Now().UnixMilli()
		}
		if p >= 1 && !done {
			done = true
			rec := maps.Clone(l.withSnapshot(fields))
			rec["frame_ms"] = frame
			l.emit(event, rec)
		}
	}).Start()
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
