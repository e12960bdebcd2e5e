package sqlstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

func TestProjectQuotas(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		quotas := func(project string) map[string]int {
			t.Helper()
			var out map[string]int
			view(t, s, func(tx core.Tx) (err error) { out, err = tx.ProjectQuotas(ctx, project); return err })
			return out
		}
		require.Empty(t, quotas("p1"))

		update(t, s, func(tx core.Tx) error {
			if err := tx.SetProjectQuotas(ctx, "p1", map[string]int{"network": 5, "port": -1}); err != nil {
				return err
			}
			if err := tx.SetProjectQuotas(ctx, "p2", map[string]int{"router": 0}); err != nil {
				return err
			}
			return tx.SetProjectQuotas(ctx, "p3", nil)
		})
		require.Equal(t, map[string]int{"network": 5, "port": -1}, quotas("p1"))

		// Setting again replaces the given limits and keeps the others.
		update(t, s, func(tx core.Tx) error {
			return tx.SetProjectQuotas(ctx, "p1", map[string]int{"network": 7, "subnet": 3})
		})
		require.Equal(t, map[string]int{"network": 7, "port": -1, "subnet": 3}, quotas("p1"))

		var all map[string]map[string]int
		view(t, s, func(tx core.Tx) (err error) { all, err = tx.ListProjectQuotas(ctx); return err })
		require.Equal(t, map[string]map[string]int{
			"p1": {"network": 7, "port": -1, "subnet": 3},
			"p2": {"router": 0},
		}, all)

		update(t, s, func(tx core.Tx) error { return tx.DeleteProjectQuotas(ctx, "p1") })
		require.Empty(t, quotas("p1"))
		err := s.Update(ctx, func(tx core.Tx) error { return tx.DeleteProjectQuotas(ctx, "p1") })
		requireType(t, err, "TenantQuotaNotFound")
		require.Equal(t, core.KindNotFound, core.KindOf(err))
		require.Equal(t, "Quota for tenant p1 could not be found.", err.Error())
	})
}

func TestCountResources(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		createNetwork(t, s, network("n2", "p1"))
		createNetwork(t, s, network("n3", "p2"))
		createSubnet(t, s, subnet("s1", "n1", "10.0.0.0/24"))
		createPort(t, s, port("a", "n1", "fa:16:3e:00:00:01"))
		other := port("b", "n3", "fa:16:3e:00:00:02")
		other.ProjectID = "p2"
		createPort(t, s, other)
		count := func(project string, resources ...string) map[string]int {
			t.Helper()
			var out map[string]int
			view(t, s, func(tx core.Tx) (err error) { out, err = tx.CountResources(ctx, project, resources...); return err })
			return out
		}
		require.Equal(t, map[string]int{"network": 2, "subnet": 1, "port": 1}, count("p1"))
		require.Equal(t, map[string]int{"network": 1, "subnet": 0, "port": 1}, count("p2"))
		require.Equal(t, map[string]int{"network": 0, "subnet": 0, "port": 0}, count("nobody"))
		require.Equal(t, map[string]int{"port": 1}, count("p1", "port", "router", "port"))
		require.Equal(t, map[string]int{}, count("p1", "router"))
	})
}

func TestGetNetworkSubnetsUsage(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		createNetwork(t, s, network("n2", "p2"))
		createSubnet(t, s, subnet("s1", "n1", "10.0.0.0/24"))
		createSubnet(t, s, subnet("s2", "n1", "10.0.1.0/24"))
		createPort(t, s, port("a", "n1", "fa:16:3e:00:00:01"))
		createPort(t, s, port("b", "n2", "fa:16:3e:00:00:02"))
		update(t, s, func(tx core.Tx) error {
			if err := tx.SetProjectQuotas(ctx, "p1", map[string]int{"port": 7}); err != nil {
				return err
			}
			return tx.SetProjectQuotas(ctx, "p3", map[string]int{"port": -1})
		})
		for _, tc := range []struct {
			name    string
			network string
			q       core.QuotaQuery
			want    core.QuotaUsage
			subnets []string
			errType string
		}{
			{"own_limit", "n1", core.QuotaQuery{ProjectID: "p1", Resource: "port", DefaultLimit: 50}, core.QuotaUsage{Limit: 7, Used: 2}, []string{"s1", "s2"}, ""},
			{"default_limit", "n2", core.QuotaQuery{ProjectID: "p2", Resource: "port", DefaultLimit: 50}, core.QuotaUsage{Limit: 50}, nil, ""},
			{"unlimited_counts_nothing", "n1", core.QuotaQuery{ProjectID: "p3", Resource: "port", DefaultLimit: 50}, core.QuotaUsage{Limit: -1}, []string{"s1", "s2"}, ""},
			{"other_resource", "n1", core.QuotaQuery{ProjectID: "p1", Resource: "network", DefaultLimit: 10}, core.QuotaUsage{Limit: 10, Used: 1}, []string{"s1", "s2"}, ""},
			{"unknown_network", "nope", core.QuotaQuery{ProjectID: "p1", Resource: "port", DefaultLimit: 50}, core.QuotaUsage{}, nil, "NetworkNotFound"},
			{"uncounted_resource", "n1", core.QuotaQuery{ProjectID: "p1", Resource: "router", DefaultLimit: 10}, core.QuotaUsage{}, nil, "InvalidInput"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				view(t, s, func(tx core.Tx) error {
					n, subnets, usage, err := tx.(core.NetworkUsageReader).GetNetworkSubnetsUsage(ctx, tc.network, tc.q)
					if tc.errType != "" {
						requireType(t, err, tc.errType)
						require.Nil(t, n)
						return nil
					}
					require.NoError(t, err)
					require.Equal(t, tc.want, usage)
					// The network and subnets are GetNetworkSubnets'.
					wantNet, wantSubnets, err := tx.GetNetworkSubnets(ctx, tc.network)
					require.NoError(t, err)
					require.Equal(t, wantNet, n)
					require.Equal(t, wantSubnets, subnets)
					var ids []string
					for _, sn := range subnets {
						ids = append(ids, sn.ID)
					}
					require.Equal(t, tc.subnets, ids)
					return nil
				})
			})
		}
	})
}

func TestAgentHeartbeatFilters(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		for i, host := range []string{"h1", "h2", "h3"} {
			a := &core.Agent{AgentType: "L3 agent", Host: host, HeartbeatAt: fromUnixSeconds(int64(100 * (i + 1)))}
			update(t, s, func(tx core.Tx) error { _, err := tx.UpsertAgent(ctx, a); return err })
		}
		hosts := func(filters map[string][]string) []string {
			t.Helper()
			var out []string
			view(t, s, func(tx core.Tx) error {
				got, err := tx.ListAgents(ctx, &core.ListOptions{Filters: filters, Sorts: []core.SortKey{{Field: "host"}}})
				for _, a := range got {
					out = append(out, a.Host)
				}
				return err
			})
			return out
		}
		require.Equal(t, []string{"h2", "h3"}, hosts(map[string][]string{"heartbeat_after": {"100"}}))
		require.Equal(t, []string{"h1"}, hosts(map[string][]string{"heartbeat_before": {"200"}}))
		require.Equal(t, []string{"h2"}, hosts(map[string][]string{"heartbeat_after": {"100"}, "heartbeat_before": {"300"}}))
		require.Equal(t, []string{"h3"}, hosts(map[string][]string{"heartbeat_after": {"200", "900"}, "host": {"h1", "h3"}}))
		require.Nil(t, hosts(map[string][]string{"heartbeat_after": {"300"}}))
		err := s.View(ctx, func(tx core.Tx) error {
			_, err := tx.ListAgents(ctx, &core.ListOptions{Filters: map[string][]string{"heartbeat_after": {"soon"}}})
			return err
		})
		requireType(t, err, "InvalidInput")
	})
}

func fromUnixSeconds(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
