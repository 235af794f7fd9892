# ContactSync — build, test and demo. Every tool comes from the Go module
# proxy (hack/build-tools.sh); nothing is downloaded from release pages.

BIN          := $(CURDIR)/bin
CONTROLLER_GEN := $(BIN)/controller-gen
HELM         := $(BIN)/helm
KUBEBUILDER_ASSETS := $(BIN)
GO_TEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: all
all: build

##@ Tools

.PHONY: tools
tools: ## Build etcd, kube-apiserver, controller-gen and helm into bin/ (skipped when present).
	hack/build-tools.sh

$(CONTROLLER_GEN):
	hack/build-tools.sh controller-gen

##@ Development

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs and RBAC into config/ (and the chart's copy of the CRDs).
	$(CONTROLLER_GEN) crd rbac:roleName=manager-role paths=./... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	@if [ -x hack/sync-chart-crds.sh ]; then hack/sync-chart-crds.sh; fi

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the DeepCopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: fmt
fmt: ## gofmt the code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## go vet the code.
	go vet ./...

.PHONY: verify
verify: manifests generate ## Fail when generated files are not up to date.
	@git diff --exit-code -- api config charts || { echo "generated files are stale: run 'make manifests generate' and commit"; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

.PHONY: test
test: tools ## Run every test, envtest suites included, against a real kube-apiserver and etcd.
	$(MAKE) --no-print-directory verify
	go vet ./...
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) HELM=$(HELM) go test $(GO_TEST_FLAGS) ./...

.PHONY: bench
bench: ## Run the benchmarks once each (figures for the performance targets).
	go test -run '^$$' -bench . -benchtime 1x ./...

##@ Build and run

.PHONY: build
build: ## Build the operator binary into bin/contactsync.
	go build -o $(BIN)/contactsync .

.PHONY: run
run: build ## Run the operator against the cluster of the current kubeconfig.
	$(BIN)/contactsync

.PHONY: demo
demo: tools build ## Start a local control plane, the sandbox and the operator, apply the samples, show the syncs.
	hack/demo.sh

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)
