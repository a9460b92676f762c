# Tollgate. `make run` starts the suite; `make test` checks everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

MODULES := proto pkg services/tenancy services/membership services/token services/export gateway cmd/tollgate cmd/tollgate-bench deploy/check
BINARIES := tollgate:./cmd/tollgate gatewayd:./gateway/cmd/gatewayd \
	tenancyd:./services/tenancy/cmd/tenancyd membershipd:./services/membership/cmd/membershipd \
	tokend:./services/token/cmd/tokend exportd:./services/export/cmd/exportd

# Third-party protos come from these Go modules (pinned here), copied out of
# the module cache at generate time into build/protodeps (ignored by git).
GOOGLEAPIS_MOD := github.com/grpc-ecosystem/grpc-gateway@v1.16.0
PROTOVALIDATE_MOD := github.com/bufbuild/protovalidate@v1.2.2

TOOLS_DIR := $(CURDIR)/bin/tools
TOOLS := github.com/bufbuild/buf/cmd/buf google.golang.org/protobuf/cmd/protoc-gen-go \
	google.golang.org/grpc/cmd/protoc-gen-go-grpc \
	github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway \
	github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2
BUF := PATH="$(TOOLS_DIR):$$PATH" $(TOOLS_DIR)/buf
GO_TEST_FLAGS ?= -race -count=1 -timeout 15m

.PHONY: build test test-go lint generate gen-check tools protodeps check-workspace tidy run clean fuzz bench load images manifests-check fuzz-short fuzz-run soak

## build: every binary into bin/ (bin/tollgate is the CLI and all-in-one launcher)
build:
	@mkdir -p bin
	@for b in $(BINARIES); do name=$${b%%:*}; pkg=$${b#*:}; \
		echo "go build -o bin/$$name $$pkg"; CGO_ENABLED=0 go build -trimpath -o bin/$$name $$pkg; done

## run: the whole suite in one process, in dev mode, with data in ./data
run: build
	./bin/tollgate up --dev --http-addr 127.0.0.1:8080 --data-dir ./data

## test: workspace consistency, lint, generated code in sync, and every module's tests with -race
test: check-workspace lint gen-check manifests-check test-go fuzz-short

test-go:
	@for m in $(MODULES); do echo "== go test $$m"; (cd $$m && go test $(GO_TEST_FLAGS) ./...); done

## images: one OCI image archive per component in build/images/<component>.tar, without a Docker engine
# Static linux binaries on scratch, user 65532, tagged with the version pinned
# in deploy/kubernetes/base/kustomization.yaml; reproducible (prints digests).
IMAGE_ARCH ?= $(shell go env GOARCH)
IMAGES_DIR := $(CURDIR)/build/images
images:
	@mkdir -p $(IMAGES_DIR)/bin
	@for b in $(filter-out tollgate:%,$(BINARIES)); do name=$${b%%:*}; pkg=$${b#*:}; \
		echo "go build -o build/images/bin/$$name $$pkg (linux/$(IMAGE_ARCH))"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) go build -trimpath -buildvcs=false -ldflags='-s -w' -o $(IMAGES_DIR)/bin/$$name $$pkg; done
	cd deploy/check && go run ./cmd/imagebuild -arch $(IMAGE_ARCH) -bin-dir $(IMAGES_DIR)/bin -out $(IMAGES_DIR)

## manifests-check: render deploy/kubernetes with kustomize, decode strictly, check our rules, and docs/operations.md's settings tables against the binaries
manifests-check: build
	cd deploy/check && TOLLGATE_BIN_DIR=$(CURDIR)/bin go test -count=1 ./...

## lint: buf lint and format, gofmt, go vet of every module built on its own
lint: tools protodeps
	$(BUF) lint
	$(BUF) format --diff --exit-code proto
	@unformatted=$$(git ls-files '*.go' | grep -v '\.pb\.\|\.pb\.gw\.' | xargs gofmt -l); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	@for m in $(MODULES); do echo "== go vet $$m (alone)"; (cd $$m && GOWORK=off go build ./... && GOWORK=off go vet ./...); done

## generate: regenerate Go code and the OpenAPI document from proto/
generate: tools protodeps
	$(BUF) format -w proto
	$(BUF) generate

## gen-check: fail if the committed generated code differs from what proto/ generates
gen-check: tools protodeps
	@rm -rf build/gencheck
	@$(BUF) generate -o build/gencheck
	@cd build/gencheck && find . -type f | sort | while read -r f; do \
		cmp -s "$$f" "../../$$f" || { echo "generated file out of date: $${f#./} (run make generate)"; exit 1; }; done
	@find proto gateway/openapi -name '*.pb.go' -o -name '*.pb.gw.go' -o -name '*.swagger.json' | while read -r f; do \
		[ -f "build/gencheck/$$f" ] || { echo "stale generated file: $$f (run make generate)"; exit 1; }; done
	@echo "generated code is up to date"

## tools: buf and the protoc plugins, at the versions pinned in proto/tools/go.mod
tools:
	@mkdir -p $(TOOLS_DIR)
	@cd proto/tools && GOWORK=off go build -o $(TOOLS_DIR)/ $(TOOLS)

protodeps:
	@rm -rf build/protodeps && mkdir -p build/protodeps/google/api build/protodeps/buf/validate
	@gapi=$$(GOWORK=off GOFLAGS=-mod=mod go mod download -json $(GOOGLEAPIS_MOD) | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'); \
		cp $$gapi/third_party/googleapis/google/api/{annotations,http,httpbody}.proto build/protodeps/google/api/
	@pv=$$(GOWORK=off GOFLAGS=-mod=mod go mod download -json $(PROTOVALIDATE_MOD) | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'); \
		cp $$pv/proto/protovalidate/buf/validate/validate.proto build/protodeps/buf/validate/
	@chmod -R u+w build/protodeps

## check-workspace: go.work lists every module; each module's go.mod is tidy on its own and agrees with the workspace
check-workspace:
	@listed=$$(go work edit -json | sed -n 's/.*"DiskPath": "\.\/\(.*\)".*/\1/p' | sort); \
		found=$$(git ls-files '*go.mod' | xargs -n1 dirname | grep -v '^proto/tools$$' | sort); \
		[ "$$listed" = "$$found" ] || { echo "go.work does not list exactly the modules in the repo:"; diff <(echo "$$listed") <(echo "$$found"); exit 1; }
	@for m in $(MODULES); do (cd $$m && GOWORK=off GOFLAGS=-mod=mod go mod tidy -diff) >/dev/null || { echo "$$m: go.mod/go.sum not tidy (run make tidy)"; exit 1; }; done
	@mods=$$(git ls-files '*go.mod' | grep -v '^proto/tools/'); before=$$(cat $$mods | sha256sum); go work sync; \
		[ "$$before" = "$$(cat $$mods | sha256sum)" ] || { echo "a module requires older versions than the workspace selects: go work sync changed them (review and commit)"; exit 1; }
	@echo "workspace is consistent"

## tidy: tidy every module on its own, then align them with the workspace
tidy:
	@for m in $(MODULES) proto/tools; do (cd $$m && GOWORK=off GOFLAGS=-mod=mod go mod tidy); done
	go work sync

## bench: the repo's Go micro-benchmarks and the quick harness scenarios; tables into docs/performance.md (<!-- bench:… -->)
# Not part of `make test`. Loopback only; takes a few minutes.
BENCH := $(CURDIR)/bin/tollgate-bench
bench: build
	CGO_ENABLED=0 go build -trimpath -o $(BENCH) ./cmd/tollgate-bench
	$(BENCH) -profile quick -gobench -repo $(CURDIR) -tollgate bin/tollgate \
		-doc docs/performance.md -section bench -label 'make bench'

## load: the full scenarios (1M records, PostgreSQL 15 reference); tables into docs/performance.md (<!-- load:… -->)
# Needs the Debian package postgresql (installed here when missing and we are root;
# without it the tables say so). About 5 minutes on 2 cores.
load: build
	CGO_ENABLED=0 go build -trimpath -o $(BENCH) ./cmd/tollgate-bench
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		  { echo "PostgreSQL not found: apt-get install postgresql"; apt-get install -y --no-install-recommends postgresql >/dev/null; } || \
		  echo "PostgreSQL not found and not installable here: the load tables will say so"; }
	$(BENCH) -profile full -tollgate bin/tollgate -doc docs/performance.md -section load -label 'make load'

## fuzz: longer fuzzing runs (FUZZTIME per target); fuzz-short (in `make test`) runs each for FUZZTIME_SHORT
# Each entry is module:package:target (go test -fuzz takes one target per run).
FUZZ_TARGETS := pkg:./apitoken:FuzzParse pkg:./pagetoken:FuzzDecode pkg:./logs/logline:FuzzDecode \
	pkg:./logs/logline:FuzzRoundTrip cmd/tollgate:.:FuzzRESTJSON
FUZZTIME ?= 60s
FUZZTIME_SHORT ?= 3s
fuzz:
	@$(MAKE) --no-print-directory fuzz-run FUZZ_FOR=$(FUZZTIME)
fuzz-short:
	@$(MAKE) --no-print-directory fuzz-run FUZZ_FOR=$(FUZZTIME_SHORT)
fuzz-run:
	@for f in $(FUZZ_TARGETS); do m=$${f%%:*}; rest=$${f#*:}; pkg=$${rest%%:*}; target=$${rest#*:}; \
		echo "== fuzz $$m $$pkg $$target for $(FUZZ_FOR)"; \
		(cd $$m && go test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZ_FOR) $$pkg); done

## soak: a real suite at a steady rate for SOAK_DURATION (default 10m); the table goes into docs/performance.md (<!-- soak:… -->)
SOAK_DURATION ?= 10m
soak:
	cd cmd/tollgate && SOAK_DURATION=$(SOAK_DURATION) SOAK_WRITE_DOCS=1 go test -count=1 -run '^TestSoak$$' -v -timeout 2h .

clean:
	rm -rf bin build
