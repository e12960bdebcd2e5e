package quota_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/quota"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

var ctx = context.Background()

// forEachEngine runs f with a fresh store on SQLite and, when configured,
// PostgreSQL.
func forEachEngine(t *testing.T, f func(t *testing.T, s core.Store)) {
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) { f(t, sqlstoretest.Open(t, engine)) })
	}
}

// own creates n networks, each with a subnet and a port, for project.
func own(t *testing.T, s core.Store, project string, n int) {
	t.Helper()
	require.NoError(t, s.Update(ctx, func(tx core.Tx) error {
		for i := range n {
			net := &core.Network{Standard: core.Standard{ProjectID: project}}
			if err := tx.CreateNetwork(ctx, net); err != nil {
				return err
			}
			sub := &core.Subnet{Standard: core.Standard{ProjectID: project}, NetworkID: net.ID, IPVersion: 4}
			if err := tx.CreateSubnet(ctx, sub); err != nil {
				return err
			}
			p := &core.Port{Standard: core.Standard{ProjectID: project}, NetworkID: net.ID,
				MACAddress: fmt.Sprintf("fa:16:3e:00:00:%02x", i)}
			if err := tx.CreatePort(ctx, p); err != nil {
				return err
			}
		}
		return nil
	}))
}

func TestDefaults(t *testing.T) {
	want := quota.Limits{"network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50,
		"security_group": 10, "security_group_rule": 100, "rbac_policy": 10, "subnetpool": -1}
	assert.Equal(t, want, quota.Defaults())
	q := quota.New(nil, nil)
	assert.Equal(t, want, q.Defaults())
	// Overrides and extra resources; negative is unlimited.
	q = quota.New(nil, quota.Limits{"network": 3, "port": -5, "segment": 2})
	d := q.Defaults()
	assert.Equal(t, 3, d["network"])
	assert.Equal(t, -1, d["port"])
	assert.Equal(t, 2, d["segment"])
	assert.Equal(t, 100, d["subnet"])
	d["network"] = 99
	assert.Equal(t, 3, q.Defaults()["network"], "Defaults returns a copy")
}

func TestGetUpdateDelete(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s core.Store) {
		q := quota.New(s, quota.Limits{"router": 20})
		got, err := q.Get(ctx, "p1")
		require.NoError(t, err)
		assert.Equal(t, q.Defaults(), got)

		got, err = q.Update(ctx, "p1", quota.Limits{"network": 5, "port": -7, "subnet": 0})
		require.NoError(t, err)
		want := q.Defaults()
		want["network"], want["port"], want["subnet"] = 5, -1, 0
		assert.Equal(t, want, got)
		again, err := q.Get(ctx, "p1")
		require.NoError(t, err)
		assert.Equal(t, want, again)

		// A second update keeps the other limits.
		got, err = q.Update(ctx, "p1", quota.Limits{"network": 6})
		require.NoError(t, err)
		want["network"] = 6
		assert.Equal(t, want, got)

		// Bad input changes nothing.
		for _, bad := range []quota.Limits{
			{"network": 1, "bogus": 1},
			{"port": 1 << 31},
		} {
			_, err = q.Update(ctx, "p1", bad)
			require.Error(t, err)
			assert.Equal(t, "InvalidInput", core.TypeOf(err), "%v", err)
			assert.Equal(t, core.KindBadRequest, core.KindOf(err))
			again, err = q.Get(ctx, "p1")
			require.NoError(t, err)
			assert.Equal(t, want, again)
		}

		_, err = q.Update(ctx, "p2", quota.Limits{"router": 1})
		require.NoError(t, err)
		all, err := q.List(ctx)
		require.NoError(t, err)
		p2 := q.Defaults()
		p2["router"] = 1
		assert.Equal(t, map[string]quota.Limits{"p1": want, "p2": p2}, all)

		require.NoError(t, q.Delete(ctx, "p1"))
		got, err = q.Get(ctx, "p1")
		require.NoError(t, err)
		assert.Equal(t, q.Defaults(), got)
		err = q.Delete(ctx, "p1")
		assert.Equal(t, "TenantQuotaNotFound", core.TypeOf(err))
		assert.ErrorIs(t, err, core.ErrNotFound)
		all, err = q.List(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]quota.Limits{"p2": p2}, all)
	})
}

func TestDetails(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s core.Store) {
		q := quota.New(s, nil)
		own(t, s, "p1", 3)
		own(t, s, "p2", 1)
		_, err := q.Update(ctx, "p1", quota.Limits{"port": 4})
		require.NoError(t, err)
		got, err := q.Details(ctx, "p1")
		require.NoError(t, err)
		require.Len(t, got, len(quota.Defaults()))
		assert.Equal(t, quota.Detail{Limit: 100, Used: 3}, got["network"])
		assert.Equal(t, quota.Detail{Limit: 100, Used: 3}, got["subnet"])
		assert.Equal(t, quota.Detail{Limit: 4, Used: 3}, got["port"])
		assert.Equal(t, quota.Detail{Limit: 10}, got["router"])
		assert.Equal(t, quota.Detail{Limit: -1}, got["subnetpool"])
		got, err = q.Details(ctx, "nobody")
		require.NoError(t, err)
		assert.Equal(t, quota.Detail{Limit: 500}, got["port"])
	})
}

func TestCheck(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s core.Store) {
		q := quota.New(s, nil)
		own(t, s, "p1", 3)
		_, err := q.Update(ctx, "p1", quota.Limits{"network": 3, "port": 5, "subnet": -1, "router": 0})
		require.NoError(t, err)
		for _, tc := range []struct {
			name    string
			project string
			want    map[string]int
			typ     string
			msg     string
		}{
			{"within", "p1", map[string]int{"port": 2}, "", ""},
			{"over_one", "p1", map[string]int{"port": 3}, "OverQuota", "Quota exceeded for resources: ['port']."},
			{"at_limit_already", "p1", map[string]int{"network": 1}, "OverQuota", "Quota exceeded for resources: ['network']."},
			{"over_several_sorted", "p1", map[string]int{"router": 1, "port": 9, "network": 1, "subnet": 1000},
				"OverQuota", "Quota exceeded for resources: ['network', 'port', 'router']."},
			{"unlimited", "p1", map[string]int{"subnet": 1 << 20}, "", ""},
			{"zero_wanted", "p1", map[string]int{"network": 0}, "", ""},
			{"no_quota_for_resource", "p1", map[string]int{"segment": 1000}, "", ""},
			{"other_project_defaults", "p2", map[string]int{"network": 100}, "", ""},
			{"other_project_over_default", "p2", map[string]int{"network": 101}, "OverQuota", "Quota exceeded for resources: ['network']."},
			{"negative", "p1", map[string]int{"port": -1}, "InvalidQuotaValue", ""},
			{"nothing", "p1", nil, "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := q.Check(ctx, tc.project, tc.want)
				if tc.typ == "" {
					require.NoError(t, err)
					return
				}
				require.Error(t, err)
				assert.Equal(t, tc.typ, core.TypeOf(err))
				assert.Equal(t, core.KindConflict, core.KindOf(err))
				if tc.msg != "" {
					assert.Equal(t, tc.msg, err.Error())
				}
			})
		}
	})
}

func TestCheckInTx(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s core.Store) {
		q := quota.New(s, quota.Limits{"port": 2})
		own(t, s, "p", 2)
		check := func(project, resource string, n int) error {
			return s.View(ctx, func(tx core.Tx) error { return q.CheckInTx(ctx, tx, project, resource, n) })
		}
		err := check("p", "port", 1)
		require.Error(t, err)
		assert.Equal(t, "OverQuota", core.TypeOf(err))
		assert.Equal(t, "Quota exceeded for resources: ['port'].", err.Error())
		require.NoError(t, check("p", "network", 98))
		assert.Equal(t, "OverQuota", core.TypeOf(check("p", "network", 99)))
		require.NoError(t, check("other", "port", 2), "another project's usage")
		require.NoError(t, check("p", "segment", 5), "resources without a quota")

		// The project's own limit wins over the default; -1 is unlimited.
		_, err = q.Update(ctx, "p", quota.Limits{"port": -1})
		require.NoError(t, err)
		require.NoError(t, check("p", "port", 1000))
		_, err = q.Update(ctx, "p", quota.Limits{"port": 3})
		require.NoError(t, err)
		require.NoError(t, check("p", "port", 1))
		assert.Error(t, check("p", "port", 2))
	})
}

// TestProjectTextNoStoreHolds: a project id holding a NUL character or
// bytes that are not UTF-8 is InvalidInput on every engine, and changes
// nothing.
func TestProjectTextNoStoreHolds(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s core.Store) {
		q := quota.New(s, nil)
		_, err := q.Update(ctx, "p", quota.Limits{"network": 3})
		require.NoError(t, err)
		for _, id := range []string{"a\x00b", "a\xffb"} {
			for _, call := range []func() error{
				func() error { _, err := q.Get(ctx, id); return err },
				func() error { _, err := q.Update(ctx, id, quota.Limits{"network": 1}); return err },
				func() error { return q.Delete(ctx, id) },
				func() error { _, err := q.Details(ctx, id); return err },
				func() error { return q.Check(ctx, id, map[string]int{"network": 1}) },
			} {
				assert.Equal(t, "InvalidInput", core.TypeOf(call()))
			}
		}
		all, err := q.List(ctx)
		require.NoError(t, err)
		assert.Len(t, all, 1)
	})
}
