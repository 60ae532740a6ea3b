# Convrelay. `make run` starts everything; `make test` runs every test.
GO        ?= go
export PATH := /usr/local/go/bin:$(PATH)
GOFLAGS   ?=
TEST_TIMEOUT ?= 45m
FUZZTIME  ?= 20s

.PHONY: run test unit fuzz build bench bench-scale drill soak clean mutate

run: ## whole product in one process on embedded defaults
	@bash scripts/deps.sh run
	@test -x bin/convrelay-dev || echo "make run: first build of the dev stack (the embedded Temporal server and its Web UI): about 8 minutes and 2.6 GB of memory on 2 cores; later builds take seconds"
	$(GO) build -o bin/convrelay-dev ./cmd/convrelay-dev
	./bin/convrelay-dev

test: ## every test, then short fuzz runs of the parser and of the intake (real handler, real database)
	@bash scripts/deps.sh test
	@test -d "$$($(GO) env GOCACHE)/00" || echo "make test: first build (the embedded Temporal server for the end-to-end tests): about 8 minutes on 2 cores"
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	@$(GO) test -count=1 -run '^TestScriptSize$$' -v ./internal/tagjs | grep 'gzipped'
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/postback
	$(GO) test -run '^$$' -fuzz '^FuzzIntake$$' -fuzztime $(FUZZTIME) ./api

unit: ## tests that need neither PostgreSQL nor Temporal
	$(GO) test -short ./...

fuzz: ## a longer fuzz run
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 5m ./internal/postback

build: ## production binary (no Temporal server linked) and the dev stack
	$(GO) build -o bin/convrelay ./cmd/convrelay
	$(GO) build -o bin/convrelay-dev ./cmd/convrelay-dev

clean:
	rm -rf bin

bench: ## one table: raw insert, intake, Temporal ceiling, end to end (writes bench-results.json)
	$(GO) run ./cmd/convrelay-bench $(BENCHFLAGS)

bench-scale: ## Temporal as its own process on PostgreSQL, the production binary as 1 `all` then 2 api + 2 worker processes (writes bench-scale-results.json)
	$(GO) run ./cmd/convrelay-bench -scale $(SCALEFLAGS)

drill: ## fault drills against the production binary, full form (about 30 minutes on 2 cores)
	$(GO) run ./cmd/convrelay-drill $(DRILLFLAGS)

soak: ## 10 minutes of steady load; memory and goroutines at start and end
	$(GO) run ./cmd/convrelay-drill -soak $(DRILLFLAGS)

mutate: ## mutation testing (gremlins) of the packages holding the rules; not part of `make test` (about an hour)
	./scripts/mutate.sh $(MUTATE_PKGS)
