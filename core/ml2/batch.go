package ml2

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/ml2go/ml2go/core"
)

// Port creates are stored with group commit. A create that finds fewer
// than maxInflight transactions of creates in progress runs its own at
// once, alone. Creates that arrive while they are in progress wait, and
// the next transaction to finish hands its place to all of them, stored
// together: one transaction for all of them, with one quota check per
// project and one read per network (a project's and a network's in one
// statement where the store can: core.NetworkUsageReader), one statement
// inserting every port and its first address where the store can
// (core.PortsCreator), then every port's precommits, and one commit.
// On a database where every statement is a round trip, that is what lets
// concurrent creates scale: a batch costs about what one create costs.
//
// Each create keeps its own semantics. A create the batch cannot store for
// a reason of its own (its project's quota, its network) is stored alone
// afterwards, which gives it its own result. When anything fails the batch
// as a whole (a precommit, a MAC clash, an extension driver), the batch is
// rolled back and each of its creates is stored alone; precommits may
// therefore run twice for a port, as they may on any retried transaction.
// Postcommits and binding run afterwards, for each port on its own
// request's goroutine.

// maxBatch bounds the creates stored in one transaction.
const maxBatch = 64

// maxInflight bounds the transactions of batchable creates in progress at
// once: one, so that every create arriving meanwhile joins the next batch.
// (Two, which lets the database work on a batch while the other waits on
// its round trips, made fewer and smaller batches, and fewer creates per
// second with 8 clients on PostgreSQL.)
const maxInflight = 1

// maxWait bounds how long a create waits for a batch. One that the
// transactions in progress keep waiting longer (a driver that hangs in its
// precommit until its timeout, a slow database) leaves the queue and runs
// its own transaction, so that one slow create does not stall the others.
const maxWait = 200 * time.Millisecond

// portBatcher queues the creates that arrive while others are stored.
type portBatcher struct {
	mu       sync.Mutex
	inflight int           // transactions of batchable creates in progress
	waiting  []*portCreate // creates that arrived meanwhile
	maxWait  time.Duration // maxWait, unless a test sets another
}

// portCreate is the transactional part of one port create.
type portCreate struct {
	ctx  context.Context
	req  *PortRequest
	port *core.Port
	done chan struct{} // closed when the batch is done with it

	// Results, valid once done is closed.
	net   *core.Network
	alone bool // the batch did not store it: it must be stored alone
}

// batchable reports whether a create may be stored with others: one that
// asks for its own MAC or addresses is stored alone, so that a clash is
// its own.
func batchable(req *PortRequest) bool {
	return req.MACAddress == nil && req.FixedIPs == nil
}

// storePort stores a new port (quota, network, insert, addresses,
// precommits, commit), batched with concurrent creates when it can be, and
// returns its network.
func (p *Plugin) storePort(ctx context.Context, req *PortRequest, port *core.Port) (*core.Network, error) {
	if !batchable(req) {
		return p.storePortAlone(ctx, req, port)
	}
	b := &p.batch
	b.mu.Lock()
	if b.inflight >= maxInflight {
		c := &portCreate{ctx: ctx, req: req, port: port, done: make(chan struct{})}
		b.waiting = append(b.waiting, c)
		patience := cmp.Or(b.maxWait, maxWait)
		b.mu.Unlock()
		if !b.wait(c, patience) || c.alone {
			return p.storePortAlone(ctx, req, port)
		}
		return c.net, nil
	}
	b.inflight++
	b.mu.Unlock()
	defer func() { // even if a driver panics: the slot must be handed on
		if batch := b.next(); batch != nil {
			go p.storeBatches(batch)
		}
	}()
	return p.storePortAlone(ctx, req, port)
}

// wait waits until a batch is done with c and reports true, or takes c
// out of the queue after patience, or when its context ends, and reports
// false.
func (b *portBatcher) wait(c *portCreate, patience time.Duration) bool {
	t := time.NewTimer(patience)
	defer t.Stop()
	select {
	case <-c.done:
		return true
	case <-t.C:
	case <-c.ctx.Done():
	}
	b.mu.Lock()
	i := slices.Index(b.waiting, c)
	if i >= 0 {
		b.waiting = slices.Delete(b.waiting, i, i+1)
	}
	b.mu.Unlock()
	if i < 0 { // a batch took it meanwhile
		<-c.done
		return true
	}
	return false
}

// next hands a finished transaction's slot to the creates that are
// waiting, up to maxBatch, or frees it when there are none.
func (b *portBatcher) next() []*portCreate {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiting) == 0 {
		b.inflight--
		return nil
	}
	n := min(len(b.waiting), maxBatch)
	batch := b.waiting[:n:n]
	b.waiting = b.waiting[n:]
	if len(b.waiting) == 0 {
		b.waiting = nil
	}
	return batch
}

// storeBatches stores batch, then every batch that queued meanwhile, until
// none is waiting.
func (p *Plugin) storeBatches(batch []*portCreate) {
	for batch != nil {
		p.storeBatch(batch)
		batch = p.batch.next()
	}
}

// storeBatch stores the creates of batch in one transaction, and releases
// them.
func (p *Plugin) storeBatch(batch []*portCreate) {
	defer func() {
		// A panicking in-process driver must not take the server down
		// from this goroutine, where no request handler recovers it: each
		// create then runs alone, on its request's goroutine.
		if r := recover(); r != nil {
			p.log.Error("port create batch panicked; storing its ports one by one", "ports", len(batch), "panic", r)
			for _, c := range batch {
				c.alone = true
			}
		}
		for _, c := range batch {
			close(c.done)
		}
	}()
	if len(batch) == 1 {
		// Alone, on its own goroutine: its own context, its own retries.
		batch[0].alone = true
		return
	}
	ctx := context.WithoutCancel(batch[0].ctx)
	err := p.store.Update(ctx, func(tx core.Tx) error { return p.storeTogether(ctx, tx, batch) })
	if err != nil {
		p.log.Debug("port create batch failed; storing its ports one by one", "ports", len(batch), "error", err)
		for _, c := range batch {
			c.alone = true
		}
	}
}

// storeTogether is the transaction of a batch. A create that fails for a
// reason of its own is marked alone and left out; any other failure fails
// the batch.
func (p *Plugin) storeTogether(ctx context.Context, tx core.Tx, batch []*portCreate) error {
	for _, c := range batch { // the transaction may be a retry
		c.alone, c.net = false, nil
		c.port.FixedIPs, c.port.Status = nil, core.StatusDown
	}
	subnets, err := p.readBatchTargets(ctx, tx, batch)
	if err != nil {
		return err
	}
	var (
		members []*portCreate
		ports   []*core.Port
		claims  []*core.IPAllocation
		allocs  []*ipAllocator
	)
	for _, c := range batch {
		if c.alone {
			continue
		}
		for _, e := range p.exts {
			if err := e.Driver.ProcessCreatePort(c.ctx, tx, c.req.Extensions, c.port); err != nil {
				return err
			}
		}
		alloc := &ipAllocator{tx: tx, port: c.port, subnets: subnets[c.port.NetworkID]}
		claim := alloc.probe()
		c.port.MACAddress = p.macs.Generate()
		members, ports, claims, allocs = append(members, c), append(ports, c.port), append(claims, claim), append(allocs, alloc)
	}
	if len(members) == 0 {
		return nil
	}
	claimed, err := createPorts(ctx, tx, ports, claims)
	if err != nil {
		return err
	}
	for i, c := range members {
		if c.port.FixedIPs, err = allocs[i].automatic(ctx, claimedIP(claims[i], claimed[i])); err != nil {
			return err
		}
	}
	for _, c := range members {
		if err := p.createPortPrecommit(c.ctx, tx, c.port, c.net); err != nil {
			return err
		}
	}
	return nil
}

// readBatchTargets checks each project's quota for all its creates at
// once and reads each network once, setting each create's network, and
// returns the subnets by network. The i-th project and the i-th network
// are read together (readPortTarget). The creates of a project over its
// quota, or on a network that cannot be read (it does not exist), are left
// to be stored alone, which gives each its own answer.
func (p *Plugin) readBatchTargets(ctx context.Context, tx core.Tx, batch []*portCreate) (map[string][]*core.Subnet, error) {
	var projects, networks []string
	perProject := map[string][]*portCreate{}
	perNetwork := map[string][]*portCreate{}
	for _, c := range batch {
		pid, nid := c.port.ProjectID, c.port.NetworkID
		if _, ok := perProject[pid]; !ok {
			projects = append(projects, pid)
		}
		if _, ok := perNetwork[nid]; !ok {
			networks = append(networks, nid)
		}
		perProject[pid] = append(perProject[pid], c)
		perNetwork[nid] = append(perNetwork[nid], c)
	}
	subnets := make(map[string][]*core.Subnet, len(networks))
	for i := range max(len(projects), len(networks)) {
		var t portTarget
		switch {
		case i < len(projects) && i < len(networks):
			t = p.readPortTarget(ctx, tx, projects[i], networks[i], len(perProject[projects[i]]))
		case i < len(projects):
			t.quotaErr = p.checkQuotaN(ctx, tx, projects[i], "port", len(perProject[projects[i]]))
		default:
			t.net, t.subnets, t.netErr = tx.GetNetworkSubnets(ctx, networks[i])
		}
		for _, err := range []error{t.quotaErr, t.netErr} {
			if err != nil && !isTyped(err) {
				return nil, err
			}
		}
		if i < len(projects) && t.quotaErr != nil {
			for _, c := range perProject[projects[i]] {
				c.alone = true
			}
		}
		if i < len(networks) {
			for _, c := range perNetwork[networks[i]] {
				if t.netErr != nil {
					c.alone = true
				}
				c.net = t.net
			}
			subnets[networks[i]] = t.subnets
		}
	}
	return subnets, nil
}

// createPorts inserts ports, each with its claim when it has one, in one
// statement when the store offers it.
func createPorts(ctx context.Context, tx core.Tx, ports []*core.Port, claims []*core.IPAllocation) ([]bool, error) {
	for i, c := range claims {
		if c != nil {
			c.PortID = ports[i].ID
		}
	}
	if pc, ok := tx.(core.PortsCreator); ok {
		return pc.CreatePortsWithIP(ctx, ports, claims)
	}
	claimed := make([]bool, len(ports))
	for i, port := range ports {
		var err error
		if claims[i] != nil {
			claimed[i], err = tx.CreatePortWithIP(ctx, port, *claims[i])
		} else {
			err = tx.CreatePort(ctx, port)
		}
		if err != nil {
			return nil, err
		}
	}
	return claimed, nil
}

// isTyped reports whether err is a typed core error: an answer about the
// request, not a failure of the store.
func isTyped(err error) bool {
	var ce *core.Error
	return errors.As(err, &ce)
}
