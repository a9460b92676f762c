# Tollgate. `make run` starts the suite; `make test` checks everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

MODULES := proto pkg services/tenancy services/membership services/token services/export gateway cmd/tollgate
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

.PHONY: build test test-go lint generate gen-check tools protodeps check-workspace tidy run clean fuzz

## build: every binary into bin/ (bin/tollgate is the CLI and all-in-one launcher)
build:
	@mkdir -p bin
	@for b in $(BINARIES); do name=$${b%%:*}; pkg=$${b#*:}; \
		echo "go build -o bin/$$name $$pkg"; CGO_ENABLED=0 go build -trimpath -o bin/$$name $$pkg; done

## run: the whole suite in one process, in dev mode, with data in ./data
run: build
	./bin/tollgate up --dev --http-addr 127.0.0.1:8080 --data-dir ./data

## test: workspace consistency, lint, generated code in sync, and every module's tests with -race
test: check-workspace lint gen-check test-go

test-go:
	@for m in $(MODULES); do echo "== go test $$m"; (cd $$m && go test $(GO_TEST_FLAGS) ./...); done

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

## fuzz: longer fuzzing runs (FUZZTIME per target)
FUZZTIME ?= 60s
fuzz:
	cd pkg && go test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./pagetoken

clean:
	rm -rf bin build
