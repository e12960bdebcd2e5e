package drivertest

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/ml2go/ml2go/core"
)

// call is one hook call seen by the recorder.
type call struct {
	method string
	err    error
	// retried is set when the postcommit was called a second time, and
	// retryErr is what that second call returned.
	retried  bool
	retryErr error
}

// recorder is the driver as the orchestrator sees it: it forwards every
// call to the driver under test, records it, turns a panic of an
// in-process driver into an error naming the hook, and in retry mode calls
// each successful postcommit a second time.
type recorder struct {
	d     core.MechanismDriver
	retry bool

	mu    sync.Mutex
	calls []call
}

var (
	_ core.MechanismDriver         = (*recorder)(nil)
	_ core.ConnectivityProvider    = (*recorder)(nil)
	_ core.VLANTransparencyChecker = (*recorder)(nil)
)

// protect runs f, turning a panic into an error.
func protect(method string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drivertest: %s panicked: %v%s", method, r, panicSite(debug.Stack()))
		}
	}()
	return f()
}

// panicSite returns " (in function at file:line)" for the frame that
// panicked, from stack, a debug.Stack taken in the deferred recover; ""
// if it cannot tell.
func panicSite(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		// "panic(...)", its location in the runtime, then the frame
		// that panicked and its location.
		if !strings.HasPrefix(l, "panic(") || i+3 >= len(lines) {
			continue
		}
		fn := lines[i+2]
		if j := strings.LastIndex(fn, "("); j > 0 {
			fn = fn[:j]
		}
		loc := strings.TrimSpace(lines[i+3])
		if j := strings.LastIndex(loc, " +0x"); j > 0 {
			loc = loc[:j]
		}
		return fmt.Sprintf(" (in %s at %s)", fn, loc)
	}
	return ""
}

func (r *recorder) add(c call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

// do runs a hook that is not a postcommit.
func (r *recorder) do(method string, f func() error) error {
	err := protect(method, f)
	r.add(call{method: method, err: err})
	return err
}

// post runs a postcommit hook, twice in retry mode.
func (r *recorder) post(method string, f func() error) error {
	err := protect(method, f)
	c := call{method: method, err: err}
	if err == nil && r.retry {
		c.retried = true
		c.retryErr = protect(method, f)
		err = c.retryErr
	}
	r.add(c)
	return err
}

// mark returns a position in the call log, for since.
func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// since returns the calls recorded after mark m.
func (r *recorder) since(m int) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls[m:]...)
}

// callsTo returns every recorded call of method.
func (r *recorder) callsTo(method string) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

// Connectivity forwards to the driver, if it says.
func (r *recorder) Connectivity() core.Connectivity {
	if c, ok := r.d.(core.ConnectivityProvider); ok {
		return c.Connectivity()
	}
	return core.ConnectivityLegacy
}

// CheckVLANTransparency forwards to the driver; a driver without an
// opinion does not support VLAN-transparent networks.
func (r *recorder) CheckVLANTransparency(ctx context.Context, nc core.NetworkContext) bool {
	if c, ok := r.d.(core.VLANTransparencyChecker); ok {
		return c.CheckVLANTransparency(ctx, nc)
	}
	return false
}

func (r *recorder) Initialize(ctx context.Context) error {
	return r.do("Initialize", func() error { return r.d.Initialize(ctx) })
}

func (r *recorder) CreateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return r.do("CreateNetworkPrecommit", func() error { return r.d.CreateNetworkPrecommit(ctx, nc) })
}

func (r *recorder) CreateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return r.post("CreateNetworkPostcommit", func() error { return r.d.CreateNetworkPostcommit(ctx, nc) })
}

func (r *recorder) UpdateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return r.do("UpdateNetworkPrecommit", func() error { return r.d.UpdateNetworkPrecommit(ctx, nc) })
}

func (r *recorder) UpdateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return r.post("UpdateNetworkPostcommit", func() error { return r.d.UpdateNetworkPostcommit(ctx, nc) })
}

func (r *recorder) DeleteNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return r.do("DeleteNetworkPrecommit", func() error { return r.d.DeleteNetworkPrecommit(ctx, nc) })
}

func (r *recorder) DeleteNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return r.post("DeleteNetworkPostcommit", func() error { return r.d.DeleteNetworkPostcommit(ctx, nc) })
}

func (r *recorder) CreateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return r.do("CreateSubnetPrecommit", func() error { return r.d.CreateSubnetPrecommit(ctx, sc) })
}

func (r *recorder) CreateSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return r.post("CreateSubnetPostcommit", func() error { return r.d.CreateSubnetPostcommit(ctx, sc) })
}

func (r *recorder) UpdateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return r.do("UpdateSubnetPrecommit", func() error { return r.d.UpdateSubnetPrecommit(ctx, sc) })
}

func (r *recorder) UpdateSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return r.post("UpdateSubnetPostcommit", func() error { return r.d.UpdateSubnetPostcommit(ctx, sc) })
}

func (r *recorder) DeleteSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return r.do("DeleteSubnetPrecommit", func() error { return r.d.DeleteSubnetPrecommit(ctx, sc) })
}

func (r *recorder) DeleteSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return r.post("DeleteSubnetPostcommit", func() error { return r.d.DeleteSubnetPostcommit(ctx, sc) })
}

func (r *recorder) CreatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return r.do("CreatePortPrecommit", func() error { return r.d.CreatePortPrecommit(ctx, pc) })
}

func (r *recorder) CreatePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return r.post("CreatePortPostcommit", func() error { return r.d.CreatePortPostcommit(ctx, pc) })
}

func (r *recorder) UpdatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return r.do("UpdatePortPrecommit", func() error { return r.d.UpdatePortPrecommit(ctx, pc) })
}

func (r *recorder) UpdatePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return r.post("UpdatePortPostcommit", func() error { return r.d.UpdatePortPostcommit(ctx, pc) })
}

func (r *recorder) DeletePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return r.do("DeletePortPrecommit", func() error { return r.d.DeletePortPrecommit(ctx, pc) })
}

func (r *recorder) DeletePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return r.post("DeletePortPostcommit", func() error { return r.d.DeletePortPostcommit(ctx, pc) })
}

func (r *recorder) BindPort(ctx context.Context, pc core.PortContext) error {
	return r.do("BindPort", func() error { return r.d.BindPort(ctx, pc) })
}
