package netns_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/netns"
)

var (
	runID = func() string {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}()
	counter atomic.Int64
)

// name is a fresh namespace name for this run.
func name() string { return fmt.Sprintf("nst%s-%d", runID, counter.Add(1)) }

// throwaway makes a namespace deleted when the test ends; it skips the
// test when not root.
func throwaway(t *testing.T) *netns.Namespace {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	ns, err := netns.New(t.Context(), name())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, ns.Delete()) })
	return ns
}

func TestNewIsIPNetnsCompatibleAndDeleteRemovesIt(t *testing.T) {
	ns := throwaway(t)
	_, err := os.Stat(filepath.Join(netns.Dir, ns.Name))
	require.NoError(t, err, "bind-mounted where ip netns looks")
	assert.True(t, netns.Exists(ns.Name))

	lo, err := ns.Netlink().LinkByName("lo")
	require.NoError(t, err)
	assert.NotZero(t, lo.Attrs().RawFlags&1, "loopback is up")

	// Open finds it by name, as another process would.
	again, err := netns.Open(t.Context(), ns.Name)
	require.NoError(t, err)
	_, err = again.Netlink().LinkByName("lo")
	require.NoError(t, err)
	require.NoError(t, again.Close())
	assert.True(t, netns.Exists(ns.Name), "Close leaves the namespace")

	require.NoError(t, ns.Delete())
	assert.False(t, netns.Exists(ns.Name))
	_, err = os.Stat(filepath.Join(netns.Dir, ns.Name))
	assert.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, ns.Delete(), "deleting twice is harmless")
}

// TestNewRefusesAndChangesNothing: a name already taken, or one that is
// not a single path element, is an error that leaves what exists alone.
func TestNewRefusesAndChangesNothing(t *testing.T) {
	taken := throwaway(t)
	tests := []struct{ name, ns string }{
		{"taken", taken.Name},
		{"empty", ""},
		{"path", "../etc"},
		{"dot dot", ".."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := netns.New(t.Context(), tt.ns)
			require.Error(t, err)
			_, err = netns.Open(t.Context(), tt.ns+"-none")
			require.Error(t, err)
		})
	}
	assert.True(t, netns.Exists(taken.Name), "the taken namespace is still there")
	_, err := taken.Netlink().LinkByName("lo")
	assert.NoError(t, err)
}

func TestDoStartAndRunAreInside(t *testing.T) {
	ns := throwaway(t)
	var inside []net.Interface
	require.NoError(t, ns.Do(func() error {
		var err error
		inside, err = net.Interfaces()
		return err
	}))
	require.Len(t, inside, 1, "a new namespace has only lo")
	assert.Equal(t, "lo", inside[0].Name)

	outside, err := net.Interfaces()
	require.NoError(t, err)
	assert.NotEqual(t, []string{"lo"}, names(outside), "the caller stays in its namespace")

	if _, err := exec.LookPath("cat"); err != nil {
		t.Skip("no cat to run")
	}
	// A process started inside sees the namespace's devices.
	out, err := ns.Run(t.Context(), "cat", "/proc/net/dev")
	require.NoError(t, err)
	assert.Contains(t, string(out), "lo:")
	assert.Equal(t, 1, strings.Count(string(out), ":"), "only lo: %s", out)

	_, err = ns.Run(t.Context(), "cat", "/nonexistent")
	require.Error(t, err, "a failing program is an error")
}

func TestConnectJoinsTwoNamespaces(t *testing.T) {
	a, b := throwaway(t), throwaway(t)
	require.NoError(t, netns.Connect(a, b, "uplink", netip.MustParsePrefix("198.51.100.1/24"), netip.MustParsePrefix("198.51.100.2/24")))
	for _, ns := range []*netns.Namespace{a, b} {
		l, err := ns.Netlink().LinkByName("uplink")
		require.NoError(t, err)
		assert.Equal(t, "veth", l.Type())
		addrs, err := ns.Netlink().AddrList(l, 2)
		require.NoError(t, err)
		require.Len(t, addrs, 1)
	}
}

func names(ifs []net.Interface) []string {
	var out []string
	for _, i := range ifs {
		out = append(out, i.Name)
	}
	return out
}
