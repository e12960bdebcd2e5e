package ml2

import (
	"context"
	"errors"

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

// listOptions returns opts, or empty options for nil, after checking that
// its filters, sort keys and marker are text a store holds: on any engine,
// a listing asking for other text is InvalidInput, not a database error.
func listOptions(opts *core.ListOptions) (*core.ListOptions, error) {
	if opts == nil {
		return &core.ListOptions{}, nil
	}
	if !core.ValidText(opts.Marker) {
		return nil, core.InvalidText("marker")
	}
	for _, s := range opts.Sorts {
		if !core.ValidText(s.Field) {
			return nil, core.InvalidText("sort_key")
		}
	}
	for k, vs := range opts.Filters {
		if !core.ValidText(k) {
			return nil, core.InvalidText("a filter name")
		}
		for _, v := range vs {
			if !core.ValidText(v) {
				return nil, core.InvalidText("filter " + k)
			}
		}
	}
	return opts, nil
}

// checkID is notFound(id) when id is text no store holds: no resource
// has such an id, on any engine.
func checkID(id string, notFound func(string) error) error {
	if core.ValidText(id) {
		return nil
	}
	return notFound(id)
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
	opts, err := listOptions(opts)
	if err != nil {
		return err
	}
	var whole []*core.Port
	yielded := false
	err = p.store.View(ctx, func(tx core.Tx) error {
		if yielded {
			// The store runs the read again (it lost its connection):
			// the ports given to yield would be given again.
			return core.StorageUnavailable(errors.New("port listing interrupted"))
		}
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
			yielded = true
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
