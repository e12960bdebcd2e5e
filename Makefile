# ml2go developer targets. `make test` is the whole test suite; it uses the
# PostgreSQL at ML2GO_TEST_POSTGRES_DSN (default: the local server) for the
# store tests that run on both engines, and stops before running anything
# if that server does not answer (`make test ML2GO_TEST_POSTGRES_DSN=`
# runs them on SQLite only).
ML2GO_TEST_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export ML2GO_TEST_POSTGRES_DSN

.PHONY: test check bench server embed proto

# The end-to-end dataplane tests run after the others, on their own: they
# time real packets through namespaces and Open vSwitch's userspace
# datapath, which the rest of the suite must not starve of CPU.
E2E := ./reference/agent/e2e/...

# The tests run through reference/cmd/ml2go-testreport: go test's output
# without -v (ok/FAIL lines, failed tests' output) and its exit status,
# with every skipped test and its reason listed before the last line.
test:
	@bin=$$(mktemp -d) && trap 'rm -rf "$$bin"' EXIT && \
	go build -o "$$bin/ml2go-testreport" ./reference/cmd/ml2go-testreport && \
	echo "go test -race -count=1 ./... (except $(E2E))" && \
	"$$bin/ml2go-testreport" -race -count=1 $$(go list ./... | grep -v '/reference/agent/e2e') && \
	echo "go test -race -count=1 $(E2E)" && \
	"$$bin/ml2go-testreport" -race -count=1 $(E2E)

# UNHELD matches mentions of documents and paths outside the repository:
# Neutron's behaviour is stated where it is implemented, not cited.
UNHELD := (^|[^./[:alnum:]])spec/[a-z0-9-]+\.md|spec §|[a-z0-9-]+\.md §|DESIGN\.md|\.\./shared/|neutron-reference/|golden/(noauth|keystone)/|/work/

# check: formatting (generated code included), vet, a go.mod and go.sum
# that go mod tidy would leave as they are, and no citation of what the
# repository does not hold.
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	go mod tidy -diff
	@! git grep -nE '$(UNHELD)' -- ':!Makefile' || { echo "check: the lines above cite what the repository does not hold; state the facts instead"; exit 1; }

bench:
	go test -run '^$$' -bench . -benchtime 2s ./core/... ./reference/...

server:
	go run ./reference/cmd/ml2go-server

embed:
	go run ./examples/embed

# proto regenerates the committed gRPC code of plugins/proto with Debian's
# protoc (apt-get install protobuf-compiler) and the code generators pinned
# to the google.golang.org/protobuf and grpc versions of go.mod.
PROTOC_GEN_GO_VERSION ?= v1.36.6
PROTOC_GEN_GO_GRPC_VERSION ?= v1.3.0

proto:
	go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	PATH="$$(go env GOPATH)/bin:$$PATH" go generate ./plugins/proto/...
