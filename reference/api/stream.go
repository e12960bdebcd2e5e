package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/ml2go/ml2go/core"
)

// streamChunk is how much of a listing's body is held before it is
// written out.
const streamChunk = 64 << 10

// streamFunc calls yield with each item of a listing, in order, until
// yield returns false. Errors that reject the request (a bad filter, sort
// key or marker) must come before the first item: once one is written,
// the status is sent.
type streamFunc[T any] func(ctx context.Context, c *caller, opts *core.ListOptions, yield func(*T) bool) error

// streamer returns how the kind's listings are read: its stream when it
// has one, else its list, read whole.
func (k *kind[T]) streamer() streamFunc[T] {
	if k.stream != nil {
		return k.stream
	}
	return func(ctx context.Context, c *caller, opts *core.ListOptions, yield func(*T) bool) error {
		items, err := k.list(ctx, c, opts)
		if err != nil {
			return err
		}
		for _, it := range items {
			if !yield(it) {
				break
			}
		}
		return nil
	}
}

// listWriter writes a listing, {"<collection>": [<views>],
// "<collection>_links": links}, as its items come: the body is written a
// chunk at a time and never held whole. The status and headers go with
// the first chunk; a body that fits in one is written with its length.
type listWriter[T any] struct {
	k           *kind[T]
	c           *caller
	w           http.ResponseWriter
	o           obj
	n           int    // items written
	first, last string // ids of the first and last item
	started     bool   // the status is sent
	err         error  // first write or encoding error
}

func newListWriter[T any](k *kind[T], c *caller, w http.ResponseWriter, fields map[string]bool) *listWriter[T] {
	lw := &listWriter[T]{k: k, c: c, w: w, o: obj{buf: make([]byte, 0, streamChunk+16<<10), fields: fields}}
	lw.o.buf = append(lw.o.buf, `{"`+k.res.collection+`":[`...)
	return lw
}

// item writes the view of it; it reports false once writing failed.
func (lw *listWriter[T]) item(it *T) bool {
	if lw.n > 0 {
		lw.o.buf = append(lw.o.buf, ',')
	}
	id := lw.k.id(it)
	if lw.n == 0 {
		lw.first = id
	}
	lw.last = id
	lw.n++
	lw.o.begin()
	lw.k.view(&lw.o, it, lw.c)
	lw.o.end()
	if lw.o.err != nil {
		lw.err = lw.o.err
		return false
	}
	if len(lw.o.buf) >= streamChunk {
		lw.flush()
	}
	return lw.err == nil
}

// flush writes what is held, with the status first.
func (lw *listWriter[T]) flush() {
	if !lw.started {
		lw.started = true
		lw.w.Header().Set("Content-Type", "application/json")
		lw.w.WriteHeader(http.StatusOK)
	}
	if _, err := lw.w.Write(lw.o.buf); err != nil && lw.err == nil {
		lw.err = err
	}
	lw.o.buf = lw.o.buf[:0]
}

// finish ends the body with the links, if any, and writes the rest.
func (lw *listWriter[T]) finish(links []map[string]string) error {
	lw.o.buf = append(lw.o.buf, ']')
	if links != nil {
		b, err := json.Marshal(links)
		if err != nil {
			return err
		}
		lw.o.buf = append(lw.o.buf, `,"`+lw.k.res.collection+`_links":`...)
		lw.o.buf = append(lw.o.buf, b...)
	}
	lw.o.buf = append(lw.o.buf, '}')
	if !lw.started {
		writeRaw(lw.w, http.StatusOK, lw.o.buf)
		return nil
	}
	lw.flush()
	return lw.err
}

// fieldList returns the requested fields as ListOptions.Fields.
func fieldList(fields map[string]bool) []string {
	if fields == nil {
		return nil
	}
	out := make([]string, 0, len(fields))
	for f := range fields {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}
