package sdk

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

func TestPortContextDecodesItsNetworkOnFirstUse(t *testing.T) {
	port, err := json.Marshal(&core.Port{Standard: core.Standard{ID: "p"}, NetworkID: "n"})
	require.NoError(t, err)
	net, err := json.Marshal(&core.Network{Standard: core.Standard{ID: "n", Name: "net"}, MTU: 1450})
	require.NoError(t, err)
	m := &pb.PortContext{CallId: 1, CurrentJson: port, Network: &pb.NetworkContext{
		CurrentJson: net, Segments: []*pb.Segment{{Id: "s", NetworkType: core.TypeLocal}},
	}}
	pc, err := decodePort(context.Background(), &callbacks{}, m)
	require.NoError(t, err)
	assert.Equal(t, "p", pc.Current().ID)
	nc := pc.Network()
	require.Len(t, nc.Segments(), 1)
	assert.Equal(t, "s", nc.Segments()[0].ID)
	assert.Equal(t, "net", nc.Current().Name)
	assert.Equal(t, 1450, nc.Current().MTU)
	assert.Same(t, nc.Current(), nc.Current())
	assert.Nil(t, nc.Original())
	assert.NoError(t, pc.err())
}

func TestPortContextFailsTheHookOnAnUndecodableNetwork(t *testing.T) {
	m := &pb.PortContext{CallId: 1, CurrentJson: []byte(`{"ID":"p"}`),
		Network: &pb.NetworkContext{CurrentJson: []byte(`{"MTU":"not a number"}`)}}
	pc, err := decodePort(context.Background(), &callbacks{}, m)
	require.NoError(t, err, "the network is not decoded before the hook asks for it")
	require.NotNil(t, pc.Network().Current(), "an empty network, not nil")
	assert.ErrorContains(t, pc.err(), "decode *core.Network")
}

func TestSubnetContextFailsTheHookOnAnUndecodableNetwork(t *testing.T) {
	m := &pb.SubnetContext{CurrentJson: []byte(`{"ID":"s"}`),
		Network: &pb.NetworkContext{CurrentJson: []byte(`[]`)}}
	sc, err := decodeSubnet(m)
	require.NoError(t, err)
	assert.Equal(t, "s", sc.Current().ID)
	require.NotNil(t, sc.Network().Current())
	assert.Error(t, sc.errs.get())
}

func TestNetworkHookContextIsDecodedEagerly(t *testing.T) {
	_, err := decodeNetwork(&pb.NetworkContext{CurrentJson: []byte(`{`)})
	assert.Error(t, err)
	nc, err := decodeNetwork(nil)
	require.NoError(t, err)
	assert.Nil(t, nc.Current())
}
