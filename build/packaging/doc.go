// Package packaging checks the release archives that `make package`
// builds: the desktop archive unpacks, installs with its own Makefile, and
// its .desktop entry starts the program; the headless archive's binary
// runs and needs no GL or X11 library.
//
// It packs two archives (about a minute warm), so it is not part of
// `go test ./...`: `make package-test` runs it (-tags packaging), and
// .ci/run calls that target.
package packaging
