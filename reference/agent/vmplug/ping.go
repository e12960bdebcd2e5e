package vmplug

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/ml2go/ml2go/reference/netns"
)

// ICMPv4 message types used by Pinger.
const (
	icmpEchoReply   = 0
	icmpEchoRequest = 8
)

// Pinger sends ICMPv4 echo requests from inside a namespace, as `ping`
// run there would, over a raw socket opened in that namespace. It is safe
// for concurrent use; pings are sent one at a time.
type Pinger struct {
	mu   sync.Mutex
	conn *net.IPConn
	id   uint16
	seq  uint16
}

// NewPinger opens a raw ICMP socket inside the namespace n. Close it
// before deleting the namespace: the socket holds the namespace alive.
func NewPinger(n *netns.Namespace) (*Pinger, error) {
	var conn net.PacketConn
	err := n.Do(func() error {
		var err error
		conn, err = net.ListenPacket("ip4:icmp", "0.0.0.0")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vmplug: open ICMP socket in %s: %w", n.Name, err)
	}
	return &Pinger{conn: conn.(*net.IPConn), id: uint16(rand.N(1 << 16))}, nil
}

// Ping sends one echo request to dst and waits for its reply until timeout
// passes or ctx ends. A nil error means the reply came.
func (p *Pinger) Ping(ctx context.Context, dst netip.Addr, timeout time.Duration) error {
	if !dst.Unmap().Is4() {
		return fmt.Errorf("vmplug: ping %s: only IPv4 is supported", dst)
	}
	dst = dst.Unmap()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("vmplug: ping %s: %w", dst, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	seq := p.seq

	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := p.conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("vmplug: ping %s: %w", dst, err)
	}
	// Wake the read when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = p.conn.SetReadDeadline(time.Now()) })
	defer stop()

	if _, err := p.conn.WriteTo(echoRequest(p.id, seq), &net.IPAddr{IP: net.IP(dst.AsSlice())}); err != nil {
		return fmt.Errorf("vmplug: ping %s: send: %w", dst, err)
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("vmplug: ping %s: %w", dst, ctx.Err())
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("vmplug: ping %s: no reply within %s: %w", dst, timeout, err)
			}
			return fmt.Errorf("vmplug: ping %s: receive: %w", dst, err)
		}
		src, _ := netip.AddrFromSlice(from.(*net.IPAddr).IP)
		if src.Unmap() == dst && isEchoReply(buf[:n], p.id, seq) {
			return nil
		}
	}
}

// Close closes the socket.
func (p *Pinger) Close() error {
	return p.conn.Close()
}

// echoRequest builds an ICMPv4 echo request with an 8-byte payload.
func echoRequest(id, seq uint16) []byte {
	b := make([]byte, 16)
	b[0] = icmpEchoRequest
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	binary.BigEndian.PutUint64(b[8:], uint64(time.Now().UnixNano()))
	binary.BigEndian.PutUint16(b[2:], checksum(b))
	return b
}

// isEchoReply reports whether b is the reply to the echo request id/seq.
func isEchoReply(b []byte, id, seq uint16) bool {
	return len(b) >= 8 && b[0] == icmpEchoReply && b[1] == 0 &&
		binary.BigEndian.Uint16(b[4:]) == id && binary.BigEndian.Uint16(b[6:]) == seq
}

// checksum is the Internet checksum (RFC 1071) of b.
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = (sum >> 16) + (sum & 0xffff)
	}
	return ^uint16(sum)
}
