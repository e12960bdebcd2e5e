package ml2

import (
	"context"
	"errors"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
)

// hookKind selects the failure semantics of a mechanism-driver hook.
type hookKind int

const (
	precommit      hookKind = iota // stop at the first error; retriable errors pass unwrapped
	createPost                     // stop at the first error
	updateOrDelete                 // call every driver, gather errors
	undo                           // call every driver, log errors, return none
)

// deletion says whose delete it is, and so what a precommit error does.
type deletion int

const (
	// userDelete is a delete asked for: a precommit error aborts it.
	userDelete deletion = iota
	// undoCreate undoes a create that failed after its commit (a
	// postcommit, binding or extension failed): the resource goes whatever
	// the drivers answer, so that an error answer leaves nothing behind
	// even when the driver that failed is still failing. Precommit errors
	// are logged and the delete commits.
	undoCreate
)

// precommit is the hook kind of a delete's precommit.
func (d deletion) precommit() hookKind {
	if d == undoCreate {
		return undo
	}
	return precommit
}

// mechManager calls mechanism drivers in configured order.
type mechManager struct {
	drivers []core.NamedMechanismDriver
	log     hclog.Logger
}

// call runs fn for each driver with the semantics of kind and returns nil, a
// retriable error as is, or a *core.MechanismDriverError.
func (m *mechManager) call(method string, kind hookKind, fn func(core.MechanismDriver) error) error {
	var errs []error
	for _, d := range m.drivers {
		err := fn(d.Driver)
		if err == nil {
			continue
		}
		if kind == precommit && errors.Is(err, core.ErrRetry) {
			return err
		}
		m.log.Error("mechanism driver failed", "driver", d.Name, "method", method, "error", err)
		if kind == undo {
			continue
		}
		errs = append(errs, err)
		if kind != updateOrDelete {
			break
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &core.MechanismDriverError{Method: method, Errors: errs}
}

// checkVLANTransparency requires every driver to support VLAN-transparent
// networks.
func (m *mechManager) checkVLANTransparency(ctx context.Context, nc core.NetworkContext) error {
	for _, d := range m.drivers {
		c, ok := d.Driver.(core.VLANTransparencyChecker)
		if !ok || !c.CheckVLANTransparency(ctx, nc) {
			return core.Typed(core.KindInternal, "VlanTransparencyDriverError",
				"Backend does not support VLAN Transparency.")
		}
	}
	return nil
}

func connectivityOf(d core.MechanismDriver) core.Connectivity {
	if c, ok := d.(core.ConnectivityProvider); ok {
		return c.Connectivity()
	}
	return core.ConnectivityLegacy
}
