package sdk

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	edpb "github.com/ml2go/ml2go/plugins/proto/extdriver/v1"
)

// TestRemoteTxDefinesEveryMethod calls every method of core.Tx on an
// extension driver's transaction that is not connected to a host: each
// must return an error, none may reach the nil core.Tx it embeds (which
// would panic). A method added to core.Tx fails this test until remoteTx
// defines it.
func TestRemoteTxDefinesEveryMethod(t *testing.T) {
	var tx core.Tx = &remoteTx{host: newHostConn(nil, "", nil, edpb.NewTransactionClient)}
	v := reflect.ValueOf(tx)
	it := reflect.TypeOf((*core.Tx)(nil)).Elem()
	reading := map[string]bool{"GetNetwork": true, "GetSubnet": true, "GetPort": true, "GetSegment": true,
		"NetworkSegments": true, "ListNetworks": true, "ListSubnets": true, "ListPorts": true}
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
			if reading[m.Name] {
				assert.Contains(t, err.Error(), "host callbacks unavailable", "a reading method asks the host")
			} else {
				assert.True(t, errors.Is(err, ErrNotAvailable), "error: %v", err)
				assert.Contains(t, err.Error(), "core.Tx."+m.Name)
			}
		})
	}
}
