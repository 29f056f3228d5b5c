# Doorstep — `make help` lists the targets. `make run` and `make test` install
# what is missing first (see scripts/deps.sh).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The Wails CLI and staticcheck are pinned in tools/go.mod and run through
# `go tool`; nothing is installed globally. ESLint and tsc come with the UI's
# npm packages; ESLint's config (frontend/eslint.config.js) takes its paths
# from the repository's root.
WAILS := go tool -modfile=tools/go.mod wails
STATICCHECK := go tool -modfile=tools/go.mod staticcheck
ACTIONLINT := go tool -modfile=tools/go.mod actionlint
ESLINT := frontend/node_modules/.bin/eslint --config frontend/eslint.config.js --max-warnings 0
TSC := frontend/node_modules/.bin/tsc

# Build tags: FTS5 for SQLite everywhere; WebKitGTK 4.1 where 4.0 is absent.
# Recursive (=) on purpose: evaluated when a recipe runs, after `deps` has
# installed the WebKitGTK headers on a fresh machine.
webkit_tag = $(shell [ "$$(uname -s)" = Linux ] && ! pkg-config --exists webkit2gtk-4.0 2>/dev/null && echo webkit2_41)
TAGS = sqlite_fts5 $(webkit_tag)
GOTAGS = -tags "$(strip $(TAGS))"
WAILSTAGS = -tags "$(strip $(TAGS))"

# What the linters read: every Go package, the UI and the portal.
STATICCHECK_PKGS = ./...
ESLINT_PATHS = frontend/src backend/portal

# The version every binary and package reports (scripts/version.sh; a
# VERSION=... on the command line overrides it).
ifndef VERSION
VERSION := $(shell scripts/version.sh)
endif
export VERSION
VERSION_LDFLAGS := -X doorstep/backend.Version=$(VERSION)

BIN := build/bin
APP := $(BIN)/doorstep
SERVER := $(BIN)/doorstep-server

GO_SOURCES := $(shell find . -name '*.go' -not -path './frontend/*' -not -path './.cache/*') go.mod go.sum
# Files the binaries embed: the tenant portal's page, its service worker and
# the migrations.
SERVER_EMBEDS := $(shell find backend/portal/assets backend/sqlite/migrations -type f) backend/portal/sw.js
APP_EMBEDS := $(shell find app/cache/migrations -type f)
FRONTEND_SOURCES := $(shell find frontend/src -type f) frontend/index.html frontend/vite.config.ts \
	frontend/svelte.config.js frontend/tsconfig.json

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: deps deps-build
deps: ## Install what building and testing need (apt, npm), skipping what is there
	scripts/deps.sh test
	@$(MAKE) --no-print-directory frontend/node_modules/.package-lock.json
deps-build:
	scripts/deps.sh build
	@$(MAKE) --no-print-directory frontend/node_modules/.package-lock.json

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

# Bindings generated from the Go services for the frontend (not committed).
frontend/wailsjs/go/models.ts: $(GO_SOURCES)
	$(WAILS) generate module $(WAILSTAGS) >/dev/null
	@touch $@

frontend/dist/index.html: $(FRONTEND_SOURCES) frontend/wailsjs/go/models.ts frontend/node_modules/.package-lock.json
	cd frontend && npm run build --silent -- --logLevel warn

.PHONY: build
build: deps-build $(APP) $(SERVER) ## Build the desktop app and the server into build/bin

$(APP): $(GO_SOURCES) $(APP_EMBEDS) frontend/dist/index.html wails.json
	$(WAILS) build -s -m -nosyncgomod -skipbindings -nocolour $(WAILSTAGS) -ldflags "$(VERSION_LDFLAGS)" >/dev/null
	@touch $@
	@echo "built $@"

$(SERVER): $(GO_SOURCES) $(SERVER_EMBEDS)
	go build $(GOTAGS) -ldflags "$(VERSION_LDFLAGS)" -o $@ ./backend/cmd/doorstep-server
	@echo "built $@"

.PHONY: run
run: build ## Start the server (data in the user's data dir) and open the desktop app
	scripts/run.sh

.PHONY: check
check: frontend/wailsjs/go/models.ts frontend/node_modules/.package-lock.json ## Static checks: gofmt, go vet, svelte-check, then make lint
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	go vet $(GOTAGS) ./...
	cd frontend && npm run --silent check
	@$(MAKE) --no-print-directory lint

.PHONY: lint
lint: frontend/node_modules/.package-lock.json ## ESLint (UI, portal), tsc over the portal, staticcheck, actionlint
	$(ESLINT) $(ESLINT_PATHS)
	$(TSC) -p backend/portal/jsconfig.json
	$(STATICCHECK) $(GOTAGS) $(STATICCHECK_PKGS)
	$(ACTIONLINT)

.PHONY: test
test: deps check test-go test-frontend test-portal test-window test-e2e ## Install what is missing, then run every check and test
	@echo "make test: all passed"

.PHONY: test-go
test-go: frontend/dist/index.html ## Go tests with the race detector (real keyring in a private D-Bus session)
	scripts/test-go.sh "$(strip $(TAGS))"

.PHONY: test-frontend
test-frontend: frontend/wailsjs/go/models.ts frontend/node_modules/.package-lock.json ## Vitest unit and component tests of the desktop UI
	cd frontend && npx vitest run

.PHONY: test-portal
test-portal: frontend/node_modules/.package-lock.json ## Vitest unit tests of the tenant portal's modules (backend/portal/test)
	cd frontend && npx vitest run --config ../backend/portal/vitest.config.mjs

.PHONY: test-window
test-window: $(APP) $(SERVER) ## The real app window under Xvfb, screenshot in test-output/
	scripts/test-window.sh

.PHONY: test-e2e
test-e2e: $(SERVER) frontend/wailsjs/go/models.ts frontend/node_modules/.package-lock.json ## Browser scenarios: wails dev + Playwright/Chromium
	scripts/test-e2e.sh

PACKAGE_DIR := build/package

.PHONY: package
package: ## Build the packages this host can build into build/package, with sizes and SHA-256
	scripts/deps.sh package
	@$(MAKE) --no-print-directory frontend/node_modules/.package-lock.json
	rm -rf $(PACKAGE_DIR)
	scripts/package-linux.sh $(PACKAGE_DIR)
	scripts/package-windows.sh $(PACKAGE_DIR)
	@echo "macOS: cannot be built on Linux; the release workflow (.github/workflows/release.yml) builds it on a macOS runner"
	@echo "Doorstep $(VERSION) packages in $(PACKAGE_DIR):"
	@cd $(PACKAGE_DIR) && find . -type f -printf '%P\n' | LC_ALL=C sort | while read -r f; do \
		printf '  %-70s %7s  %s\n' "$$f" "$$(numfmt --to=iec --suffix=B $$(stat -c %s "$$f"))" "$$(sha256sum "$$f" | cut -d' ' -f1)"; done

.PHONY: test-package
test-package: ## Slow package checks: reproducible, lintian, install, run, upgrade and remove the .debs; the Windows files inspected; deploy.md's proxy configs through nginx and Caddy
	scripts/deps.sh test
	@$(MAKE) --no-print-directory package
	scripts/test-package.sh $(PACKAGE_DIR)
	scripts/test-package-windows.sh
	scripts/test-proxy.sh

.PHONY: bench
bench: ## Benchmarks: 6 runs each, medians by benchstat (figures, never pass/fail)
	@mkdir -p test-output
	go test $(GOTAGS) -run '^$$' -bench DurableSends -benchtime 20000x -count 6 -timeout 30m ./backend/client | tee test-output/bench.txt
	go test $(GOTAGS) -run '^$$' -bench DeliveryLatency -benchtime 500x -count 6 -timeout 30m ./backend/client | tee -a test-output/bench.txt
	go test $(GOTAGS) -run '^$$' -bench Transfer20MB -benchtime 5x -count 6 -timeout 30m ./backend/client | tee -a test-output/bench.txt
	go test $(GOTAGS) -run '^$$' -bench '^BenchmarkNodes$$' -benchtime 1000x -count 6 -timeout 30m ./backend/cmd/doorstep-server | tee -a test-output/bench.txt
	go test $(GOTAGS) -run '^$$' -bench . -count 6 -timeout 30m ./app/cache | tee -a test-output/bench.txt
	go test $(GOTAGS) -run '^$$' -bench . -benchtime 200x -count 6 -timeout 30m ./app | tee -a test-output/bench.txt
	go test $(GOTAGS) -run '^$$' -bench 'Search|HistoryFill' -benchtime 1x -count 1 -timeout 30m ./app/engine | tee -a test-output/bench.txt
	go test $(GOTAGS) -run '^$$' -bench Export10000 -benchtime 1x -count 3 -timeout 30m ./backend/evidence | tee -a test-output/bench.txt
	go test $(GOTAGS) -run '^$$' -bench '^BenchmarkClosedLoop100$$' -benchtime 20000x -count 6 -timeout 30m ./backend/client | tee -a test-output/bench.txt
	go tool -modfile=tools/go.mod benchstat test-output/bench.txt | tee test-output/bench-summary.txt
	@$(MAKE) --no-print-directory bench-server

.PHONY: bench-server
bench-server: ## The server under load from another process, beside a raw gorilla/websocket floor (test-output/bench-server/)
	scripts/bench-server.sh

# Not part of `make test`: it prints figures, it does not pass or fail them.
.PHONY: bench-desktop deps-bench
bench-desktop: deps-bench $(APP) $(SERVER) ## The desktop app in its real webview (WebKitGTK, Xvfb): memory beside the empty Wails template, start, open a 100,000-message thread, typing
	scripts/bench-desktop.sh "$(strip $(TAGS))"
deps-bench:
	scripts/deps.sh bench
	@$(MAKE) --no-print-directory frontend/node_modules/.package-lock.json

.PHONY: clean
clean: ## Remove what the build generated
	rm -rf $(BIN) $(PACKAGE_DIR) frontend/wailsjs test-output
	find frontend/dist -mindepth 1 ! -name .gitkeep -delete
