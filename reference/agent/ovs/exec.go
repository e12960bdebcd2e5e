package ovs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strings"
	"time"

	goovs "github.com/digitalocean/go-openvswitch/ovs"
)

// defaultCommandTimeout bounds one ovs-vsctl or ovs-ofctl call when the
// context has no deadline, so that a dead ovsdb-server or ovs-vswitchd
// fails an Apply instead of hanging it.
const defaultCommandTimeout = 30 * time.Second

// runner runs the Open vSwitch command-line tools for one Apply. It wraps
// a go-openvswitch client whose commands are bound to the Apply's context,
// and adds the few calls that client lacks: ovs-vsctl transactions and
// table listings, and ovs-ofctl flow dumps and bundles with strict deletes.
type runner struct {
	ctx    context.Context
	client *goovs.Client
	// timeout is the --timeout of ovs-vsctl and ovs-ofctl, in seconds.
	timeout int
}

// newRunner returns a runner whose commands end with ctx.
func newRunner(ctx context.Context) *runner {
	r := &runner{ctx: ctx, timeout: int(defaultCommandTimeout / time.Second)}
	if dl, ok := ctx.Deadline(); ok {
		r.timeout = max(1, int(math.Ceil(time.Until(dl).Seconds())))
	}
	r.client = goovs.New(
		goovs.Timeout(r.timeout),
		goovs.Exec(func(cmd string, args ...string) ([]byte, error) {
			return r.run(nil, cmd, args...)
		}),
		goovs.Pipe(func(stdin io.Reader, cmd string, args ...string) ([]byte, error) {
			return r.run(stdin, cmd, args...)
		}),
	)
	return r
}

// run executes cmd with args under the runner's context and returns its
// standard output; a failure carries standard error.
func (r *runner) run(stdin io.Reader, cmd string, args ...string) ([]byte, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	c := exec.CommandContext(r.ctx, cmd, args...)
	var stdout, stderr bytes.Buffer
	c.Stdin = stdin
	c.Stdout = &stdout
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		if ctxErr := r.ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%s: %w", cmd, ctxErr)
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		return nil, &commandError{cmd: cmd, args: args, msg: msg, err: err}
	}
	return stdout.Bytes(), nil
}

// vsctl runs ovs-vsctl with args.
func (r *runner) vsctl(args ...string) ([]byte, error) {
	return r.run(nil, "ovs-vsctl", append([]string{fmt.Sprintf("--timeout=%d", r.timeout)}, args...)...)
}

// ofctl runs ovs-ofctl with args, feeding it stdin when not nil.
func (r *runner) ofctl(stdin io.Reader, args ...string) ([]byte, error) {
	return r.run(stdin, "ovs-ofctl", append([]string{fmt.Sprintf("--timeout=%d", r.timeout)}, args...)...)
}

// commandError is a failed Open vSwitch command with what it printed.
type commandError struct {
	cmd  string
	args []string
	msg  string
	err  error
}

func (e *commandError) Error() string {
	return fmt.Sprintf("%s %s: %v: %s", e.cmd, summarizeArgs(e.args), e.err, e.msg)
}

func (e *commandError) Unwrap() error { return e.err }

// summarizeArgs keeps an error message readable when a transaction has
// hundreds of arguments.
func summarizeArgs(args []string) string {
	const keep = 12
	if len(args) <= keep {
		return strings.Join(args, " ")
	}
	return strings.Join(args[:keep], " ") + fmt.Sprintf(" ... (%d more)", len(args)-keep)
}

// ErrNotRunning is returned (wrapped) by Apply when Open vSwitch does not
// answer: ovsdb-server or ovs-vswitchd is not running.
var ErrNotRunning = errors.New("open vswitch is not running")

// isNotRunning reports whether err says that ovsdb-server could not be
// reached.
func isNotRunning(err error) bool {
	var ce *commandError
	if !errors.As(err, &ce) {
		return errors.Is(err, exec.ErrNotFound)
	}
	return strings.Contains(ce.msg, "database connection failed") ||
		(strings.Contains(ce.msg, "No such file or directory") && strings.Contains(ce.msg, "db.sock"))
}
