package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/config"
)

func TestDecodePlugins(t *testing.T) {
	c, err := decode(
		file{"ml2_conf.ini", `
[ml2]
mechanism_drivers = fakeagent,acme,Other

[ml2go]
plugin_dir = /usr/lib/ml2go/plugins

[ml2go_plugin:acme]
command = /opt/acme/bin/acme-driver
args = --config /etc/acme/driver.conf
  --name "acme one" -v''
call_timeout = 30
color = blue

[ML2GO_PLUGIN:other]
call_timeout = 5
`},
		file{"override.ini", "[ml2go_plugin:acme]\ncall_timeout = 45\n"},
	)
	require.NoError(t, err)
	assert.Equal(t, []string{"fakeagent", "acme", "Other"}, c.ML2Options.MechanismDrivers)
	assert.Equal(t, "/usr/lib/ml2go/plugins", c.ML2go.PluginDir)
	assert.Equal(t, map[string]config.PluginOptions{
		"acme": {
			Command:     "/opt/acme/bin/acme-driver",
			Args:        []string{"--config", "/etc/acme/driver.conf", "--name", "acme one", "-v"},
			CallTimeout: 45 * time.Second,
		},
		"other": {CallTimeout: 5 * time.Second},
	}, c.Plugins)
	assert.Equal(t, []config.Ignored{{File: "ml2_conf.ini", Line: 13, Section: "ml2go_plugin:acme", Option: "color"}}, c.Ignored)
	v, ok := c.Source("ml2go_plugin:acme", "call_timeout")
	require.True(t, ok)
	assert.Equal(t, "override.ini", v.File)
	v, ok = c.Source("ml2go", "plugin_dir")
	require.True(t, ok)
	assert.Equal(t, 6, v.Line)

	// Without any: no plugins, no directory.
	c, err = decode(file{"t.conf", "[ml2]\nmechanism_drivers = logger\n"})
	require.NoError(t, err)
	assert.Empty(t, c.Plugins)
	assert.Empty(t, c.ML2go.PluginDir)
}

func TestDecodePluginArgs(t *testing.T) {
	for text, want := range map[string][]string{
		"":                     nil,
		"-v":                   {"-v"},
		"  -a\t-b  ":           {"-a", "-b"},
		`--name='a b' "c d"e`:  {"--name=a b", "c de"},
		`--empty "" x`:         {"--empty", "", "x"},
		`x 'it"s'`:             {"x", `it"s`},
		"--x=1,2 --y \"a\\b\"": {"--x=1,2", "--y", `a\b`},
		"-a\n  -b\n  'c\n  d'": {"-a", "-b", "c\nd"},
	} {
		c, err := decode(file{"t.conf", "[ml2go_plugin:acme]\ncommand = x\nargs = " + text + "\n"})
		require.NoError(t, err, text)
		assert.Equal(t, want, c.Plugins["acme"].Args, text)
	}
}

func TestDecodePluginErrors(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		line    int
		section string
		option  string
		value   string
		msg     string
	}{
		{"call_timeout_zero", "[ml2go_plugin:acme]\ncall_timeout = 0\n", 2, "ml2go_plugin:acme", "call_timeout", "0", "0 is less than 1"},
		{"call_timeout_word", "[ml2go_plugin:acme]\ncommand = /x\ncall_timeout = soon\n", 3, "ml2go_plugin:acme", "call_timeout", "soon", "not an integer"},
		{"call_timeout_fraction", "[ml2go_plugin:acme]\ncall_timeout = 1.5\n", 2, "ml2go_plugin:acme", "call_timeout", "1.5", "not an integer"},
		{"args_quote", "[ml2go_plugin:acme]\nargs = --name 'acme\n", 2, "ml2go_plugin:acme", "args", "--name 'acme", "unterminated ' quote"},
		{"no_name", "[ml2go_plugin:]\ncommand = /x\n", 2, "ml2go_plugin:", "", "", "no driver name after ml2go_plugin: in the section name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(file{"t.conf", tt.text})
			var e *config.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "t.conf", e.File)
			assert.Equal(t, tt.line, e.Line)
			assert.Equal(t, tt.section, e.Section)
			assert.Equal(t, tt.option, e.Option)
			assert.Equal(t, tt.value, e.Value)
			assert.True(t, strings.HasSuffix(err.Error(), " "+tt.msg), "message %q does not end with %q", err.Error(), tt.msg)
		})
	}
	_, err := decode(file{"ml2_conf.ini", "[ml2go_plugin:acme]\ncall_timeout = -1\n"})
	assert.EqualError(t, err, `ml2_conf.ini:2: [ml2go_plugin:acme] call_timeout: "-1": -1 is less than 1`)
}

// executable writes an empty executable file at dir/name.
func executable(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755))
	return path
}

func TestMechanismDriverPlugin(t *testing.T) {
	dir := t.TempDir()
	acme := executable(t, dir, config.PluginFile("acme"))
	assert.Equal(t, "ml2go-driver-acme", config.PluginFile("acme"))

	c, err := decode(file{"ml2_conf.ini", `
[ml2]
mechanism_drivers = acme,vendor,tuned,Cased,ghost

[ml2go]
plugin_dir = ` + dir + `

[ml2go_plugin:vendor]
command = /opt/vendor/driver
args = -v

[ml2go_plugin:tuned]
call_timeout = 3

[ml2go_plugin:cased]
command = cased-driver

[ml2go_plugin:ghost]
args = --ghost
`})
	require.NoError(t, err)

	// Found in plugin_dir.
	p, err := c.MechanismDriverPlugin("acme")
	require.NoError(t, err)
	assert.Equal(t, config.PluginOptions{Command: acme}, p)

	// A section with a command: plugin_dir is not looked at.
	p, err = c.MechanismDriverPlugin("vendor")
	require.NoError(t, err)
	assert.Equal(t, config.PluginOptions{Command: "/opt/vendor/driver", Args: []string{"-v"}}, p)

	// A section without a command takes the file of plugin_dir, present
	// or not (a missing binary is the supervisor's to report).
	tuned := executable(t, dir, config.PluginFile("tuned"))
	p, err = c.MechanismDriverPlugin("tuned")
	require.NoError(t, err)
	assert.Equal(t, config.PluginOptions{Command: tuned, CallTimeout: 3 * time.Second}, p)
	p, err = c.MechanismDriverPlugin("ghost")
	require.NoError(t, err)
	assert.Equal(t, config.PluginOptions{Command: filepath.Join(dir, "ml2go-driver-ghost"), Args: []string{"--ghost"}}, p)

	// Section names are case-insensitive; driver names are not.
	p, err = c.MechanismDriverPlugin("Cased")
	require.NoError(t, err)
	assert.Equal(t, "cased-driver", p.Command)

	// A copy: changing it does not change the configuration.
	p, _ = c.MechanismDriverPlugin("vendor")
	p.Args[0] = "changed"
	p, _ = c.MechanismDriverPlugin("vendor")
	assert.Equal(t, []string{"-v"}, p.Args)
}

func TestMechanismDriverPluginErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		text    string
		driver  string
		unknown bool // wraps ErrUnknownMechanismDriver
		msg     string
	}{
		{"no_section_no_dir", "[ml2]\nmechanism_drivers = fakeagent,acme\n", "acme", true,
			`ml2_conf.ini:2: [ml2] mechanism_drivers: "acme": unknown mechanism driver: not built in, no [ml2go_plugin:acme] section, and [ml2go] plugin_dir is not set`},
		{"not_in_dir", "[ml2]\nmechanism_drivers = acme\n[ml2go]\nplugin_dir = " + dir + "\n", "acme", true,
			`ml2_conf.ini:2: [ml2] mechanism_drivers: "acme": unknown mechanism driver: not built in, no [ml2go_plugin:acme] section, and no ml2go-driver-acme in [ml2go] plugin_dir ` + dir},
		{"slash", "[ml2]\nmechanism_drivers = ../../bin/sh\n[ml2go]\nplugin_dir = " + dir + "\n", "../../bin/sh", true,
			`ml2_conf.ini:2: [ml2] mechanism_drivers: "../../bin/sh": unknown mechanism driver: not built in, and not a name to look up in [ml2go] plugin_dir`},
		{"no_command", "[ml2]\nmechanism_drivers = acme\n[ml2go_plugin:acme]\ncall_timeout = 3\n", "acme", false,
			`ml2_conf.ini: [ml2go_plugin:acme] command: "": not set, and [ml2go] plugin_dir is not set either`},
		{"default_drivers", "", "acme", true,
			`[ml2] mechanism_drivers: "acme" (default): unknown mechanism driver: not built in, no [ml2go_plugin:acme] section, and [ml2go] plugin_dir is not set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode(file{"ml2_conf.ini", tt.text})
			require.NoError(t, err)
			_, err = c.MechanismDriverPlugin(tt.driver)
			var e *config.Error
			require.ErrorAs(t, err, &e)
			assert.EqualError(t, err, tt.msg)
			assert.Equal(t, tt.unknown, errors.Is(err, config.ErrUnknownMechanismDriver))
		})
	}

	// A plugin_dir that cannot be searched.
	c, err := decode(file{"ml2_conf.ini", "[ml2go]\nplugin_dir = " + executable(t, dir, "not-a-dir") + "\n"})
	require.NoError(t, err)
	_, err = c.MechanismDriverPlugin("acme")
	var e *config.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "ml2go", e.Section)
	assert.Equal(t, "plugin_dir", e.Option)
	assert.Equal(t, 2, e.Line)
	assert.Contains(t, err.Error(), "not a directory")
}

func TestPluginError(t *testing.T) {
	c, err := decode(file{"a.ini", "[ml2go_plugin:logger]\ncommand = /x\n"}, file{"b.ini", "[ml2go_plugin:logger]\nargs = -v\n"})
	require.NoError(t, err)
	assert.EqualError(t, c.PluginError("logger", assert.AnError), "b.ini: [ml2go_plugin:logger] "+assert.AnError.Error())
}

// TestTypeAndExtensionDriverPlugins: type and extension drivers are found
// as mechanism drivers are, in the same sections and plugin_dir; an
// unknown name is an error about its own option.
func TestTypeAndExtensionDriverPlugins(t *testing.T) {
	dir := t.TempDir()
	acme := executable(t, dir, config.PluginFile("acme"))
	c, err := decode(file{"ml2_conf.ini", `
[ml2]
type_drivers = vxlan,acme,fabric
tenant_network_types = vxlan
extension_drivers = acme,colors,ghost

[ml2go]
plugin_dir = ` + dir + `

[ml2go_plugin:fabric]
command = /opt/fabric/driver

[ml2go_plugin:colors]
command = /opt/colors/driver
args = -v
`})
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		lookup func(string) (config.PluginOptions, error)
		driver string
		want   config.PluginOptions
	}{
		{"type_in_dir", c.TypeDriverPlugin, "acme", config.PluginOptions{Command: acme}},
		{"type_section", c.TypeDriverPlugin, "fabric", config.PluginOptions{Command: "/opt/fabric/driver"}},
		{"extension_in_dir", c.ExtensionDriverPlugin, "acme", config.PluginOptions{Command: acme}},
		{"extension_section", c.ExtensionDriverPlugin, "colors", config.PluginOptions{Command: "/opt/colors/driver", Args: []string{"-v"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.lookup(tc.driver)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p)
		})
	}
	assert.True(t, c.HasPluginSection("Fabric"))
	assert.False(t, c.HasPluginSection("acme"))

	for _, tc := range []struct {
		name    string
		lookup  func(string) (config.PluginOptions, error)
		unknown error
		msg     string
	}{
		{"type", c.TypeDriverPlugin, config.ErrUnknownTypeDriver,
			`ml2_conf.ini:3: [ml2] type_drivers: "ghost": unknown type driver: not built in, no [ml2go_plugin:ghost] section, and no ml2go-driver-ghost in [ml2go] plugin_dir ` + dir},
		{"extension", c.ExtensionDriverPlugin, config.ErrUnknownExtensionDriver,
			`ml2_conf.ini:5: [ml2] extension_drivers: "ghost": unknown extension driver: not built in, no [ml2go_plugin:ghost] section, and no ml2go-driver-ghost in [ml2go] plugin_dir ` + dir},
	} {
		t.Run("unknown_"+tc.name, func(t *testing.T) {
			_, err := tc.lookup("ghost")
			assert.EqualError(t, err, tc.msg)
			assert.ErrorIs(t, err, tc.unknown)
			assert.NotErrorIs(t, err, config.ErrUnknownMechanismDriver)
		})
	}
}

func TestBuiltinTypeDriver(t *testing.T) {
	c := config.Default()
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"vxlan", true}, {"local", true}, {"acme", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, ok := c.BuiltinTypeDriver(tc.name, nil)
			assert.Equal(t, tc.ok, ok)
			if ok {
				assert.Equal(t, tc.name, d.Type())
			}
		})
	}
}
