package sqlstore_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

// envHolder makes the test binary a child process that opens the SQLite
// file it names, says "ready" and holds it until its stdin closes.
const envHolder = "ML2GO_TEST_SQLITE_HOLDER"

func TestMain(m *testing.M) {
	if path := os.Getenv(envHolder); path != "" {
		os.Exit(holdDatabase(path))
	}
	os.Exit(m.Run())
}

func holdDatabase(path string) int {
	s, err := sqlstore.Open(ctx, "sqlite://"+path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// fsImmutable is FS_IMMUTABLE_FL of linux/fs.h: no process, root
// included, may open the file for writing, write it, or write pages of it
// that it has mapped.
const fsImmutable = 0x10

// setImmutable sets or clears the immutable flag of path.
func setImmutable(path string, on bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return err
	}
	if on {
		flags |= fsImmutable
	} else {
		flags &^= fsImmutable
	}
	return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags))
}

// faultDir returns a directory on a file system where this process may
// make files immutable, removed when the test ends, or skips the test.
func faultDir(t *testing.T) string {
	t.Helper()
	try := func(dir string) error {
		probe := filepath.Join(dir, "probe")
		if err := os.WriteFile(probe, nil, 0o600); err != nil {
			return err
		}
		if err := setImmutable(probe, true); err != nil {
			return err
		}
		return setImmutable(probe, false)
	}
	dir := t.TempDir()
	err := try(dir)
	if err == nil {
		return dir
	}
	// The temporary directory may be a tmpfs without the flag: try the
	// package's directory, on the disk of the source tree.
	local, lerr := os.MkdirTemp(".", "fault-test-")
	if lerr == nil {
		t.Cleanup(func() { _ = os.RemoveAll(local) })
		if lerr = try(local); lerr == nil {
			return local
		}
	}
	t.Skipf("cannot set the immutable flag (needs CAP_LINUX_IMMUTABLE and ext4, xfs, btrfs or alike): %v; %v", err, lerr)
	return ""
}

// immutable makes path immutable until undo or the end of the test.
func immutable(t *testing.T, path string) (undo func()) {
	t.Helper()
	require.NoError(t, setImmutable(path, true))
	done := false
	undo = func() {
		if !done {
			done = true
			require.NoError(t, setImmutable(path, false))
		}
	}
	t.Cleanup(func() {
		if !done {
			done = true
			_ = setImmutable(path, false)
		}
	})
	return undo
}

func createNetworkErr(s core.Store, id string) error {
	return s.Update(ctx, func(tx core.Tx) error { return tx.CreateNetwork(ctx, network(id, "p1")) })
}

// TestStorageFaults makes a file of a SQLite database immutable under a
// running store: a write fails with a 503 and changes nothing, and once
// the fault is repaired the next write succeeds on the same store.
func TestStorageFaults(t *testing.T) {
	dir := faultDir(t)
	for _, tc := range []struct {
		name string
		file string // suffix of the database's path
		// newConns closes the idle connections before the fault, as
		// their idle timeout does: the write opens a new one.
		newConns bool
	}{
		{name: "wal", file: "-wal"},
		{name: "database, new connections", file: "", newConns: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("fault-%d.db", time.Now().UnixNano()))
			s := openDSN(t, "sqlite://"+path)
			createNetwork(t, s, network("before", "p1"))
			if tc.newConns {
				sqlstore.DropIdleConnsForTest(s)
			}
			repair := immutable(t, path+tc.file)

			for range 2 { // and again, on whatever connection is left
				err := createNetworkErr(s, "during")
				require.Error(t, err)
				assert.True(t, errors.Is(err, core.ErrUnavailable), "error: %v", err)
				assert.Equal(t, "ServiceUnavailable", core.TypeOf(err))
			}

			repair()
			require.NoError(t, createNetworkErr(s, "after"))
			require.NoError(t, createNetworkErr(s, "after-2"))
			assert.Equal(t, "before", getNetwork(t, s, "before").ID)
			assert.Equal(t, "after", getNetwork(t, s, "after").ID)
			view(t, s, func(tx core.Tx) error {
				_, err := tx.GetNetwork(ctx, "during")
				requireType(t, err, "NetworkNotFound")
				return nil
			})
		})
	}
}

// TestOpenReadOnlyFile opens a store on a database file that cannot be
// written: Open says why, and succeeds once the file is writable.
func TestOpenReadOnlyFile(t *testing.T) {
	path := filepath.Join(faultDir(t), "ml2go.db")
	dsn := "sqlite://" + path
	s := openDSN(t, dsn)
	createNetwork(t, s, network("n1", "p1"))
	require.NoError(t, s.Close())

	repair := immutable(t, path)
	_, err := sqlstore.Open(ctx, dsn)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not writable")
	repair()

	s = openDSN(t, dsn)
	assert.Equal(t, "n1", getNetwork(t, s, "n1").ID)
	createNetwork(t, s, network("n2", "p1"))
}

// TestImmutableSharedMemoryFile leaves an immutable -shm file beside the
// database, as a server that maps its WAL index from one could: writing
// a mapped page of an immutable file raises SIGBUS, which kills a Go
// process. The store maps no file, so it neither crashes nor fails.
func TestImmutableSharedMemoryFile(t *testing.T) {
	dir := faultDir(t)
	for _, tc := range []struct {
		name   string
		before bool // the -shm file is there before the store opens
	}{
		{name: "before open", before: true},
		{name: "while open"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("shm-%d.db", time.Now().UnixNano()))
			shm := path + "-shm"
			if tc.before {
				require.NoError(t, os.WriteFile(shm, make([]byte, 32<<10), 0o644))
				immutable(t, shm)
			}
			s := openDSN(t, "sqlite://"+path)
			createNetwork(t, s, network("n1", "p1"))
			if !tc.before {
				_, err := os.Stat(shm)
				require.ErrorIs(t, err, os.ErrNotExist, "the store made a -shm file")
				require.NoError(t, os.WriteFile(shm, make([]byte, 32<<10), 0o644))
				immutable(t, shm)
			}
			for i := range 20 {
				createNetwork(t, s, network(fmt.Sprint("m", i), "p1"))
			}
			assert.Equal(t, "m19", getNetwork(t, s, "m19").ID)
		})
	}
}

// TestSecondProcess opens a SQLite file that another process holds: Open
// fails and says so, and works once the other process is gone.
func TestSecondProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ml2go.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envHolder+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ready\n", line)

	_, err = sqlstore.Open(ctx, "sqlite://"+path, sqlstore.WithBusyTimeout(50*time.Millisecond))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another process has the database open")

	require.NoError(t, stdin.Close())
	require.NoError(t, cmd.Wait())
	s := openDSN(t, "sqlite://"+path)
	createNetwork(t, s, network("n1", "p1"))
}
