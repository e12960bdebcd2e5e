package sdk

import (
	"context"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	edpb "github.com/ml2go/ml2go/plugins/proto/extdriver/v1"
)

// TestRemoteTxDefinesEveryMethod calls every method of core.ExtensionTx
// on an extension driver's transaction that is not connected to a host:
// each asks the host, and so fails with the error of a missing host
// rather than panicking. The methods are those the host serves.
func TestRemoteTxDefinesEveryMethod(t *testing.T) {
	var tx core.ExtensionTx = &remoteTx{host: newHostConn(nil, "", nil, edpb.NewTransactionClient)}
	v := reflect.ValueOf(tx)
	it := reflect.TypeOf((*core.ExtensionTx)(nil)).Elem()
	reading := map[string]bool{"GetNetwork": true, "GetSubnet": true, "GetPort": true, "GetSegment": true,
		"NetworkSegments": true, "ListNetworks": true, "ListSubnets": true, "ListPorts": true}
	require.Equal(t, len(reading), it.NumMethod())
	for i := range it.NumMethod() {
		m := it.Method(i)
		t.Run(m.Name, func(t *testing.T) {
			fn := v.MethodByName(m.Name)
			args := make([]reflect.Value, fn.Type().NumIn())
			for j := range args {
				args[j] = reflect.Zero(fn.Type().In(j))
			}
			args[0] = reflect.ValueOf(context.Background())
			var out []reflect.Value
			require.NotPanics(t, func() {
				if fn.Type().IsVariadic() {
					out = fn.CallSlice(args)
				} else {
					out = fn.Call(args)
				}
			})
			err, _ := out[len(out)-1].Interface().(error)
			require.Error(t, err)
			assert.True(t, reading[m.Name], "a method the host serves")
			assert.Contains(t, err.Error(), "host callbacks unavailable", "a reading method asks the host")
		})
	}
}
