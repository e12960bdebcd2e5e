package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/external"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/mtu"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/portsbinding"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/provider"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/reference/server"
	"github.com/ml2go/ml2go/typedrivers/vlan"
)

// running is a server serving on a loopback port.
type running struct {
	srv  *server.Server
	url  string
	stop func() error
}

// start runs a server for cfg until the test ends.
func start(t *testing.T, cfg *config.Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, server.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		err := <-done
		return errors.Join(err, srv.Close())
	}
	t.Cleanup(func() { require.NoError(t, stop()) })
	return &running{srv: srv, url: "http://" + ln.Addr().String() + "/", stop: stop}
}

// testConfig is the zero configuration with the fake agent driver and a
// VLAN range.
func testConfig(t *testing.T) *config.Config {
	cfg := config.Default()
	cfg.VXLAN.VNIRanges = []core.SegmentRange{{Min: 1, Max: 1000}}
	ranges, err := vlan.ParseNetworkVLANRanges([]string{"physnet1:100:199"})
	require.NoError(t, err)
	cfg.VLAN.NetworkVLANRanges = ranges
	cfg.ML2Options.MechanismDrivers = []string{"fakeagent"}
	cfg.ML2Options.ExtensionDrivers = []string{"port_security"}
	return cfg
}

// client is a gophercloud networking client for the server, built by hand:
// no Keystone, no catalog.
func client(r *running, headers map[string]string) *gophercloud.ServiceClient {
	return &gophercloud.ServiceClient{
		ProviderClient: &gophercloud.ProviderClient{HTTPClient: http.Client{}},
		Endpoint:       r.url,
		ResourceBase:   r.url + "v2.0/",
		MoreHeaders:    headers,
	}
}

// networkWithExts is a network with the provider and external extensions.
type networkWithExts struct {
	networks.Network
	provider.NetworkProviderExt
	external.NetworkExternalExt
	mtu.NetworkMTUExt
}

type portWithBinding struct {
	ports.Port
	portsbinding.PortsBindingExt
}

// TestGophercloudTenantWorkflow drives a running server with gophercloud
// through the tenant workflow of the seed scenario.
func TestGophercloudTenantWorkflow(t *testing.T) {
	r := start(t, testConfig(t))
	c := client(r, nil)
	ctx := context.Background()
	iTrue := true

	// External network, flat, and its subnet.
	var ext networkWithExts
	err := networks.Create(ctx, c, external.CreateOptsExt{
		CreateOptsBuilder: provider.CreateOptsExt{
			CreateOptsBuilder: networks.CreateOpts{Name: "ext-net"},
			Segments:          []provider.Segment{{NetworkType: "flat", PhysicalNetwork: "extnet"}},
		},
		External: &iTrue,
	}).ExtractInto(&ext)
	require.NoError(t, err)
	assert.True(t, ext.External)
	assert.Equal(t, "flat", ext.NetworkType)
	_, err = subnets.Create(ctx, c, subnets.CreateOpts{
		NetworkID: ext.ID, IPVersion: gophercloud.IPv4, CIDR: "203.0.113.0/24", EnableDHCP: new(bool),
		AllocationPools: []subnets.AllocationPool{{Start: "203.0.113.100", End: "203.0.113.200"}},
	}).Extract()
	require.NoError(t, err)

	// Tenant network: a VNI is allocated.
	var tenant networkWithExts
	err = networks.Create(ctx, c, networks.CreateOpts{Name: "tenant-net"}).ExtractInto(&tenant)
	require.NoError(t, err)
	assert.Equal(t, "vxlan", tenant.NetworkType)
	assert.Equal(t, 1450, tenant.MTU)
	vni := tenant.SegmentationID
	assert.NotEmpty(t, vni)

	sub, err := subnets.Create(ctx, c, subnets.CreateOpts{
		Name: "tenant-subnet", NetworkID: tenant.ID, IPVersion: gophercloud.IPv4, CIDR: "192.168.56.0/24",
		DNSNameservers: []string{"192.0.2.53"},
	}).Extract()
	require.NoError(t, err)
	assert.Equal(t, "192.168.56.1", sub.GatewayIP)

	// Ports, bound to a host whose agent is alive, and to one without.
	_, err = r.srv.Plugin().ReportAgentState(ctx, fakeagent.NewAgent("compute-1", nil, "vxlan"))
	require.NoError(t, err)
	var bound portWithBinding
	err = ports.Create(ctx, c, portsbinding.CreateOptsExt{
		CreateOptsBuilder: ports.CreateOpts{Name: "vm1-port", NetworkID: tenant.ID, DeviceOwner: "compute:nova", DeviceID: "vm-1"},
		HostID:            "compute-1",
	}).ExtractInto(&bound)
	require.NoError(t, err)
	assert.Equal(t, "ovs", bound.VIFType)
	require.Len(t, bound.FixedIPs, 1)
	assert.Equal(t, sub.ID, bound.FixedIPs[0].SubnetID)

	p2, err := ports.Create(ctx, c, ports.CreateOpts{Name: "vm2-port", NetworkID: tenant.ID}).Extract()
	require.NoError(t, err)
	var failed portWithBinding
	err = ports.Update(ctx, c, p2.ID, portsbinding.UpdateOptsExt{
		UpdateOptsBuilder: ports.UpdateOpts{}, HostID: ptr("host-without-agent"),
	}).ExtractInto(&failed)
	require.NoError(t, err)
	assert.Equal(t, "binding_failed", failed.VIFType)

	// Listing with a filter, and every page of a paginated listing.
	pages, err := ports.List(c, ports.ListOpts{NetworkID: tenant.ID}).AllPages(ctx)
	require.NoError(t, err)
	all, err := ports.ExtractPorts(pages)
	require.NoError(t, err)
	assert.Len(t, all, 2)
	pages, err = networks.List(c, networks.ListOpts{Limit: 1, SortKey: "name", SortDir: "asc"}).AllPages(ctx)
	require.NoError(t, err)
	nets, err := networks.ExtractNetworks(pages)
	require.NoError(t, err)
	require.Len(t, nets, 2)
	assert.Equal(t, "ext-net", nets[0].Name)

	// VLAN provider network, then the same VLAN again.
	var v networkWithExts
	err = networks.Create(ctx, c, provider.CreateOptsExt{
		CreateOptsBuilder: networks.CreateOpts{Name: "vlan151"},
		Segments:          []provider.Segment{{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 151}},
	}).ExtractInto(&v)
	require.NoError(t, err)
	assert.Equal(t, "151", v.SegmentationID)
	_, err = networks.Create(ctx, c, provider.CreateOptsExt{
		CreateOptsBuilder: networks.CreateOpts{Name: "dup"},
		Segments:          []provider.Segment{{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 151}},
	}).Extract()
	assert.True(t, gophercloud.ResponseCodeIs(err, http.StatusConflict), "%v", err)

	// Errors.
	_, err = networks.Get(ctx, c, "00000000-0000-0000-0000-000000000000").Extract()
	assert.True(t, gophercloud.ResponseCodeIs(err, http.StatusNotFound), "%v", err)
	_, err = subnets.Create(ctx, c, subnets.CreateOpts{NetworkID: tenant.ID, IPVersion: gophercloud.IPv4, CIDR: "300.1.1.0/24"}).Extract()
	assert.True(t, gophercloud.ResponseCodeIs(err, http.StatusBadRequest), "%v", err)
	err = subnets.Delete(ctx, c, sub.ID).ExtractErr()
	assert.True(t, gophercloud.ResponseCodeIs(err, http.StatusConflict), "%v", err)

	// Update and tear down.
	up, err := ports.Update(ctx, c, bound.ID, ports.UpdateOpts{Name: ptr("renamed"), AdminStateUp: new(bool)}).Extract()
	require.NoError(t, err)
	assert.Equal(t, "renamed", up.Name)
	assert.False(t, up.AdminStateUp)
	for _, id := range []string{bound.ID, p2.ID} {
		require.NoError(t, ports.Delete(ctx, c, id).ExtractErr())
	}
	require.NoError(t, subnets.Delete(ctx, c, sub.ID).ExtractErr())
	for _, id := range []string{tenant.ID, v.ID} {
		require.NoError(t, networks.Delete(ctx, c, id).ExtractErr())
	}
	_, err = networks.Get(ctx, c, tenant.ID).Extract()
	assert.True(t, gophercloud.ResponseCodeIs(err, http.StatusNotFound))

	require.NoError(t, r.stop())
}

func ptr[T any](v T) *T { return &v }
