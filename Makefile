# hakit: the two commands a new user types are `make demo` and `make test`.
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TIMEOUT     ?= 30m
FUZZTIME    ?= 10s

.PHONY: demo test test-unit test-integration lint fmt services bench fuzz

# The whole stack in one process, on in-memory fakes: needs nothing installed.
demo:
	$(GO) run ./examples/tour

# Lint first (a gofmt error shows in seconds), then installs and starts the
# real services, then runs every test once: the integration build holds the
# unit tests too, so one run covers both.
test: lint services
	$(GO) test -race -count=1 -timeout $(TIMEOUT) -tags integration ./...

# Unit tests only: no services.
test-unit: lint
	$(GO) test -race -count=1 -timeout $(TIMEOUT) ./...

test-integration: services
	$(GO) test -race -count=1 -timeout $(TIMEOUT) -tags integration ./...

services:
	bash scripts/services.sh up

# No file is built only without the integration tag (TestBuildTags checks
# it), so vet and staticcheck with the tag cover both builds in one pass.
lint: fmt
	$(GO) vet -tags integration ./...
	$(GO) run $(STATICCHECK) -tags integration ./...

# gofmt is the one of $(GO)'s own toolchain, which need not be on PATH; a
# gofmt that cannot run fails the check rather than finding nothing.
fmt:
	@gofmt="$$($(GO) env GOROOT)/bin/gofmt"; \
	files=$$("$$gofmt" -l $$(git ls-files '*.go')) || { echo "$$gofmt failed"; exit 1; }; \
	if [ -n "$$files" ]; then echo "gofmt would change:"; echo "$$files"; exit 1; fi

# Benchmarks that compare against a peer (haproxy, keepalived, nova, raw
# drivers) in the same run and report the ratio.
bench: services
	$(GO) test -tags integration -run '^$$' -bench . -benchmem -timeout $(TIMEOUT) ./...

# Every fuzz target, briefly.
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh
