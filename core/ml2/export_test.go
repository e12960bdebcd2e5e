package ml2

import "time"

// WaitingCreates returns the number of port creates queued for the next
// batch, for tests that form a batch on purpose.
func (p *Plugin) WaitingCreates() int {
	p.batch.mu.Lock()
	defer p.batch.mu.Unlock()
	return len(p.batch.waiting)
}

// MaxInflight is maxInflight, for tests that hold every transaction of
// creates in progress.
const MaxInflight = maxInflight

// InflightCreates returns the transactions of batchable creates in
// progress.
func (p *Plugin) InflightCreates() int {
	p.batch.mu.Lock()
	defer p.batch.mu.Unlock()
	return p.batch.inflight
}

// SetBatchWait sets how long a create waits for a batch (maxWait) before
// it runs its own transaction.
func (p *Plugin) SetBatchWait(d time.Duration) {
	p.batch.mu.Lock()
	defer p.batch.mu.Unlock()
	p.batch.maxWait = d
}
