# cardcheck — the two commands a newcomer needs:
#   make run    install what it needs, build, start the offline demo
#   make test   install what the tests need, vet, run every test with -race
# and for releases:
#   make package   the Linux archive (fyne package) in build/out/
GO      ?= go
BIN     ?= ./cardcheck
GOFLAGS ?=

.PHONY: run build test vet deps-run deps-test package clean

run: deps-run build
	$(BIN) demo

build:
	$(GO) build -o $(BIN) .

deps-run:
	@build/deps.sh run

deps-test:
	@build/deps.sh test

vet:
	$(GO) vet ./...

test: deps-test vet
	$(GO) test -race -count=1 -timeout 30m ./...

package: deps-run
	build/package.sh build/out

clean:
	rm -f $(BIN)
	rm -rf build/out
