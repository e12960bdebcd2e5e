package ml2

// WaitingCreates returns the number of port creates queued for the next
// batch, for tests that form a batch on purpose.
func (p *Plugin) WaitingCreates() int {
	p.batch.mu.Lock()
	defer p.batch.mu.Unlock()
	return len(p.batch.waiting)
}
