package agentserver_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/reference/agentrpc"
)

// TestAgentTextNoStoreHolds: an agent's host, report or device ids
// holding a NUL character or bytes that are not UTF-8 are refused (or
// match nothing) the same on every engine, and store nothing.
func TestAgentTextNoStoreHolds(t *testing.T) {
	ctx := context.Background()
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			r := newReplica(t, sqlstoretest.Open(t, engine))
			_, err := r.client.Report(ctx, &agentrpc.Report{Host: "h1", AgentType: fakeagent.AgentType})
			require.NoError(t, err)
			for _, host := range []string{"h\x00", "h\xff"} {
				_, err := r.client.Watch(ctx, host, "", 0)
				var rpcErr *agentrpc.Error
				require.ErrorAs(t, err, &rpcErr, "watch of %q", host)
				assert.Equal(t, 400, rpcErr.Status, "watch of %q", host)
			}
			for _, rep := range []*agentrpc.Report{
				{Host: "h\x00", AgentType: fakeagent.AgentType},
				{Host: "h2", AgentType: fakeagent.AgentType, Configurations: map[string]any{"bridge_mappings": map[string]any{"p\x00": "br"}}},
			} {
				_, err := r.client.Report(ctx, rep)
				var rpcErr *agentrpc.Error
				require.ErrorAs(t, err, &rpcErr, "report %+v", rep)
				assert.Equal(t, 400, rpcErr.Status, "report %+v", rep)
			}
			agents, err := r.plugin.ListAgents(ctx, nil)
			require.NoError(t, err)
			require.Len(t, agents, 1, "a refused report stored an agent")
			out, err := r.client.Devices(ctx, &agentrpc.Devices{Host: "h1", Up: []string{"\x00"}, Down: []string{"a\x00"}})
			require.NoError(t, err)
			assert.Empty(t, out.Failed)
			out, err = r.client.Devices(ctx, &agentrpc.Devices{Host: "h\x00", Up: []string{"abc"}})
			require.NoError(t, err)
			assert.Empty(t, out.Failed)
		})
	}
}
