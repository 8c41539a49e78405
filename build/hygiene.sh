#!/usr/bin/env bash
# The hygiene checks of `make test`, each failing with what to run:
#   go.mod and go.sum tidy, gofmt, go vet (desktop and headless builds),
#   staticcheck (pinned in go.mod as a tool: go tool staticcheck), and every
#   package listed in docs/design.md's package map.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0

if ! go mod tidy -diff >/dev/null; then
  echo "hygiene: go.mod/go.sum are not tidy: run go mod tidy (go mod tidy -diff shows what)" >&2
  fail=1
fi

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "hygiene: not gofmt-ed (run gofmt -w):" >&2
  echo "$unformatted" >&2
  fail=1
fi

go vet ./... || fail=1
go vet -tags headless . || fail=1
go tool staticcheck ./... || fail=1
go tool staticcheck -tags headless . || fail=1

module=$(go list -m)
missing=()
while read -r pkg; do
  rel=${pkg#"$module"}
  rel=${rel#/}
  [ -z "$rel" ] && rel=.
  [ "$rel" = . ] && want='`.` (main)' || want="\`$rel\`"
  grep -qF "| $want |" docs/design.md || missing+=("$rel")
done < <(go list ./...)
if [ ${#missing[@]} -gt 0 ]; then
  echo "hygiene: packages missing from docs/design.md's package map: ${missing[*]}" >&2
  fail=1
fi

exit $fail
