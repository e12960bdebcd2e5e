// Package typedriverv1 is the generated Go code of ml2go's type-driver
// plugin protocol, version 1 (typedriver.proto). Vendors writing a driver
// in Go use package plugins/sdk instead; other languages generate their own
// code from typedriver.proto.
//
// Regenerate with `make proto` (or `go generate ./plugins/proto/...`); it
// needs protoc and the protoc-gen-go and protoc-gen-go-grpc versions pinned
// in the Makefile.
package typedriverv1

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative typedriver.proto
