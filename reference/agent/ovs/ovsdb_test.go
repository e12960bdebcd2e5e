package ovs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// listing is what "ovs-vsctl --format=json list" prints for a bridge qq
// with an internal port p1 (tag 5) and a VXLAN port v1.
const listing = `{"data":[[["uuid","21a9ae35-03db-47f2-9606-fa8872f4c1b5"],"qq",["set",[["uuid","01adc7e8-3671-4796-894c-c6199debaa23"],["uuid","415e235c-9a82-432e-96e0-e8355143a181"],["uuid","c08a1acc-beed-400e-b7ea-fb409bad3429"]]],"netdev","secure"]],"headings":["_uuid","name","ports","datapath_type","fail_mode"]}
{"data":[[["uuid","415e235c-9a82-432e-96e0-e8355143a181"],"v1",["set",[]],["map",[]],["uuid","2fe1ac73-65a5-46b6-8370-c76f9985f878"]],[["uuid","01adc7e8-3671-4796-894c-c6199debaa23"],"qq",["set",[]],["map",[]],["uuid","73ef64a5-3543-4011-83a1-80ebf868efaf"]],[["uuid","c08a1acc-beed-400e-b7ea-fb409bad3429"],"p1",5,["map",[["net_uuid","abc"],["tag","5"]]],["uuid","751c6d97-f097-45f5-a8d1-4b8f4082054e"]]],"headings":["_uuid","name","tag","other_config","interfaces"]}
{"data":[[["uuid","73ef64a5-3543-4011-83a1-80ebf868efaf"],"qq","internal",65534,["set",[]],["map",[]],["map",[]],["set",[]]],[["uuid","2fe1ac73-65a5-46b6-8370-c76f9985f878"],"v1","vxlan",1,["set",[]],["map",[["dst_port","4789"],["key","flow"],["local_ip","192.0.2.1"],["remote_ip","192.0.2.9"]]],["map",[["iface-id","xyz"]]],["set",[]]],[["uuid","751c6d97-f097-45f5-a8d1-4b8f4082054e"],"p1","internal",["set",[]],1450,["map",[]],["map",[]],"could not open network device p1 (No such device)"]],"headings":["_uuid","name","type","ofport","mtu_request","options","external_ids","error"]}
`

func TestParseSnapshot(t *testing.T) {
	s, err := parseSnapshot([]byte(listing))
	require.NoError(t, err)
	require.Contains(t, s.bridges, "qq")
	br := s.bridges["qq"]
	assert.Equal(t, "netdev", br.datapathType)
	assert.Equal(t, "secure", br.failMode)
	assert.ElementsMatch(t, []string{"qq", "v1", "p1"}, br.ports)

	p1 := s.ports["p1"]
	require.NotNil(t, p1)
	assert.Equal(t, "qq", p1.bridge)
	assert.Equal(t, 5, p1.tag)
	assert.Equal(t, map[string]string{"net_uuid": "abc", "tag": "5"}, p1.otherConfig)
	assert.Equal(t, 0, p1.iface.ofport, "no ofport yet")
	assert.Equal(t, "could not open network device p1 (No such device)", p1.iface.err)
	assert.Equal(t, 1450, p1.iface.mtuRequest)

	v1 := s.ports["v1"]
	assert.Equal(t, 0, v1.tag)
	assert.Equal(t, "vxlan", v1.iface.typ)
	assert.Equal(t, "192.0.2.9", v1.iface.options["remote_ip"])
	assert.Equal(t, "xyz", v1.iface.externalIDs["iface-id"])
	assert.Equal(t, 1, s.ofport("qq", "v1"))
	assert.Equal(t, 0, s.ofport("other", "v1"), "port of another bridge")
	assert.Equal(t, 0, s.ofport("qq", "p1"))
	assert.Len(t, s.portsOf("qq"), 3)
	assert.Nil(t, s.portsOf("nope"))
}

func TestParseSnapshotErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"truncated", `{"data":[],"headings":[]}`, "printed 1 tables"},
		{"not json", `nope`, "decode table 0"},
		{"bad uuid", `{"data":[],"headings":[]}
{"data":[[["uuid",1],"p",["set",[]],["map",[]],["set",[]]]],"headings":["_uuid","name","tag","other_config","interfaces"]}
{"data":[],"headings":[]}`, "port row"},
		{"missing column", `{"data":[[["uuid","x"]]],"headings":["_uuid"]}
{"data":[],"headings":[]}
{"data":[],"headings":[]}`, `no column "name"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSnapshot([]byte(tt.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestVsctlArguments(t *testing.T) {
	assert.Equal(t, `other_config:net_uuid="a-b"`, mapArg("other_config", "net_uuid", "a-b"))
	assert.Equal(t, `{"dst_port"="4789","remote_ip"="192.0.2.2"}`,
		mapLiteral(map[string]string{"remote_ip": "192.0.2.2", "dst_port": "4789"}))
	var tx txn
	tx.add("add-port", "br", "p")
	tx.also("set", "Port", "p", "tag=1")
	tx.add("del-port", "br", "q")
	assert.Equal(t, 2, tx.writes)
	assert.Len(t, tx.cmds, 3)
}
