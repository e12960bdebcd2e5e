package sqlstore

// DropIdleConnsForTest closes the store's idle connections, as their idle
// timeout does, so that the next transaction opens a new one.
func DropIdleConnsForTest(s *Store) { s.dropIdleConns() }
