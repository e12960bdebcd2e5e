//go:build !unix

package server

// fdLimit is unknown on this system: the configured limit stands.
func fdLimit() (uint64, bool) { return 0, false }
