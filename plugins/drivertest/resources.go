package drivertest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

// Names of the resources the kit creates.
const (
	netName     = "drivertest-net"
	subnetName  = "drivertest-subnet"
	portName    = "drivertest-port"
	renamed     = "drivertest-renamed"
	subnetCIDR  = "10.0.0.0/24"
	kindNetwork = "network"
	kindSubnet  = "subnet"
	kindPort    = "port"
)

func ptr[T any](v T) *T { return &v }

// provider returns the provider attributes of a network of type nt.
func provider(nt string) *ml2.ProviderSegment {
	ps := &ml2.ProviderSegment{NetworkType: nt}
	if nt == core.TypeFlat || nt == core.TypeVLAN {
		ps.PhysicalNetwork = PhysicalNetwork
	}
	return ps
}

// createNetwork creates a network of type nt named name; it is deleted
// when t ends.
func (e *env) createNetwork(t *testing.T, nt, name string) (*core.Network, error) {
	n, err := e.p.CreateNetwork(e.ctx(), &ml2.NetworkRequest{Name: ptr(name), Provider: provider(nt)})
	if err == nil {
		e.track(t, kindNetwork, n.ID)
	}
	return n, err
}

// network is createNetwork that fails the test on error.
func (e *env) network(t *testing.T, nt, name string) *core.Network {
	t.Helper()
	m := e.rec.mark()
	n, err := e.createNetwork(t, nt, name)
	e.must(t, m, err, "create a %s network", nt)
	require.NotEmpty(t, n.Segments, "the %s network has no segment", nt)
	return n
}

// createSubnet creates an IPv4 subnet on network netID.
func (e *env) createSubnet(t *testing.T, netID, name string) (*core.Subnet, error) {
	s, err := e.p.CreateSubnet(e.ctx(), &ml2.SubnetRequest{
		NetworkID: netID, Name: ptr(name), IPVersion: 4, CIDR: netip.MustParsePrefix(subnetCIDR),
	})
	if err == nil {
		e.track(t, kindSubnet, s.ID)
	}
	return s, err
}

func (e *env) subnet(t *testing.T, netID, name string) *core.Subnet {
	t.Helper()
	m := e.rec.mark()
	s, err := e.createSubnet(t, netID, name)
	e.must(t, m, err, "create a subnet")
	return s
}

// createPort creates a port on netID; with a host, it is bound.
func (e *env) createPort(t *testing.T, netID, name, host, vnic string) (*core.Port, error) {
	req := &ml2.PortRequest{NetworkID: netID, Name: ptr(name)}
	if host != "" {
		req.HostID = ptr(host)
	}
	if vnic != "" {
		req.VNICType = ptr(vnic)
	}
	p, err := e.p.CreatePort(e.ctx(), req)
	if err == nil {
		e.track(t, kindPort, p.ID)
	}
	return p, err
}

func (e *env) port(t *testing.T, netID, name, host, vnic string) *core.Port {
	t.Helper()
	m := e.rec.mark()
	p, err := e.createPort(t, netID, name, host, vnic)
	e.must(t, m, err, "create a port (host %q, vnic_type %q)", host, vnic)
	return p
}

// rename renames a resource.
func (e *env) rename(kind, id, name string) error {
	var err error
	switch kind {
	case kindNetwork:
		_, err = e.p.UpdateNetwork(e.ctx(), id, &ml2.NetworkRequest{Name: ptr(name)})
	case kindSubnet:
		_, err = e.p.UpdateSubnet(e.ctx(), id, &ml2.SubnetRequest{Name: ptr(name)})
	case kindPort:
		_, err = e.p.UpdatePort(e.ctx(), id, &ml2.PortRequest{Name: ptr(name)})
	}
	return err
}

// remove deletes a resource.
func (e *env) remove(kind, id string) error {
	switch kind {
	case kindNetwork:
		return e.p.DeleteNetwork(e.ctx(), id)
	case kindSubnet:
		return e.p.DeleteSubnet(e.ctx(), id)
	default:
		return e.p.DeletePort(e.ctx(), id)
	}
}

// track deletes a resource when t ends, unless it is gone already. A
// resource named for the failure convention is renamed first.
func (e *env) track(t *testing.T, kind, id string) {
	t.Cleanup(func() {
		err := e.remove(kind, id)
		if err != nil && !errors.Is(err, core.ErrNotFound) {
			if rerr := e.rename(kind, id, renamed); rerr == nil {
				err = e.remove(kind, id)
			}
		}
		if err != nil && !errors.Is(err, core.ErrNotFound) {
			t.Errorf("drivertest: clean up: delete %s %s: %v", kind, id, err)
		}
	})
}

// must fails the test if err is set, with what the driver's hooks
// returned since mark m.
func (e *env) must(t *testing.T, m int, err error, format string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v%s", fmt.Sprintf(format, args...), err, e.failures(m))
	}
}

// failures describes the failed hook calls since mark m, for messages;
// repeated failures are counted rather than repeated.
func (e *env) failures(m int) string {
	var lines []string
	count := map[string]int{}
	for _, c := range e.rec.since(m) {
		var l string
		switch {
		case c.err != nil:
			l = fmt.Sprintf("%s returned: %v", c.method, c.err)
		case c.retried && c.retryErr != nil:
			l = fmt.Sprintf("%s succeeded, then failed when called again with the same context: %v", c.method, c.retryErr)
		default:
			continue
		}
		if count[l] == 0 {
			lines = append(lines, l)
		}
		count[l]++
	}
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\ndriver hooks that failed:")
	for _, l := range lines {
		if n := count[l]; n > 1 {
			fmt.Fprintf(&b, "\n\t(%d times) %s", n, l)
		} else {
			b.WriteString("\n\t" + l)
		}
	}
	return b.String()
}

// expectHooks checks that each of methods was called since mark m and
// that every such call returned nil.
func (e *env) expectHooks(t *testing.T, m int, methods ...string) {
	t.Helper()
	calls := e.rec.since(m)
	for _, method := range methods {
		n := 0
		for _, c := range calls {
			if c.method != method {
				continue
			}
			n++
			if c.err != nil {
				t.Errorf("%s returned: %v", method, c.err)
			}
		}
		if n == 0 {
			t.Errorf("%s was not called", method)
		}
	}
}

// snapshot is everything a refused operation must leave as it was.
type snapshot struct {
	Networks []*core.Network
	Subnets  []*core.Subnet
	Ports    []*core.Port
	Segments []*core.Segment
}

func (e *env) snapshot(t *testing.T) snapshot {
	t.Helper()
	var s snapshot
	var err error
	ctx := context.Background()
	s.Networks, err = e.p.ListNetworks(ctx, nil)
	require.NoError(t, err)
	s.Subnets, err = e.p.ListSubnets(ctx, nil)
	require.NoError(t, err)
	s.Ports, err = e.p.ListPorts(ctx, nil)
	require.NoError(t, err)
	s.Segments, err = e.p.ListSegments(ctx, nil)
	require.NoError(t, err)
	return s
}
