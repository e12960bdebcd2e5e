package ml2_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/mechdrivers/logger"
)

// recorder subscribes to every topic of an Events and records what it
// hears, "before"/"after" + action + resource + name, in order. It is also
// a mechanism driver, so that its records interleave with the hooks'.
type recorder struct {
	*logger.Driver
	mu   sync.Mutex
	log  []string
	veto map[string]error // by "<resource> <action>"
}

func newRecorder() *recorder { return &recorder{Driver: logger.New(nil), veto: map[string]error{}} }

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
}

func (r *recorder) records() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = nil
}

func record[T any](r *recorder, topic *core.Topic[T], resource string, name func(*T) string) {
	topic.BeforeCommit("recorder", func(_ context.Context, c *core.Change[T]) error {
		if c.Tx == nil {
			return fmt.Errorf("no transaction before commit")
		}
		r.add(fmt.Sprintf("before %s %s %s", c.Action, resource, name(c.Current())))
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.veto[resource+" "+string(c.Action)]
	})
	topic.AfterCommit("recorder", func(_ context.Context, c *core.Change[T]) {
		r.add(fmt.Sprintf("after %s %s %s", c.Action, resource, name(c.Current())))
	})
}

// Subscribe makes the recorder a core.Subscriber of every topic.
func (r *recorder) Subscribe(ev *core.Events) {
	record(r, &ev.Networks, "network", func(n *core.Network) string { return n.Name })
	record(r, &ev.Subnets, "subnet", func(s *core.Subnet) string { return s.Name })
	record(r, &ev.Ports, "port", func(p *core.Port) string { return p.Name })
	record(r, &ev.Segments, "segment", func(s *core.Segment) string { return s.Name })
}

func (r *recorder) CreateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	r.add("precommit create network " + nc.Current().Name)
	return r.Driver.CreateNetworkPrecommit(ctx, nc)
}

func (r *recorder) CreateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	r.add("postcommit create network " + nc.Current().Name)
	return r.Driver.CreateNetworkPostcommit(ctx, nc)
}

// TestEvents checks the ordering guarantees of core.Events as the
// orchestrator publishes them: before commit inside the transaction and
// ahead of the precommits, after commit behind the postcommits, vetoes
// rolling back with the subscriber's typed error, and nothing published
// after commit of what rolled back.
func TestEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		r := newRecorder()
		e := newEnv(t, engine, withMech("recorder", r))

		n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr("n1")})
		require.NoError(t, err)
		assert.Equal(t, []string{
			"before create network n1", "precommit create network n1",
			"postcommit create network n1", "after create network n1",
		}, r.records())

		r.reset()
		s := e.subnet(n.ID, "10.0.0.0/24", func(req *ml2.SubnetRequest) { req.Name = ptr("s1") })
		p := e.port(n.ID, func(req *ml2.PortRequest) { req.Name = ptr("p1") })
		_, err = e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{Name: ptr("p2")})
		require.NoError(t, err)
		require.NoError(t, e.plugin.DeletePort(e.ctx, p.ID))
		require.NoError(t, e.plugin.DeleteSubnet(e.ctx, s.ID))
		assert.Equal(t, []string{
			"before create subnet s1", "after create subnet s1",
			"before create port p1", "after create port p1",
			"before update port p2", "after update port p2",
			"before delete port p2", "after delete port p2",
			"before delete subnet s1", "after delete subnet s1",
		}, r.records())

		// A veto rolls the change back with the subscriber's error; the
		// precommits do not run and nothing is published after commit.
		for _, tc := range []struct {
			key string
			run func() error
		}{
			{"network create", func() error {
				_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr("vetoed")})
				return err
			}},
			{"network update", func() error {
				_, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Name: ptr("vetoed")})
				return err
			}},
			{"port create", func() error {
				_, err := e.plugin.CreatePorts(e.ctx, []*ml2.PortRequest{{NetworkID: n.ID}, {NetworkID: n.ID}})
				return err
			}},
			{"network delete", func() error { return e.plugin.DeleteNetwork(e.ctx, n.ID) }},
		} {
			t.Run(tc.key, func(t *testing.T) {
				r.mu.Lock()
				r.veto[tc.key] = core.Typed(core.KindConflict, "ServiceVeto", "the service refuses")
				r.mu.Unlock()
				defer func() {
					r.mu.Lock()
					delete(r.veto, tc.key)
					r.mu.Unlock()
				}()
				before := e.snapshot()
				r.reset()
				err := tc.run()
				e.requireFailsCleanly("ServiceVeto", before, err)
				for _, rec := range r.records() {
					assert.NotContains(t, rec, "after", "published after a rollback: %v", r.records())
					assert.NotContains(t, rec, "precommit", "precommit after a veto: %v", r.records())
				}
			})
		}

		// The undo of a create whose postcommit failed publishes its
		// delete, and a veto does not stop it.
		r.reset()
		r.FailOn("CreateNetworkPostcommit", fmt.Errorf("backend down"))
		r.veto["network delete"] = fmt.Errorf("no deletes today")
		before := e.snapshot()
		_, err = e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr("undone")})
		require.Error(t, err)
		assert.Equal(t, before, e.snapshot())
		assert.Equal(t, []string{
			"before create network undone", "precommit create network undone",
			"postcommit create network undone",
			"before delete network undone", "after delete network undone",
		}, r.records())
	})
}

// TestEventsSegments checks that segment changes are published, dynamic
// ones included.
func TestEventsSegments(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		r := newRecorder()
		e := newEnv(t, engine, withMech("recorder", r))
		n := e.network(&ml2.NetworkRequest{Name: ptr("n")})
		r.reset()
		seg, err := e.plugin.CreateSegment(e.ctx, &ml2.SegmentRequest{NetworkID: n.ID, NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", Name: ptr("s")})
		require.NoError(t, err)
		_, err = e.plugin.UpdateSegment(e.ctx, seg.ID, &ml2.SegmentRequest{Name: ptr("t")})
		require.NoError(t, err)
		require.NoError(t, e.plugin.DeleteSegment(e.ctx, seg.ID))
		assert.Equal(t, []string{
			"before create segment s", "after create segment s",
			"before update segment t", "after update segment t",
			"before delete segment t", "after delete segment t",
		}, r.records())
	})
}
