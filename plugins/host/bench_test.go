package host_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
	"github.com/ml2go/ml2go/plugins/host"
)

// BenchmarkCreatePort creates ports through ml2.Plugin on an in-memory
// SQLite store, with the logger driver in-process and with the same driver
// out-of-process (the test plugin). The difference per op is the cost of
// the wire: a port create makes two driver calls (create precommit and
// postcommit; no binding, since the port has no host). round_trips_only
// is the in-process driver with one bare round trip to another process
// per call (see echoed): the least that any out-of-process driver adds on
// the machine at hand.
func BenchmarkCreatePort(b *testing.B) {
	for _, tc := range []struct {
		name   string
		driver func(b *testing.B) core.MechanismDriver
	}{
		{"in_process", func(*testing.B) core.MechanismDriver { return logger.New(nil) }},
		{"round_trips_only", func(b *testing.B) core.MechanismDriver { return newEchoed(b, logger.New(nil)) }},
		{"out_of_process", func(b *testing.B) core.MechanismDriver { return load(b) }},
		{"out_of_process_quiet", func(b *testing.B) core.MechanismDriver {
			return load(b, func(c *host.Config) { c.Env = []string{"ML2GO_TESTPLUGIN_QUIET=1"} })
		}},
		{"out_of_process_quiet_grpc", func(b *testing.B) core.MechanismDriver {
			return load(b, func(c *host.Config) { c.Env, c.PlainGRPC = []string{"ML2GO_TESTPLUGIN_QUIET=1"}, true })
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := newEnvWith(b, "logger", tc.driver(b))
			n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: mustPrefix("10.0.0.0/16")}); err != nil {
				b.Fatal(err)
			}
			req := &ml2.PortRequest{NetworkID: n.ID}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.plugin.CreatePort(e.ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHookCall measures one out-of-process hook call on its own, on
// each transport: a CreatePortPrecommit with a typical port, no store
// involved.
func BenchmarkHookCall(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			d := load(b, tr.mod, quiet)
			pc := mechtest.NewPortContext(&core.Port{Standard: core.Standard{ID: "p", Name: "p"}, NetworkID: "n"},
				core.Segment{ID: "s", NetworkType: core.TypeLocal})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := d.CreatePortPrecommit(ctx, pc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// quiet silences the test plugin's logger driver.
func quiet(c *host.Config) { c.Env = append(c.Env, "ML2GO_TESTPLUGIN_QUIET=1") }

// BenchmarkBindPort measures binding a port out of process, on each way
// the host and the driver may talk (see callbackTransports):
//
//   - bind_port: one BindPort call on its own, in which the driver makes
//     one SetBinding callback into the host; no store involved;
//   - create_port: a port create with a binding host through ml2.Plugin on
//     an in-memory SQLite store (create precommit and postcommit, the
//     binding, and the store's work).
func BenchmarkBindPort(b *testing.B) {
	for _, tr := range callbackTransports {
		b.Run(tr.name, func(b *testing.B) {
			d := load(b, tr.mod, quiet)
			b.Run("bind_port", func(b *testing.B) {
				seg := core.Segment{ID: "s", NetworkType: core.TypeLocal}
				pc := mechtest.NewPortContext(&core.Port{Standard: core.Standard{ID: "p", Name: "p"}, NetworkID: "n",
					Binding: core.PortBinding{HostID: "host1", VNICType: core.VNICNormal}}, seg)
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					pc.SetBindings = pc.SetBindings[:0]
					if err := d.BindPort(ctx, pc); err != nil {
						b.Fatal(err)
					}
					if len(pc.SetBindings) != 1 {
						b.Fatalf("SetBinding calls: %d, want 1", len(pc.SetBindings))
					}
				}
			})
			b.Run("create_port", func(b *testing.B) {
				e := newEnvWith(b, "remote", d)
				n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: mustPrefix("10.0.0.0/16")}); err != nil {
					b.Fatal(err)
				}
				req := &ml2.PortRequest{NetworkID: n.ID, HostID: ptr("host1"), VNICType: ptr(core.VNICNormal)}
				b.ReportAllocs()
				for b.Loop() {
					p, err := e.plugin.CreatePort(e.ctx, req)
					if err != nil {
						b.Fatal(err)
					}
					if p.Binding.VIFType != core.VIFTypeOther {
						b.Fatalf("vif_type %q, want %q", p.Binding.VIFType, core.VIFTypeOther)
					}
				}
			})
			if h := d.Health(); h.CallChannel != tr.channel || h.CallbackChannel != tr.callbacks {
				b.Fatalf("health %+v: the transport is not %s", h, tr.name)
			}
		})
	}
}

// envEcho makes the test binary an echo process (see echo).
const envEcho = "ML2GO_TEST_ECHO"

// echo is the test binary as an echo process: it writes back what it
// reads on descriptor 3 until that closes.
func echo() {
	f := os.NewFile(3, "echo")
	buf := make([]byte, 512)
	for {
		n, err := f.Read(buf)
		if err != nil {
			os.Exit(0)
		}
		if _, err := f.Write(buf[:n]); err != nil {
			os.Exit(0)
		}
	}
}

// echoed is an in-process driver that makes one bare round trip, a few
// bytes over a unix socket, to an echo process before each port create
// hook. A create through it costs what two calls to another process cost
// at the least, with no encoding and no driver work: the floor under the
// added cost of out_of_process.
type echoed struct {
	core.MechanismDriver
	f   *os.File
	buf [64]byte
}

// newEchoed starts an echo process, stopped when b ends, and wraps d.
func newEchoed(b *testing.B, d core.MechanismDriver) *echoed {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "echo"), os.NewFile(uintptr(fds[1]), "echo-child")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envEcho+"=1")
	cmd.ExtraFiles = []*os.File{theirs}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	_ = theirs.Close()
	b.Cleanup(func() {
		_ = mine.Close()
		_ = cmd.Wait()
	})
	return &echoed{MechanismDriver: d, f: mine}
}

func (e *echoed) roundTrip() error {
	if _, err := e.f.Write(e.buf[:32]); err != nil {
		return err
	}
	_, err := io.ReadFull(e.f, e.buf[:32])
	return err
}

// CreatePortPrecommit makes a round trip, then calls the driver.
func (e *echoed) CreatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	if err := e.roundTrip(); err != nil {
		return err
	}
	return e.MechanismDriver.CreatePortPrecommit(ctx, pc)
}

// CreatePortPostcommit makes a round trip, then calls the driver.
func (e *echoed) CreatePortPostcommit(ctx context.Context, pc core.PortContext) error {
	if err := e.roundTrip(); err != nil {
		return err
	}
	return e.MechanismDriver.CreatePortPostcommit(ctx, pc)
}
