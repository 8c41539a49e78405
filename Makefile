# cardcheck — the two commands a newcomer needs:
#   make run    install what it needs, build, start the offline demo
#   make test   install what the tests need, check hygiene (tidy, gofmt,
#               vet, staticcheck, package map), run every test with -race
# and for releases:
#   make package        the Linux archives in build/out/: the desktop build
#                       and the headless (CLI-only) build
#   make package-test   build the archives and check that they install and run
#   make headless       the CLI-only binary: no Fyne, GL or X11 (servers, SSH)
GO      ?= go
BIN     ?= ./cardcheck
GOFLAGS ?=

.PHONY: run build headless test hygiene vet deps-run deps-test package package-test clean

run: deps-run build
	$(BIN) demo

build:
	$(GO) build -o $(BIN) .

headless:
	$(GO) build -tags headless -o $(BIN) .

deps-run:
	@build/deps.sh run

deps-test:
	@build/deps.sh test

vet:
	$(GO) vet ./...
	$(GO) vet -tags headless .

hygiene:
	build/hygiene.sh

test: deps-test hygiene
	$(GO) test -race -count=1 -timeout 30m ./...

package: deps-run
	build/package.sh build/out

package-test: deps-run
	$(GO) test -tags packaging -count=1 -timeout 15m ./build/packaging

clean:
	rm -f $(BIN)
	rm -rf build/out
