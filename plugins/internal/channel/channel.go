// Package channel is the call channel of ml2go's driver protocol: the unary
// calls of the protocol's gRPC services, with the same protobuf messages
// and the same google.rpc.Status errors, carried over a unix socket with
// one call at a time per connection and nothing in between.
//
// go-plugin's gRPC connection stays what starts, describes and supervises a
// driver. The channel only makes the hot path cheap, in both directions:
// the host's hook calls to the driver, and the driver's callbacks to the
// host while a hook runs. A gRPC call crosses six goroutines (the caller,
// the client's writer and reader, the server's reader, handler and
// writer), and on a small virtual machine each hand-off wakes a thread and
// costs tens of microseconds. On the channel the caller writes its request
// and reads the answer, and one goroutine per connection on the serving
// side reads, runs the method and writes back. Both read with blocking
// system calls rather than through Go's network poller (see conn), so
// that the kernel wakes the reading thread itself: a call in progress
// holds a thread on the calling side, and every open connection one on
// the serving side.
//
// Negotiation. The host names two socket paths in the driver's
// environment. At EnvSocket, a driver that supports the channel listens
// before it completes go-plugin's handshake; the host dials the path once
// the driver is up and, if nothing listens, keeps using gRPC. At
// EnvHostSocket the host listens before it starts the driver, serving the
// same callback service it serves on go-plugin's broker; a driver that
// supports the channel dials it when the host describes it, and calls back
// over the broker if it cannot. A driver written in another language needs
// only the gRPC services.
//
// Framing. Each message is a 4-byte big-endian length followed by that
// many bytes of protobuf:
//
//	message Request {
//	  string method = 1;          // "/ml2go.mechdriver.v1.MechanismDriver/BindPort"
//	  int64 deadline_unix_nano = 2; // 0: none
//	  bytes payload = 3;          // the method's request message
//	}
//	message Response {
//	  bytes payload = 1;          // the method's response message, when status is absent
//	  google.rpc.Status status = 2; // the error, as gRPC would have sent it
//	}
//
// A connection that fails, runs out of time or whose call is canceled is
// shut down and closed; the call's error is then a gRPC status of code
// Unavailable, DeadlineExceeded or Canceled, as a gRPC call's would be.
package channel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// EnvSocket is the environment variable in which the host names the unix
// socket a driver process may serve the channel on.
const EnvSocket = "ML2GO_PLUGIN_CALL_SOCKET"

// EnvHostSocket is the environment variable in which the host names the
// unix socket on which it serves the driver process's callbacks (the
// callback service of the driver's kind, as on go-plugin's broker).
const EnvHostSocket = "ML2GO_PLUGIN_HOST_SOCKET"

// MaxMessage bounds a frame's length, as gRPC bounds a message it
// receives.
const MaxMessage = 16 << 20

// Field numbers of Request and Response.
const (
	fieldMethod   protowire.Number = 1
	fieldDeadline protowire.Number = 2
	fieldPayload  protowire.Number = 3

	fieldRespPayload protowire.Number = 1
	fieldRespStatus  protowire.Number = 2
)

// errFrame is the error of a frame that does not parse.
var errFrame = errors.New("channel: malformed frame")

// request is a decoded Request; payload aliases the frame.
type request struct {
	method   string
	deadline int64
	payload  []byte
}

// appendRequest appends the frame of a call of method with msg to b.
func appendRequest(b []byte, method string, deadline int64, msg proto.Message) ([]byte, error) {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b = protowire.AppendTag(b, fieldMethod, protowire.BytesType)
	b = protowire.AppendString(b, method)
	if deadline != 0 {
		b = protowire.AppendTag(b, fieldDeadline, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(deadline))
	}
	b, err := appendMessage(b, fieldPayload, msg)
	if err != nil {
		return b[:start], err
	}
	return finishFrame(b, start)
}

// appendResponse appends the frame of an answer to b: st when it is not
// nil, msg otherwise.
func appendResponse(b []byte, msg proto.Message, st *spb.Status) ([]byte, error) {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	var err error
	if st != nil {
		b, err = appendMessage(b, fieldRespStatus, st)
	} else {
		b, err = appendMessage(b, fieldRespPayload, msg)
	}
	if err != nil {
		return b[:start], err
	}
	return finishFrame(b, start)
}

// appendMessage appends msg as a length-delimited field.
func appendMessage(b []byte, field protowire.Number, msg proto.Message) ([]byte, error) {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	size := proto.Size(msg)
	b = protowire.AppendVarint(b, uint64(size))
	return proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(b, msg)
}

// finishFrame writes the length of the frame that starts at start.
func finishFrame(b []byte, start int) ([]byte, error) {
	n := len(b) - start - 4
	if n > MaxMessage {
		return b[:start], fmt.Errorf("channel: message of %d bytes exceeds %d", n, MaxMessage)
	}
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	return b, nil
}

// readFrame reads one frame from r into buf, which it grows as needed, and
// returns the frame's body.
func readFrame(r io.Reader, buf *[]byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxMessage {
		return nil, fmt.Errorf("channel: frame of %d bytes exceeds %d", n, MaxMessage)
	}
	if cap(*buf) < int(n) {
		*buf = make([]byte, n)
	}
	body := (*buf)[:n]
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return body, nil
}

// parseRequest decodes a Request; unknown fields are skipped.
func parseRequest(b []byte) (request, error) {
	var req request
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == fieldMethod && typ == protowire.BytesType:
			req.method = string(v)
		case num == fieldDeadline && typ == protowire.VarintType:
			req.deadline = int64(x)
		case num == fieldPayload && typ == protowire.BytesType:
			req.payload = v
		}
		return nil
	})
	return req, err
}

// parseResponse decodes a Response: the payload, or the status when there
// is one.
func parseResponse(b []byte) (payload []byte, st *spb.Status, err error) {
	err = eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case fieldRespPayload:
			payload = v
		case fieldRespStatus:
			st = &spb.Status{}
			return proto.Unmarshal(v, st)
		}
		return nil
	})
	return payload, st, err
}

// eachField calls fn with each field of the message b: its bytes for a
// length-delimited field, its value for a varint.
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errFrame
		}
		b = b[n:]
		var (
			v []byte
			x uint64
		)
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return errFrame
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}
