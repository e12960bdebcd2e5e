package sqlstore_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

func TestPortCRUD(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		clk := newClock()
		s := e.open(t, sqlstore.WithClock(clk.Now), sqlstore.WithMaxRetries(3))
		createNetwork(t, s, network("n1", "p1"))
		createSubnet(t, s, subnet("s2", "n1", "10.0.1.0/24"))
		createSubnet(t, s, subnet("s1", "n1", "10.0.0.0/24"))
		createSubnet(t, s, subnet("s6", "n1", "2001:db8::/64"))

		p := port("p1", "n1", "FA:16:3E:AA:BB:CC")
		p.Tags = []string{"x", "a"}
		p.DeviceID, p.DeviceOwner, p.Description = "vm-1", "compute:nova", "my port"
		p.Binding = core.PortBinding{
			HostID: "host-1", VNICType: core.VNICDirect, Profile: map[string]any{"pci_slot": "0000:01:00.1"},
			VIFType: core.VIFTypeOVS, VIFDetails: map[string]any{"port_filter": true, "bound_drivers": map[string]any{"0": "ovs"}},
			Levels: []core.BindingLevel{{Level: 0, Driver: "top", SegmentID: "g1"}, {Level: 1, Driver: "bottom", SegmentID: "g2"}},
		}
		p.Extra = map[string]any{"port_security_enabled": false}
		// Fixed IPs come back in subnet creation order, then address order.
		createPort(t, s, p,
			fixedIP("s1", "10.0.0.20"), fixedIP("s6", "2001:db8::5"), fixedIP("s1", "10.0.0.3"), fixedIP("s2", "10.0.1.9"))
		require.Equal(t, "fa:16:3e:aa:bb:cc", p.MACAddress, "MACs are stored lower-case")
		require.Equal(t, clk.Stored(), p.CreatedAt)

		want := p.Clone()
		want.Tags = []string{"a", "x"}
		want.FixedIPs = []core.FixedIP{
			fixedIP("s2", "10.0.1.9"), fixedIP("s1", "10.0.0.3"), fixedIP("s1", "10.0.0.20"), fixedIP("s6", "2001:db8::5"),
		}
		want.Binding.VIFDetails = map[string]any{"port_filter": true, "bound_drivers": map[string]any{"0": "ovs"}}
		got := getPort(t, s, "p1")
		require.Equal(t, want, got)

		// Rebinding rewrites binding and levels.
		clk.Advance(time.Hour)
		got.Binding = core.PortBinding{HostID: "host-2", VNICType: core.VNICNormal, VIFType: core.VIFTypeUnbound}
		got.Name, got.Status, got.AdminStateUp, got.Tags = "renamed", core.StatusActive, false, nil
		got.MACAddress = "fa:16:3e:00:00:99"
		update(t, s, func(tx core.Tx) error { return tx.UpdatePort(ctx, got) })
		require.Equal(t, int64(1), got.RevisionNumber)
		require.Equal(t, clk.Stored(), got.UpdatedAt)
		require.Equal(t, got, getPort(t, s, "p1"))

		got.RevisionNumber = 0
		err := s.Update(ctx, func(tx core.Tx) error { return tx.UpdatePort(ctx, got) })
		require.ErrorIs(t, err, core.ErrRetry)

		update(t, s, func(tx core.Tx) error {
			requireType(t, tx.UpdatePort(ctx, port("nope", "n1", "fa:16:3e:00:00:01")), "PortNotFound")
			_, err := tx.GetPort(ctx, "nope")
			requireType(t, err, "PortNotFound")
			requireType(t, tx.DeletePort(ctx, "nope"), "PortNotFound")
			requireType(t, tx.CreatePort(ctx, port("p2", "no-net", "fa:16:3e:00:00:01")), "NetworkNotFound")
			requireType(t, tx.CreatePort(ctx, port("p1", "n1", "fa:16:3e:00:00:01")), "NeutronDbObjectDuplicateEntry")
			gen := port("", "n1", "fa:16:3e:00:00:02")
			require.NoError(t, tx.CreatePort(ctx, gen))
			require.NotEmpty(t, gen.ID)
			gen.Binding.Levels = []core.BindingLevel{{Level: 0, Driver: "a"}, {Level: 0, Driver: "b"}}
			requireType(t, tx.UpdatePort(ctx, gen), "InvalidInput")
			return nil
		})

		update(t, s, func(tx core.Tx) error { return tx.DeletePort(ctx, "p1") })
		view(t, s, func(tx core.Tx) error {
			_, err := tx.GetPort(ctx, "p1")
			requireType(t, err, "PortNotFound")
			allocs, err := tx.SubnetAllocations(ctx, "s1")
			require.NoError(t, err)
			require.Empty(t, allocs, "deleting a port releases its addresses")
			return nil
		})
		// A new port with the old id has no leftovers.
		createPort(t, s, port("p1", "n1", "fa:16:3e:00:00:01"))
		again := getPort(t, s, "p1")
		require.Empty(t, again.Tags)
		require.Empty(t, again.Binding.Levels)
		require.Empty(t, again.FixedIPs)
	})
}

func TestMACUniqueness(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		createNetwork(t, s, network("n2", "p1"))
		createPort(t, s, port("a", "n1", "fa:16:3e:00:00:01"))
		createPort(t, s, port("b", "n1", "fa:16:3e:00:00:02"))

		update(t, s, func(tx core.Tx) error {
			// Same MAC, any case, on the same network: in use, and the
			// transaction goes on (as ml2 does when it regenerates).
			err := tx.CreatePort(ctx, port("c", "n1", "FA:16:3E:00:00:01"))
			requireType(t, err, "MacAddressInUse")
			require.ErrorIs(t, err, core.ErrConflict)
			require.NoError(t, tx.CreatePort(ctx, port("c", "n1", "fa:16:3e:00:00:03")))
			// The same MAC on another network is fine.
			return tx.CreatePort(ctx, port("d", "n2", "fa:16:3e:00:00:01"))
		})

		b := getPort(t, s, "b")
		update(t, s, func(tx core.Tx) error {
			b.MACAddress = "fa:16:3e:00:00:01"
			err := tx.UpdatePort(ctx, b)
			requireType(t, err, "MacAddressInUse")
			require.Equal(t, int64(0), b.RevisionNumber)
			// Keeping its own MAC is not a conflict.
			b.MACAddress = "fa:16:3e:00:00:02"
			return tx.UpdatePort(ctx, b)
		})
		require.Equal(t, int64(1), getPort(t, s, "b").RevisionNumber)
	})
}

func TestIPAllocation(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		createSubnet(t, s, subnet("s4", "n1", "10.0.0.0/16"))
		createSubnet(t, s, subnet("s6", "n1", "2001:db8::/64"))
		createPort(t, s, port("a", "n1", "fa:16:3e:00:00:01"))
		createPort(t, s, port("b", "n1", "fa:16:3e:00:00:02"))
		alloc := func(subnetID, portID, ip string) core.IPAllocation {
			return core.IPAllocation{SubnetID: subnetID, NetworkID: "n1", PortID: portID, IP: netip.MustParseAddr(ip)}
		}
		addrs := func(ips ...string) []netip.Addr {
			out := make([]netip.Addr, len(ips))
			for i, ip := range ips {
				out[i] = netip.MustParseAddr(ip)
			}
			return out
		}
		update(t, s, func(tx core.Tx) error {
			// Numeric, not lexical, order: .9 < .10 < .255 < 1.0.
			for _, ip := range []string{"10.0.0.10", "10.0.1.0", "10.0.0.9", "10.0.0.255", "10.0.0.1"} {
				ok, err := tx.AllocateIP(ctx, alloc("s4", "a", ip))
				require.NoError(t, err)
				require.True(t, ok)
			}
			// Taken: false, no error, and the transaction goes on.
			ok, err := tx.AllocateIP(ctx, alloc("s4", "b", "10.0.0.9"))
			require.NoError(t, err)
			require.False(t, ok)
			// The same address in another subnet is another allocation.
			for _, ip := range []string{"2001:db8::a", "2001:db8::1:0", "2001:db8::9"} {
				ok, err := tx.AllocateIP(ctx, alloc("s6", "b", ip))
				require.NoError(t, err)
				require.True(t, ok)
			}
			_, err = tx.AllocateIP(ctx, alloc("nope", "b", "10.0.0.2"))
			requireType(t, err, "SubnetNotFound")
			_, err = tx.AllocateIP(ctx, alloc("s4", "nope", "10.0.0.2"))
			requireType(t, err, "PortNotFound")
			return nil
		})
		view(t, s, func(tx core.Tx) error {
			for _, c := range []struct {
				subnet, from, to string
				limit            int
				want             []netip.Addr
			}{
				{"s4", "10.0.0.0", "10.0.255.255", 0, addrs("10.0.0.1", "10.0.0.9", "10.0.0.10", "10.0.0.255", "10.0.1.0")},
				{"s4", "10.0.0.2", "10.0.0.255", 0, addrs("10.0.0.9", "10.0.0.10", "10.0.0.255")},
				{"s4", "10.0.0.2", "10.0.0.255", 2, addrs("10.0.0.9", "10.0.0.10")},
				{"s4", "10.0.0.9", "10.0.0.9", 1, addrs("10.0.0.9")},
				{"s4", "10.0.0.11", "10.0.0.254", 0, nil},
				{"s6", "2001:db8::", "2001:db8::ffff:ffff", 0, addrs("2001:db8::9", "2001:db8::a", "2001:db8::1:0")},
			} {
				got, err := tx.AllocatedIPs(ctx, c.subnet, netip.MustParseAddr(c.from), netip.MustParseAddr(c.to), c.limit)
				require.NoError(t, err)
				require.Equal(t, len(c.want), len(got), "%+v: %v", c, got)
				for i := range c.want {
					require.Equal(t, c.want[i], got[i])
				}
			}
			all, err := tx.SubnetAllocations(ctx, "s6")
			require.NoError(t, err)
			require.Equal(t, []core.IPAllocation{
				alloc("s6", "b", "2001:db8::9"), alloc("s6", "b", "2001:db8::a"), alloc("s6", "b", "2001:db8::1:0"),
			}, all)
			return nil
		})
		update(t, s, func(tx core.Tx) error {
			require.NoError(t, tx.ReleaseIP(ctx, "s4", netip.MustParseAddr("10.0.0.9")))
			require.NoError(t, tx.ReleaseIP(ctx, "s4", netip.MustParseAddr("10.0.0.9")), "releasing twice is harmless")
			ok, err := tx.AllocateIP(ctx, alloc("s4", "b", "10.0.0.9"))
			require.NoError(t, err)
			require.True(t, ok)
			return nil
		})
		require.Equal(t, []core.FixedIP{fixedIP("s4", "10.0.0.9"), fixedIP("s6", "2001:db8::9"),
			fixedIP("s6", "2001:db8::a"), fixedIP("s6", "2001:db8::1:0")}, getPort(t, s, "b").FixedIPs)
	})
}

func TestCreatePortWithIP(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		createSubnet(t, s, subnet("s1", "n1", "10.0.0.0/24"))
		alloc := func(portID, ip string) core.IPAllocation {
			return core.IPAllocation{SubnetID: "s1", NetworkID: "n1", PortID: portID, IP: netip.MustParseAddr(ip)}
		}
		update(t, s, func(tx core.Tx) error {
			ok, err := tx.CreatePortWithIP(ctx, port("p1", "n1", "fa:16:3e:00:00:01"), alloc("p1", "10.0.0.5"))
			require.NoError(t, err)
			require.True(t, ok)
			// The address is taken: the port is stored without it.
			ok, err = tx.CreatePortWithIP(ctx, port("p2", "n1", "fa:16:3e:00:00:02"), alloc("p2", "10.0.0.5"))
			require.NoError(t, err)
			require.False(t, ok)
			// A MAC clash stores neither, and is reported as CreatePort does.
			ok, err = tx.CreatePortWithIP(ctx, port("p3", "n1", "fa:16:3e:00:00:01"), alloc("p3", "10.0.0.6"))
			requireType(t, err, "MacAddressInUse")
			require.False(t, ok)
			_, err = tx.CreatePortWithIP(ctx, port("p4", "nope", "fa:16:3e:00:00:04"), alloc("p4", "10.0.0.7"))
			requireType(t, err, "NetworkNotFound")
			_, err = tx.CreatePortWithIP(ctx, port("p5", "n1", "fa:16:3e:00:00:05"), core.IPAllocation{SubnetID: "s1"})
			requireType(t, err, "InvalidInput")
			return nil
		})
		require.Equal(t, []core.FixedIP{fixedIP("s1", "10.0.0.5")}, getPort(t, s, "p1").FixedIPs)
		require.Empty(t, getPort(t, s, "p2").FixedIPs)
		view(t, s, func(tx core.Tx) error {
			for _, id := range []string{"p3", "p4", "p5"} {
				_, err := tx.GetPort(ctx, id)
				requireType(t, err, "PortNotFound")
			}
			got, err := tx.SubnetAllocations(ctx, "s1")
			require.NoError(t, err)
			require.Len(t, got, 1)
			return nil
		})
	})
}

func TestCreatePortsWithIP(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		createNetwork(t, s, network("n2", "p1"))
		createSubnet(t, s, subnet("s1", "n1", "10.0.0.0/24"))
		createSubnet(t, s, subnet("s2", "n2", "10.1.0.0/24"))
		alloc := func(subnetID, netID, portID, ip string) *core.IPAllocation {
			return &core.IPAllocation{SubnetID: subnetID, NetworkID: netID, PortID: portID, IP: netip.MustParseAddr(ip)}
		}
		createPort(t, s, port("old", "n1", "fa:16:3e:00:00:99"), fixedIP("s1", "10.0.0.9"))

		t.Run("stored_together", func(t *testing.T) {
			tagged := port("b", "n2", "FA:16:3E:00:00:02")
			tagged.Tags = []string{"red"}
			tagged.Binding.Profile = map[string]any{"k": "v"}
			ports := []*core.Port{port("a", "n1", "fa:16:3e:00:00:01"), tagged, port("c", "n1", "fa:16:3e:00:00:03"),
				port("d", "n1", "fa:16:3e:00:00:04"), port("e", "n1", "fa:16:3e:00:00:05")}
			ips := []*core.IPAllocation{alloc("s1", "n1", "a", "10.0.0.5"), alloc("s2", "n2", "b", "10.1.0.5"),
				alloc("s1", "n1", "c", "10.0.0.9"), // taken by "old"
				alloc("s1", "n1", "d", "10.0.0.5"), // taken by "a" in the same call
				nil}
			update(t, s, func(tx core.Tx) error {
				got, err := tx.(core.PortsCreator).CreatePortsWithIP(ctx, ports, ips)
				require.NoError(t, err)
				assert.Equal(t, []bool{true, true, false, false, false}, got)
				return nil
			})
			assert.Equal(t, []core.FixedIP{fixedIP("s1", "10.0.0.5")}, getPort(t, s, "a").FixedIPs)
			b := getPort(t, s, "b")
			assert.Equal(t, []core.FixedIP{fixedIP("s2", "10.1.0.5")}, b.FixedIPs)
			assert.Equal(t, "fa:16:3e:00:00:02", b.MACAddress)
			assert.Equal(t, []string{"red"}, b.Tags)
			assert.Equal(t, map[string]any{"k": "v"}, b.Binding.Profile)
			assert.Equal(t, "port-b", b.Name)
			assert.False(t, b.CreatedAt.IsZero())
			for _, id := range []string{"c", "d", "e"} {
				assert.Empty(t, getPort(t, s, id).FixedIPs, id)
			}
		})

		for _, tc := range []struct {
			name, typ string
			bad       *core.Port
		}{
			{"mac_clash", "MacAddressInUse", port("x", "n1", "fa:16:3e:00:00:01")},
			{"unknown_network", "NetworkNotFound", port("x", "nope", "fa:16:3e:00:00:77")},
			{"duplicate_id", "NeutronDbObjectDuplicateEntry", port("a", "n1", "fa:16:3e:00:00:78")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ports := []*core.Port{port("ok", "n1", "fa:16:3e:00:00:10"), tc.bad}
				err := s.Update(ctx, func(tx core.Tx) error {
					_, err := tx.(core.PortsCreator).CreatePortsWithIP(ctx, ports,
						[]*core.IPAllocation{alloc("s1", "n1", "ok", "10.0.0.20"), nil})
					return err
				})
				requireType(t, err, tc.typ)
				view(t, s, func(tx core.Tx) error {
					_, err := tx.GetPort(ctx, "ok")
					requireType(t, err, "PortNotFound")
					return nil
				})
			})
		}

		err := s.Update(ctx, func(tx core.Tx) error {
			_, err := tx.(core.PortsCreator).CreatePortsWithIP(ctx, []*core.Port{port("y", "n1", "fa:16:3e:00:00:11")}, nil)
			return err
		})
		require.Error(t, err, "one address, or nil, per port")
	})
}
