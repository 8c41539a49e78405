// Package exerciser drives the real cardcheck binary in a real window, the
// way a person would, and checks that it holds up (issue 8).
//
// TestExerciser builds cardcheck and a baseline window (./baseline: a Fyne
// window with a 200-row list, an entry and a button, same Fyne version),
// starts `cardcheck demo --no-gui` for its scenario servers, and then, for
// each of 1920×1080 and 1024×640 in the light and the dark theme (in
// parallel, one Xvfb on :80–:89 each), starts the baseline and cardcheck,
// gives both windows the whole screen and drives cardcheck with xdotool.
// It knows what the window does from the GUI's event log (ui/events.go,
// a FIFO): every settled event carries where each named control is
// (ui/controls.go), the focus and the open dialogs, so the test clicks a
// control by name and waits on lines with deadlines, never on time.
//
// Resting states, at all four combinations, each with a screenshot in
// out/ (git-ignored) and idle CPU (utime+stime over 10 s, the one sleep)
// and RSS measured at the same time as the baseline's:
//
//	no-card           SoftHSM with no token: the empty state
//	cards-listed      the demo token, nothing run
//	after-pin-dialog  Test, PIN dialog, Esc from the PIN field
//	after-accepted    Test, OK (the demo PIN is filled in): accepted
//	explain-on        Ctrl+E
//	after-compare     Ctrl+Shift+T (no second PIN)
//	after-rejected    the untrusted-ca server
//	after-canceled    a server that never answers, Esc in the URL field
//
// Also at all four: About from the menu with Ctrl+T, Ctrl+Shift+T, Ctrl+S
// and Enter pressed inside it (no test may start behind it; a barrier
// event after closing proves nothing came late), About closed by Esc, the
// PIN dialog with the same keys plus Ctrl+E/L/R, the verdicts accepted,
// rejected, denied, not-requested, error (a closed port) and
// server-untrusted (CA file cleared), the banner's fix buttons, a test
// that runs (Cancel shown; Ctrl+T ignored), and a window that fits the
// screen.
//
// The full walk, at 1920×1080 light: in the empty state Look again,
// Refresh, Add module… (empty state, token list, File menu; each file
// dialog closed by Esc after Tab into it, with the shortcuts pressed
// inside), every menu item and shortcut (those needing a card must do
// nothing), a module row and Remove module, Try the demo (button and Help
// menu: the window closes, the demo opens); with the card listed every
// tree row, Copy URI, Export… (export-certificate dialog), Add module…,
// Refresh, the options (Choose… ca-file dialog, TLS radio, Continue if
// untrusted, Timeout, CA file and URL focus), Ctrl+L and Test › What the
// server checks, the scenario list, Test › Explain and the Explain box,
// Save/Copy report without a result, Test › Compare canceled at the PIN;
// the PIN dialog's Cancel, Remember and OK, Test › Test connection and
// Ctrl+T; after a result Copy report (button and menu), Save report…
// (button, Ctrl+S, menu: save-report dialog), a ladder message, Explain,
// Compare and Back; a running test canceled by the Cancel button, by Esc
// from the CA file field and by Esc with no focus; Log out, after which
// the PIN is asked again.
//
// BenchmarkStart (start_bench_test.go) times start to first frame with
// the token list, cold (an empty cache folder, as on a first start: Mesa's
// shader cache, the module vetting and Fyne's font index all empty) and
// warm, against the baseline window in the same loop.
//
// It cannot reach: the tab headers (AppTabs has no named tabs; Ctrl+L
// reaches one), the file dialogs' own buttons and fields (not in the
// layout snapshot, so no file is saved and no error dialog is raised from
// a failed write), the PIN dialog's final-try confirmation (SoftHSM never
// reaches final try), a PIN pad, a locked card, a card inserted or removed
// while the window is open, and the split between list and result.
package exerciser
