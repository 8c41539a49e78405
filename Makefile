# cardcheck — the two commands a newcomer needs:
#   make run    install what it needs, build, start the program
#   make test   install what the tests need, vet, run every test with -race
GO      ?= go
BIN     ?= ./cardcheck
GOFLAGS ?=

.PHONY: run build test vet deps-run deps-test clean

run: deps-run build
	$(BIN)

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

clean:
	rm -f $(BIN)
