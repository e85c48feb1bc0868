# Ordergraph — `make help` lists the targets.
#
# Database: unless DATABASE_URL is already set, the targets that need Postgres start a
# project-local cluster with scripts/pg.sh (see that file) and export its DATABASE_URL.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PG      := scripts/pg.sh
BIN     := bin/ordergraph
REPORTS := .reports

# Recipe prefix: start Postgres (no-op when DATABASE_URL is set) and export DATABASE_URL.
# Done inside the recipe, not with $(shell ...), so it runs after the cluster is up.
WITH_DB = $(PG) start; DATABASE_URL="$$($(PG) url)"; export DATABASE_URL

# Go files git would track (tracked + untracked, minus .gitignore'd), falling back to find.
# (Recursive `=` so that $$ survives until the recipe runs.)
GO_FILES = { git ls-files -z --cached --others --exclude-standard -- '*.go' 2>/dev/null \
	|| find . -name '*.go' -not -path './.data/*' -not -path './frontend/node_modules/*' -print0; } \
	| while IFS= read -r -d '' f; do if [ -f "$$f" ]; then printf '%s\n' "$$f"; fi; done | sort -u

.PHONY: help run build frontend test bench chaos generate check-generate vet fmt lint db-start db-stop db-status psql clean

help: ## Show this help
	@echo "Usage: make <target>"
	@echo
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-zA-Z0-9_.-]+:[^#]*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The mock bank is its own process, as a real bank is: run reuses one already listening on
# GATEWAY_ADDR, otherwise starts one (its ledger kept in .data/gateway.jsonl) and stops it
# when serve exits.
run: frontend ## Start Postgres and the mock bank, build, migrate, seed the demo store and serve
	@$(WITH_DB); \
	go build -o $(BIN) ./cmd/ordergraph; \
	$(BIN) migrate; \
	gw=$${GATEWAY_ADDR:-127.0.0.1:8081}; gw_pid=; \
	listening() { (exec 3<>"/dev/tcp/$${gw%:*}/$${gw##*:}") 2>/dev/null; }; \
	if listening; then echo "mock bank:  http://$$gw (already running, reused)"; else \
		mkdir -p .data; \
		$(BIN) gateway -addr "$$gw" -state .data/gateway.jsonl >>.data/gateway.log 2>&1 & gw_pid=$$!; \
		for _ in $$(seq 100); do listening && break; kill -0 $$gw_pid 2>/dev/null || break; sleep 0.1; done; \
		listening || { echo "mock bank did not start; see .data/gateway.log" >&2; exit 1; }; \
		echo "mock bank:  http://$$gw (Stripe API; GET /admin/ledger, /admin/faults; log .data/gateway.log)"; \
	fi; \
	trap 'if [ -n "$$gw_pid" ]; then kill $$gw_pid 2>/dev/null || true; fi' EXIT; \
	export PAYMENT_GATEWAY_URL="$${PAYMENT_GATEWAY_URL:-http://$$gw}"; \
	$(BIN) seed; \
	$(BIN) serve & srv=$$!; \
	trap 'kill -TERM $$srv 2>/dev/null || true' INT TERM; \
	rc=0; wait $$srv || rc=$$?; \
	if [ $$rc -gt 128 ] && kill -0 $$srv 2>/dev/null; then rc=0; wait $$srv || rc=$$?; fi; \
	exit $$rc

build: frontend ## Build bin/ordergraph (and the dashboard if frontend/ exists)
	go build -o $(BIN) ./cmd/ordergraph

frontend: ## Build the dashboard into frontend/dist (skipped if frontend/package.json is absent)
	@if [ -f frontend/package.json ]; then \
		command -v npm >/dev/null || { echo "npm not found: install Node.js (18+) to build frontend/" >&2; exit 1; }; \
		cd frontend; \
		if [ -f package-lock.json ]; then \
			if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
				npm ci --no-audit --no-fund --loglevel=error; \
			fi; \
		else \
			npm install --no-audit --no-fund --loglevel=error; \
		fi; \
		npm run build --silent; \
	fi

# Coverage counts the hand-written code: gqlgen's generated executor and the bench tool
# are left out of the figure. Every package runs under the race detector: the executor,
# the dataloaders and the job workers run goroutines, and the tests that prove them
# safe (e.g. TestConcurrentRootFieldsShareLoaders) can only do so with -race. It needs cgo.
test: ## Run all tests (race detector on) against Postgres; JUnit + coverage in .reports/
	@mkdir -p $(REPORTS); rm -f $(REPORTS)/coverage.out $(REPORTS)/coverage.txt
	@$(WITH_DB); \
	rc=0; \
	go tool gotestsum --junitfile $(REPORTS)/junit.xml --format pkgname-and-test-fails -- \
		-p 2 -count=1 -race -coverprofile=$(REPORTS)/coverage.out -coverpkg=$$(go list ./... | grep -v -e /graph/generated -e /internal/db/dbsqlc -e /cmd/bench | paste -sd, -) ./... || rc=$$?; \
	if [ -s $(REPORTS)/coverage.out ]; then \
		{ go tool cover -func=$(REPORTS)/coverage.out | tail -1 | tr -s '\t' ' ' | tee $(REPORTS)/coverage.txt; } \
			|| echo "coverage: could not be computed"; \
	fi; \
	exit $$rc

bench: ## Run the load benchmark (go run ./cmd/bench ARGS="...")
	@$(WITH_DB); go run ./cmd/bench $(ARGS)

# The chaos run builds the binary it runs as the bank and the worker processes, and
# works in a database of its own on the cluster (dropped afterwards; -keep keeps it).
chaos: ## Chaos run: N orders through a faulty bank and killed workers, then the books checked (ARGS="-n 2000 ...")
	@$(WITH_DB); go build -o $(BIN) ./cmd/ordergraph; go run ./cmd/chaos -bin $(BIN) $(ARGS)

# The GraphQL code: gqlgen's models and resolver stubs, and the executor from
# graph/generate's copies of gqlgen's templates (see graph/generate/main.go).
generate: ## Regenerate the GraphQL code (graph/generate, gqlgen's API) and the SQL code (sqlc); both are committed
	go run ./graph/generate
	rm -f internal/db/dbsqlc/*.go # sqlc leaves the files of removed queries behind
	cd tools/sqlc && go tool sqlc generate -f ../../sqlc.yaml
	UPDATE_SQLC_HASH=1 go test ./internal/db -run '^TestSQLCGeneratedCodeIsCurrent$$' -count=1

check-generate: ## Check that the GraphQL code is what make generate writes, and its templates gqlgen's (make test does too)
	@$(WITH_DB); go test ./graph -run '^TestGeneratedCodeIsCurrent$$' -count=1
	go test ./graph/generate -run '^TestTemplatesMatchUpstream$$' -count=1

vet: ## go vet ./...
	go vet ./...

fmt: ## gofmt -w the Go files
	@$(GO_FILES) | xargs -r -d '\n' gofmt -l -w

lint: ## Check formatting (gofmt), go vet and staticcheck
	@out=$$($(GO_FILES) | xargs -r -d '\n' gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt needed (run: make fmt):"; echo "$$out"; exit 1; fi
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.6.1 ./...

db-start: ## Start the local Postgres (no-op if DATABASE_URL is set)
	@$(PG) start

db-stop: ## Stop the local Postgres (data is kept)
	@$(PG) stop

db-status: ## Show whether the local Postgres is running, its port and data dir
	@$(PG) status || { rc=$$?; [ $$rc -eq 3 ] || exit $$rc; }

psql: ## Open psql on the ordergraph database as the owner role
	@$(PG) start >/dev/null
	@$(PG) psql

clean: ## Remove bin/ and .reports/ (the database is kept; see db-stop)
	rm -rf bin $(REPORTS)
