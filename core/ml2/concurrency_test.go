package ml2_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

// TestConcurrentTenantNetworks: 32 goroutines create vxlan tenant networks
// from a 100-VNI range, four each; exactly 100 succeed, with 100 distinct
// VNIs, and the rest fail with NoNetworkAvailable.
func TestConcurrentTenantNetworks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withTenantTypes("vxlan"), withVNIRanges("1000:1099"))
		vnis, failures := createNetworksConcurrently(t, e, 32, 4)
		assert.Len(t, vnis, 100)
		assert.Len(t, failures, 28)
		for _, err := range failures {
			assert.Equal(t, "NoNetworkAvailable", core.TypeOf(err), "%v", err)
		}
		for vni := range vnis {
			assert.True(t, vni >= 1000 && vni <= 1099, "vni %d", vni)
		}
	})
}

// createNetworksConcurrently runs workers goroutines creating each networks
// tenant networks; it returns the VNIs handed out (failing the test on a
// duplicate) and the errors.
func createNetworksConcurrently(t *testing.T, e *env, workers, each int) (map[int64]bool, []error) {
	var mu sync.Mutex
	vnis := map[int64]bool{}
	var failures []error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
				mu.Lock()
				if err != nil {
					failures = append(failures, err)
				} else {
					vni := n.Segments[0].SegmentationID
					assert.False(t, vnis[vni], "VNI %d handed out twice", vni)
					vnis[vni] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return vnis, failures
}

// TestConcurrentPorts: 64 goroutines create ports on a /26 (61 usable
// addresses after the gateway); no address is handed out twice and the
// rest fail with IpAddressGenerationFailure.
func TestConcurrentPorts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		n := e.network(nil)
		e.subnet(n.ID, "10.9.0.0/26")
		var mu sync.Mutex
		addrs := map[string]bool{}
		var failures []error
		var wg sync.WaitGroup
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failures = append(failures, err)
					return
				}
				require.Len(t, p.FixedIPs, 1)
				ip := p.FixedIPs[0].IPAddress.String()
				assert.False(t, addrs[ip], "address %s handed out twice", ip)
				addrs[ip] = true
			}()
		}
		wg.Wait()
		assert.Len(t, addrs, 61)
		assert.Len(t, failures, 3)
		for _, err := range failures {
			assert.Equal(t, "IpAddressGenerationFailure", core.TypeOf(err), "%v", err)
		}
	})
}
