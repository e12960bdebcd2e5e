package ml2

import (
	"context"

	"github.com/ml2go/ml2go/core"
)

// getOne reads one resource in a read-only transaction and extends it.
func getOne[T any](ctx context.Context, s core.Store, get func(core.Tx) (*T, error), extend func(context.Context, *T) error) (*T, error) {
	var v *T
	err := s.View(ctx, func(tx core.Tx) (err error) {
		v, err = get(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, extend(ctx, v)
}

// listAll reads a listing in a read-only transaction and extends each item.
func listAll[T any](ctx context.Context, s core.Store, list func(core.Tx) ([]*T, error), extend func(context.Context, *T) error) ([]*T, error) {
	var out []*T
	err := s.View(ctx, func(tx core.Tx) (err error) {
		out, err = list(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, v := range out {
		if err := extend(ctx, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func orEmpty(opts *core.ListOptions) *core.ListOptions {
	if opts == nil {
		return &core.ListOptions{}
	}
	return opts
}

// StreamPorts calls yield with each port ListPorts would return, extended
// by the extension drivers, in order, until yield returns false. When the
// store offers core.PortStreamer the ports are read a page at a time, in
// one read-only transaction that stays open until the last one is
// yielded, so that memory is bounded by a page; a port given to yield is
// valid until yield returns. Errors that ListPorts would return before any
// port (a bad filter, sort key or marker) are returned before yield is
// first called.
func (p *Plugin) StreamPorts(ctx context.Context, opts *core.ListOptions, yield func(*core.Port) bool) error {
	opts = orEmpty(opts)
	var whole []*core.Port
	err := p.store.View(ctx, func(tx core.Tx) error {
		st, ok := tx.(core.PortStreamer)
		if !ok {
			var err error
			whole, err = tx.ListPorts(ctx, opts)
			return err
		}
		var extErr error
		err := st.StreamPorts(ctx, opts, func(port *core.Port) bool {
			if extErr = p.extendPort(ctx, port); extErr != nil {
				return false
			}
			return yield(port)
		})
		if err != nil {
			return err
		}
		return extErr
	})
	if err != nil {
		return err
	}
	for _, port := range whole {
		if err := p.extendPort(ctx, port); err != nil {
			return err
		}
		if !yield(port) {
			return nil
		}
	}
	return nil
}
