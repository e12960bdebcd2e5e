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
