package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/reference/server"
)

// pluginDir holds the test plugin binary, built on first use.
var (
	pluginDir   string
	pluginOnce  sync.Once
	pluginPath  string
	pluginBuild error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ml2go-server-testplugin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pluginDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// testPlugin returns the path of plugins/host's test plugin, building it
// the first time: an out-of-process mechanism driver that binds ports of
// vnic_type normal with vif_type "other".
func testPlugin(t *testing.T) string {
	t.Helper()
	pluginOnce.Do(func() {
		pluginPath = filepath.Join(pluginDir, "testplugin")
		out, err := exec.Command("go", "build", "-o", pluginPath, "github.com/ml2go/ml2go/plugins/host/internal/testplugin").CombinedOutput()
		if err != nil {
			pluginBuild = fmt.Errorf("build test plugin: %w\n%s", err, out)
		}
	})
	require.NoError(t, pluginBuild)
	return pluginPath
}

// loadConfig writes ml2_conf.ini with text in a new directory and loads
// it.
func loadConfig(t *testing.T, text string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ml2_conf.ini")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)
	return cfg
}

// call sends a request with a JSON body (nil for none) to a running
// server and returns the status and the decoded body.
func call(t *testing.T, r *running, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.url+strings.TrimPrefix(path, "/"), rd)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

// drivers returns GET /v2.0/ml2go-drivers by name.
func drivers(t *testing.T, r *running) map[string]map[string]any {
	t.Helper()
	status, body := call(t, r, "GET", "/v2.0/ml2go-drivers", nil)
	require.Equal(t, http.StatusOK, status, body)
	out := map[string]map[string]any{}
	for _, d := range body["ml2go_drivers"].([]any) {
		m := d.(map[string]any)
		out[m["name"].(string)] = m
	}
	return out
}

// boundPort creates a network and a port on host and returns the port.
func boundPort(t *testing.T, r *running, host string) map[string]any {
	t.Helper()
	status, body := call(t, r, "POST", "/v2.0/networks", map[string]any{"network": map[string]any{"name": "n-" + host}})
	require.Equal(t, http.StatusCreated, status, body)
	netID := body["network"].(map[string]any)["id"]
	status, body = call(t, r, "POST", "/v2.0/ports", map[string]any{"port": map[string]any{
		"network_id": netID, "binding:host_id": host, "device_owner": "compute:nova", "device_id": "vm-" + host,
	}})
	require.Equal(t, http.StatusCreated, status, body)
	return body["port"].(map[string]any)
}

const pluginConf = `
[ml2]
type_drivers = vxlan
tenant_network_types = vxlan
mechanism_drivers = fakeagent,acme

[ml2_type_vxlan]
vni_ranges = 1:100
`

// TestPluginMechanismDriver runs a server with a built-in driver and an
// out-of-process one, in that order: ports the fake agent cannot bind
// are bound by the plugin, and both drivers' health is served.
func TestPluginMechanismDriver(t *testing.T) {
	cfg := loadConfig(t, pluginConf+`
[ml2go_plugin:acme]
command = `+testPlugin(t)+`
call_timeout = 5
`)
	r := start(t, cfg)

	ds := drivers(t, r)
	require.Len(t, ds, 2)
	assert.Equal(t, map[string]any{"name": "fakeagent", "kind": "builtin", "state": "running", "last_error": nil, "restarts": float64(0), "pid": nil}, ds["fakeagent"])
	acme := ds["acme"]
	assert.Equal(t, "plugin", acme["kind"])
	assert.Equal(t, "running", acme["state"])
	assert.Nil(t, acme["last_error"])
	assert.Equal(t, float64(0), acme["restarts"])
	assert.Greater(t, acme["pid"], float64(0))
	order := r.srv.DriverHealth()
	require.Len(t, order, 2)
	assert.Equal(t, []string{"fakeagent", "acme"}, []string{order[0].Name, order[1].Name})

	// No agent on the host: the fake agent driver passes, the plugin binds.
	port := boundPort(t, r, "compute-1")
	assert.Equal(t, "other", port["binding:vif_type"])
	assert.Equal(t, map[string]any{"bound_by": "testplugin", "bound_drivers": map[string]any{"0": "acme"}}, port["binding:vif_details"])
	assert.Equal(t, "ACTIVE", port["status"])

	// The plugin's errors are the API's: the test plugin refuses networks
	// named "invalid" in precommit.
	status, body := call(t, r, "POST", "/v2.0/networks", map[string]any{"network": map[string]any{"name": "invalid"}})
	assert.Equal(t, http.StatusBadRequest, status, body)

	// Close stops the plugin's process.
	pid := int(acme["pid"].(float64))
	require.NoError(t, r.stop())
	assertExited(t, pid)
}

// TestPluginDir finds a driver's binary in [ml2go] plugin_dir.
func TestPluginDir(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Symlink(testPlugin(t), filepath.Join(dir, config.PluginFile("acme"))))
	r := start(t, loadConfig(t, pluginConf+"\n[ml2go]\nplugin_dir = "+dir+"\n"))
	assert.Equal(t, "running", drivers(t, r)["acme"]["state"])
	assert.Equal(t, "other", boundPort(t, r, "compute-1")["binding:vif_type"])
}

// TestPluginFailsToStart: a driver whose binary does not exist does not
// stop the server. It is reported failed with the reason, ports only it
// could bind end binding_failed, and once the binary appears the driver
// starts, is initialized, and binds.
func TestPluginFailsToStart(t *testing.T) {
	initLog := filepath.Join(t.TempDir(), "init.log")
	t.Setenv("ML2GO_TESTPLUGIN_INIT_LOG", initLog)
	command := filepath.Join(t.TempDir(), "acme-driver")
	r := start(t, loadConfig(t, pluginConf+"\n[ml2go_plugin:acme]\ncommand = "+command+"\n"))

	acme := drivers(t, r)["acme"]
	assert.Equal(t, "plugin", acme["kind"])
	assert.Equal(t, "failed", acme["state"])
	assert.Contains(t, acme["last_error"], command)
	assert.Contains(t, acme["last_error"], "no such file or directory")
	assert.Nil(t, acme["pid"])
	assert.Equal(t, "running", drivers(t, r)["fakeagent"]["state"])

	// The rest of the API works; the port fails to bind, and says why.
	port := boundPort(t, r, "compute-1")
	assert.Equal(t, "binding_failed", port["binding:vif_type"])
	assert.Equal(t, "DOWN", port["status"])
	details, _ := port["binding:vif_details"].(map[string]any)
	require.Len(t, details, 1, "vif_details: %v", port["binding:vif_details"])
	reasons, _ := details[ml2.BindingFailureKey].(map[string]any)
	require.Len(t, reasons, 1, "only the driver that failed: %v", details)
	assert.Contains(t, reasons["acme"], "Mechanism driver acme is unavailable (failed)")
	assert.Contains(t, reasons["acme"], command)
	assert.Contains(t, reasons["acme"], "no such file or directory")

	// The binary is installed: the retries start it.
	require.NoError(t, os.Symlink(testPlugin(t), command))
	require.Eventually(t, func() bool { return drivers(t, r)["acme"]["state"] == "running" }, 20*time.Second, 50*time.Millisecond)
	acme = drivers(t, r)["acme"]
	assert.Greater(t, acme["pid"], float64(0))
	assert.GreaterOrEqual(t, acme["restarts"], float64(1))
	log, err := os.ReadFile(initLog)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d\n", int(acme["pid"].(float64))), string(log), "the driver is initialized once")

	// Binding is retried when the host is set again; the reason goes.
	id := port["id"].(string)
	status, body := call(t, r, "PUT", "/v2.0/ports/"+id, map[string]any{"port": map[string]any{"binding:host_id": "compute-2"}})
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "other", body["port"].(map[string]any)["binding:vif_type"])
	assert.NotContains(t, body["port"].(map[string]any)["binding:vif_details"], ml2.BindingFailureKey)
	assert.Equal(t, "other", boundPort(t, r, "compute-3")["binding:vif_type"])
}

// TestMechanismDriverUnknown: a driver that is neither built in nor a
// plugin stops start-up with a message naming the option.
func TestMechanismDriverUnknown(t *testing.T) {
	cfg := loadConfig(t, pluginConf)
	_, err := server.New(context.Background(), cfg, server.Options{DataDir: t.TempDir()})
	var ce *config.Error
	require.ErrorAs(t, err, &ce)
	assert.True(t, errors.Is(err, config.ErrUnknownMechanismDriver))
	assert.Equal(t, "ml2", ce.Section)
	assert.Equal(t, "mechanism_drivers", ce.Option)
	assert.Equal(t, "acme", ce.Value)
	assert.Regexp(t, `ml2_conf\.ini:5: \[ml2\] mechanism_drivers: "acme": unknown mechanism driver: not built in, no \[ml2go_plugin:acme\] section, and \[ml2go\] plugin_dir is not set \(built in: fakeagent, l2population, linuxbridge, logger, openvswitch\)$`, err.Error())

	// The same with a plugin directory without the driver.
	dir := t.TempDir()
	cfg = loadConfig(t, pluginConf+"\n[ml2go]\nplugin_dir = "+dir+"\n")
	_, err = server.New(context.Background(), cfg, server.Options{DataDir: t.TempDir()})
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "no ml2go-driver-acme in [ml2go] plugin_dir "+dir)
}

// TestPluginSectionForBuiltin: a plugin section may not take a built-in
// driver's name.
func TestPluginSectionForBuiltin(t *testing.T) {
	cfg := loadConfig(t, pluginConf+"\n[ml2go_plugin:fakeagent]\ncommand = /usr/bin/true\n")
	_, err := server.New(context.Background(), cfg, server.Options{DataDir: t.TempDir()})
	var ce *config.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "ml2go_plugin:fakeagent", ce.Section)
	assert.Contains(t, err.Error(), "fakeagent is a built-in mechanism driver: give the out-of-process driver another name")
}

// TestPluginClosedOnStartError: when the server cannot start after its
// plugins did, they are stopped.
func TestPluginClosedOnStartError(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	cfg := loadConfig(t, pluginConf+`
[ml2]
extension_drivers = no_such_extension

[ml2go_plugin:acme]
command = /bin/sh
args = -c 'echo $$ > `+pidFile+`; exec `+testPlugin(t)+`'
`)
	_, err := server.New(context.Background(), cfg, server.Options{DataDir: t.TempDir()})
	require.ErrorContains(t, err, `"no_such_extension": unknown extension driver`)
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	assertExited(t, pid)
}

// assertExited checks that the process pid exits soon.
func assertExited(t *testing.T, pid int) {
	t.Helper()
	p, err := os.FindProcess(pid)
	require.NoError(t, err)
	assert.Eventually(t, func() bool { return p.Signal(syscall.Signal(0)) != nil }, 5*time.Second, 20*time.Millisecond, "plugin process %d still runs", pid)
}

// TestPluginInitializeFails: a driver that starts but fails to initialize
// counts as failing to start; the server starts without it.
func TestPluginInitializeFails(t *testing.T) {
	t.Setenv("ML2GO_TESTPLUGIN_INIT_LOG", filepath.Join(t.TempDir(), "no", "such", "dir"))
	pidFile := filepath.Join(t.TempDir(), "pid")
	r := start(t, loadConfig(t, pluginConf+`
[ml2go_plugin:acme]
command = /bin/sh
args = -c 'echo $$ > `+pidFile+`; exec `+testPlugin(t)+`'
`))
	acme := drivers(t, r)["acme"]
	assert.Equal(t, "failed", acme["state"])
	assert.Contains(t, acme["last_error"], "initialize mechanism driver acme")
	assert.Contains(t, acme["last_error"], "no such file or directory")
	assert.Nil(t, acme["pid"])
	assert.Equal(t, "binding_failed", boundPort(t, r, "compute-1")["binding:vif_type"])

	// The process that failed to initialize was stopped.
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	assertExited(t, pid)
}

// kindsConf runs the test plugin as the type driver of network type acme
// (VNIs 100-102), and as a mechanism and an extension driver, all three
// from the one section [ml2go_plugin:acme].
const kindsConf = `
[ml2]
type_drivers = local,acme
tenant_network_types = acme
mechanism_drivers = acme
extension_drivers = port_security,acme
`

// TestPluginTypeAndExtensionDrivers runs a server whose type, mechanism
// and extension drivers named acme are one out-of-process binary: tenant
// networks get segments of its network type, from its pool, released on
// delete; its extension attributes are accepted and shown; its errors are
// the API's; its health is reported for each kind.
func TestPluginTypeAndExtensionDrivers(t *testing.T) {
	t.Setenv("ML2GO_TESTPLUGIN_NETWORK_TYPE", "acme")
	t.Setenv("ML2GO_TESTPLUGIN_EXT_ALIASES", "") // the API knows only Neutron's aliases
	r := start(t, loadConfig(t, kindsConf+`
[ml2go_plugin:acme]
command = `+testPlugin(t)+`
call_timeout = 5
`))

	ds := drivers(t, r)
	require.Len(t, ds, 3)
	pids := map[float64]bool{}
	for _, name := range []string{"acme", "type_driver:acme", "extension_driver:acme"} {
		require.Contains(t, ds, name)
		assert.Equal(t, "plugin", ds[name]["kind"], name)
		assert.Equal(t, "running", ds[name]["state"], name)
		pids[ds[name]["pid"].(float64)] = true
	}
	assert.Len(t, pids, 3, "a process per kind")
	order := r.srv.DriverHealth()
	assert.Equal(t, []string{"acme", "type_driver:acme", "extension_driver:acme"}, []string{order[0].Name, order[1].Name, order[2].Name})

	const color, shade = "ml2go_test_color", "ml2go_test_shade"
	create := func(attrs map[string]any) (int, map[string]any) {
		return call(t, r, "POST", "/v2.0/networks", map[string]any{"network": attrs})
	}
	status, body := create(map[string]any{"name": "red", color: "red"})
	require.Equal(t, http.StatusCreated, status, body)
	net := body["network"].(map[string]any)
	assert.Equal(t, "acme", net["provider:network_type"])
	assert.Contains(t, []any{float64(100), float64(101), float64(102)}, net["provider:segmentation_id"])
	assert.Equal(t, float64(1450), net["mtu"], "the type driver's MTU")
	assert.Equal(t, "red", net[color])
	assert.Equal(t, "dark red", net[shade])
	assert.Equal(t, true, net["port_security_enabled"])
	status, body = call(t, r, "GET", "/v2.0/networks/"+net["id"].(string), nil)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "dark red", body["network"].(map[string]any)[shade], "shown on read")

	// A port is bound by the mechanism driver and takes its network's
	// color from the extension driver.
	status, body = call(t, r, "POST", "/v2.0/ports", map[string]any{"port": map[string]any{
		"network_id": net["id"], "binding:host_id": "compute-1"}})
	require.Equal(t, http.StatusCreated, status, body)
	port := body["port"].(map[string]any)
	assert.Equal(t, "other", port["binding:vif_type"])
	assert.Equal(t, "red", port[color])

	// The extension driver's refusal is a 400 and creates nothing.
	status, body = create(map[string]any{"name": "bad", color: "invalid"})
	assert.Equal(t, http.StatusBadRequest, status, body)
	assert.Equal(t, "InvalidInput", body["NeutronError"].(map[string]any)["type"])

	// The pool has three VNIs: two more networks take them, a fourth has
	// none, and deleting one gives its VNI back.
	var last string
	for range 2 {
		status, body = create(map[string]any{})
		require.Equal(t, http.StatusCreated, status, body)
		last = body["network"].(map[string]any)["id"].(string)
	}
	status, body = create(map[string]any{})
	assert.Equal(t, http.StatusServiceUnavailable, status, body)
	assert.Equal(t, "NoNetworkAvailable", body["NeutronError"].(map[string]any)["type"])
	req, err := http.NewRequest("DELETE", r.url+"v2.0/networks/"+last, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	status, body = create(map[string]any{})
	assert.Equal(t, http.StatusCreated, status, body)
}

// TestTypePluginFailsToStart: a type driver whose binary is missing does
// not stop the server; networks of its type fail with a 503 until the
// binary appears, then the driver starts and is initialized.
func TestTypePluginFailsToStart(t *testing.T) {
	initLog := filepath.Join(t.TempDir(), "init.log")
	t.Setenv("ML2GO_TESTPLUGIN_INIT_LOG", initLog)
	t.Setenv("ML2GO_TESTPLUGIN_NETWORK_TYPE", "acme")
	command := filepath.Join(t.TempDir(), "acme-driver")
	r := start(t, loadConfig(t, `
[ml2]
type_drivers = local,acme
tenant_network_types = local
mechanism_drivers = logger

[ml2go_plugin:acme]
command = `+command+`
`))
	acme := drivers(t, r)["type_driver:acme"]
	assert.Equal(t, "failed", acme["state"])
	assert.Contains(t, acme["last_error"], "no such file or directory")

	provider := map[string]any{"network": map[string]any{"provider:network_type": "acme"}}
	status, body := call(t, r, "POST", "/v2.0/networks", provider)
	assert.Equal(t, http.StatusServiceUnavailable, status, body)
	assert.Equal(t, "TypeDriverUnavailable", body["NeutronError"].(map[string]any)["type"])
	status, body = call(t, r, "POST", "/v2.0/networks", map[string]any{"network": map[string]any{}})
	assert.Equal(t, http.StatusCreated, status, body, "other types work")

	require.NoError(t, os.Symlink(testPlugin(t), command))
	require.Eventually(t, func() bool { return drivers(t, r)["type_driver:acme"]["state"] == "running" },
		20*time.Second, 50*time.Millisecond)
	status, body = call(t, r, "POST", "/v2.0/networks", provider)
	require.Equal(t, http.StatusCreated, status, body)
	assert.Equal(t, "acme", body["network"].(map[string]any)["provider:network_type"])
	pid := drivers(t, r)["type_driver:acme"]["pid"].(float64)
	log, err := os.ReadFile(initLog)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d\n", int(pid)), string(log), "the driver is initialized once")
}

// TestTypePluginWithAnotherType: a binary whose type driver handles
// another network type than its name in type_drivers fails to start.
func TestTypePluginWithAnotherType(t *testing.T) {
	r := start(t, loadConfig(t, `
[ml2]
type_drivers = local,acme
tenant_network_types = local
mechanism_drivers = logger

[ml2go_plugin:acme]
command = `+testPlugin(t)+`
`))
	acme := drivers(t, r)["type_driver:acme"]
	assert.Equal(t, "failed", acme["state"])
	assert.Contains(t, acme["last_error"], `handles network type "vxlan", not "acme"`)
}

// TestUnknownTypeAndExtensionDrivers: names that are neither built in nor
// plugins stop start-up with a message naming the option.
func TestUnknownTypeAndExtensionDrivers(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"type", "[ml2]\ntype_drivers = local,acme\ntenant_network_types = local\n",
			`[ml2] type_drivers: "acme": unknown type driver: not built in, no [ml2go_plugin:acme] section, and [ml2go] plugin_dir is not set (built in: flat, vlan, vxlan, gre, geneve, local)`},
		{"extension", "[ml2]\ntype_drivers = local\ntenant_network_types = local\nextension_drivers = acme\n",
			`[ml2] extension_drivers: "acme": unknown extension driver: not built in, no [ml2go_plugin:acme] section, and [ml2go] plugin_dir is not set (built in: port_security)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := server.New(context.Background(), loadConfig(t, tc.text), server.Options{DataDir: t.TempDir()})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestPluginDiesInPostcommit: a driver that dies in a create postcommit
// also fails the undo's delete hooks (it is restarting); the create still
// leaves nothing behind, and its answer is the error.
func TestPluginDiesInPostcommit(t *testing.T) {
	r := start(t, loadConfig(t, pluginConf+`
[ml2go_plugin:acme]
command = `+testPlugin(t)+`
call_timeout = 5
`))
	status, body := call(t, r, "POST", "/v2.0/networks", map[string]any{"network": map[string]any{"name": "n"}})
	require.Equal(t, http.StatusCreated, status, body)
	netID := body["network"].(map[string]any)["id"]

	status, body = call(t, r, "POST", "/v2.0/ports", map[string]any{"port": map[string]any{
		"network_id": netID, "name": "postpanic", "binding:host_id": "compute-1"}})
	assert.GreaterOrEqual(t, status, 500, body)
	status, body = call(t, r, "GET", "/v2.0/ports", nil)
	require.Equal(t, http.StatusOK, status, body)
	assert.Empty(t, body["ports"])

	require.Eventually(t, func() bool { return drivers(t, r)["acme"]["state"] == "running" }, 20*time.Second, 50*time.Millisecond)
	status, body = call(t, r, "POST", "/v2.0/networks", map[string]any{"network": map[string]any{"name": "postpanic"}})
	assert.GreaterOrEqual(t, status, 500, body)
	status, body = call(t, r, "GET", "/v2.0/networks", nil)
	require.Equal(t, http.StatusOK, status, body)
	assert.Len(t, body["networks"], 1, "only the first network is left")
}
