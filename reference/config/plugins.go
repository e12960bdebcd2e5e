package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// PluginSectionPrefix starts the name of the section of an out-of-process
// driver: [ml2go_plugin:NAME]. NAME is the driver's name in [ml2]
// mechanism_drivers, extension_drivers or type_drivers (where it is the
// network type); like every section name it is matched without regard to
// case. One section serves every list that names the driver: one binary
// may serve several kinds of driver.
const PluginSectionPrefix = "ml2go_plugin:"

// PluginFilePrefix starts the name of a driver's binary in [ml2go]
// plugin_dir: the driver acme is ml2go-driver-acme. The prefix keeps the
// directory's other files from being taken for drivers, and says what the
// binary is wherever it is installed.
const PluginFilePrefix = "ml2go-driver-"

// sectionML2go is ml2go's own section.
const sectionML2go = "ml2go"

// ErrUnknownMechanismDriver is wrapped by the *Error of a mechanism driver
// that is neither built in nor found as a plugin.
var ErrUnknownMechanismDriver = errors.New("unknown mechanism driver")

// ErrUnknownTypeDriver and ErrUnknownExtensionDriver are its type-driver
// and extension-driver counterparts.
var (
	ErrUnknownTypeDriver      = errors.New("unknown type driver")
	ErrUnknownExtensionDriver = errors.New("unknown extension driver")
)

// ML2goOptions is the [ml2go] section: options of ml2go's own, which
// Neutron does not have.
type ML2goOptions struct {
	// PluginDir is plugin_dir, the directory of out-of-process drivers'
	// binaries (see PluginFile); "" means none. A relative path is
	// relative to the server's working directory.
	PluginDir string
	// AllowNoauthOnPublicAddress is allow_noauth_on_public_address:
	// whether auth_strategy = noauth, where every caller is an admin, may
	// listen on an address other than loopback. Default false: such a
	// configuration does not start.
	AllowNoauthOnPublicAddress bool
	// ReadTimeout is read_timeout (seconds in the file), how long reading
	// a request, body included, may take. Default DefaultReadTimeout.
	ReadTimeout time.Duration
	// WriteTimeout is write_timeout (seconds in the file), how long
	// serving a request may take once its headers are read. Default
	// DefaultWriteTimeout.
	WriteTimeout time.Duration
	// MaxConnections is max_connections, the most connections served at
	// once; more wait to be accepted, and idle ones are closed to make
	// room. Default DefaultMaxConnections.
	MaxConnections int
}

// PluginOptions says how to run an out-of-process driver: the options of
// its [ml2go_plugin:NAME] section, or those plugin_dir implies.
type PluginOptions struct {
	// Command is command, the driver's binary: a path, or a name looked
	// up in PATH when it has no slash. "" in a section means the
	// driver's file in plugin_dir.
	Command string
	// Args is args, the binary's arguments, split at spaces and line
	// breaks as a shell would, without escapes or expansions: '...' or
	// "..." keep spaces inside an argument. (As with every option, a
	// value wholly between matching quotes loses them before it is
	// split.) Default none.
	Args []string
	// CallTimeout is call_timeout (seconds in the file, at least 1): how
	// long a call to the driver may take when the request has no
	// deadline of its own. 0 means the host's default (10s).
	CallTimeout time.Duration
}

// PluginFile returns the name of the binary of the driver called name in
// plugin_dir.
func PluginFile(name string) string { return PluginFilePrefix + name }

// decodePluginOption stores v, an option of a [ml2go_plugin:NAME]
// section, in c.Plugins; it reports false for an option ml2go does not
// know, which still makes the section exist.
func decodePluginOption(c *Config, v Value) (bool, error) {
	name := strings.TrimPrefix(v.Section, PluginSectionPrefix)
	if name == "" {
		return true, &Error{File: v.File, Line: v.Line, Section: v.Section,
			Err: errors.New("no driver name after " + PluginSectionPrefix + " in the section name")}
	}
	if c.Plugins == nil {
		c.Plugins = map[string]PluginOptions{}
	}
	if c.pluginSources == nil {
		c.pluginSources = map[string]Value{}
	}
	c.pluginSources[v.Section] = v
	p := c.Plugins[name]
	known := true
	switch v.Option {
	case "command":
		p.Command = v.Value
	case "args":
		args, err := splitArgs(v.Value)
		if err != nil {
			return true, err
		}
		p.Args = args
	case "call_timeout":
		p.CallTimeout = 0
		if v.Value != "" {
			n, err := parseInt(v.Value, 1, maxInt)
			if err != nil {
				return true, err
			}
			p.CallTimeout = time.Duration(n) * time.Second
		}
	default:
		known = false
	}
	c.Plugins[name] = p
	if known {
		c.sources[key{v.Section, v.Option}] = v
	}
	return known, nil
}

// splitArgs splits s at spaces, tabs and line breaks; single or double
// quotes keep them inside an argument and are removed. There are no
// escapes and no expansions.
func splitArgs(s string) ([]string, error) {
	var (
		out   []string
		arg   strings.Builder
		inArg bool
		quote rune
	)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				arg.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inArg = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inArg {
				out = append(out, arg.String())
				arg.Reset()
				inArg = false
			}
		default:
			arg.WriteRune(r)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if inArg {
		out = append(out, arg.String())
	}
	return out, nil
}

// MechanismDriverPlugin returns how to run the mechanism driver called
// name out of process. The caller asks for the names of
// [ml2] mechanism_drivers that are not built in. The driver is
//
//   - the one its [ml2go_plugin:NAME] section describes, if the files have
//     one; a section without command runs the driver's file in plugin_dir,
//     and without plugin_dir either it is a *Error about the section;
//   - else, if [ml2go] plugin_dir is set and holds an entry named
//     PluginFile(name), that file.
//
// Whether the command exists and starts is not checked: that is the
// business of the driver's supervisor. A name that is neither is a *Error
// about the item of [ml2] mechanism_drivers, wrapping
// ErrUnknownMechanismDriver; so is a name with a path separator that would
// be looked up in plugin_dir. A plugin_dir that cannot be searched is a
// *Error about plugin_dir.
func (c *Config) MechanismDriverPlugin(name string) (PluginOptions, error) {
	return c.driverPlugin("mechanism_drivers", ErrUnknownMechanismDriver, name)
}

// TypeDriverPlugin is MechanismDriverPlugin for the type driver of network
// type name, a name of [ml2] type_drivers: an unknown name is a *Error
// about that option wrapping ErrUnknownTypeDriver.
func (c *Config) TypeDriverPlugin(name string) (PluginOptions, error) {
	return c.driverPlugin("type_drivers", ErrUnknownTypeDriver, name)
}

// ExtensionDriverPlugin is MechanismDriverPlugin for the extension driver
// called name, a name of [ml2] extension_drivers: an unknown name is a
// *Error about that option wrapping ErrUnknownExtensionDriver.
func (c *Config) ExtensionDriverPlugin(name string) (PluginOptions, error) {
	return c.driverPlugin("extension_drivers", ErrUnknownExtensionDriver, name)
}

// HasPluginSection reports whether the files have a [ml2go_plugin:NAME]
// section for the driver called name.
func (c *Config) HasPluginSection(name string) bool {
	_, ok := c.Plugins[strings.ToLower(name)]
	return ok
}

// driverPlugin finds the out-of-process driver called name of [ml2]
// option; an unknown name is a *Error about option wrapping unknownErr.
func (c *Config) driverPlugin(option string, unknownErr error, name string) (PluginOptions, error) {
	dir := c.ML2go.PluginDir
	p, ok := c.Plugins[strings.ToLower(name)]
	if ok {
		p.Args = append([]string(nil), p.Args...)
		if p.Command != "" {
			return p, nil
		}
		if dir == "" {
			e := c.PluginError(name, errors.New("not set, and [ml2go] plugin_dir is not set either"))
			e.Option = "command"
			return PluginOptions{}, e
		}
	}
	unknown := func(format string, args ...any) error {
		v := c.source(sectionML2, option, "")
		return itemError(v, name, fmt.Errorf("%w: "+format, append([]any{unknownErr}, args...)...))
	}
	if dir == "" {
		return PluginOptions{}, unknown("not built in, no [%s%s] section, and [ml2go] plugin_dir is not set", PluginSectionPrefix, strings.ToLower(name))
	}
	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) || strings.ContainsRune(name, 0) {
		return PluginOptions{}, unknown("not built in, and not a name to look up in [ml2go] plugin_dir")
	}
	path := filepath.Join(dir, PluginFile(name))
	if _, err := os.Lstat(path); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return PluginOptions{}, valueError(c.source(sectionML2go, "plugin_dir", ""), err)
		}
		if ok {
			// The section says the driver is a plugin: a missing file is
			// the supervisor's to report, and perhaps installed later.
			p.Command = path
			return p, nil
		}
		return PluginOptions{}, unknown("not built in, no [%s%s] section, and no %s in [ml2go] plugin_dir %s",
			PluginSectionPrefix, strings.ToLower(name), PluginFile(name), dir)
	}
	p.Command = path
	return p, nil
}

// PluginError returns a *Error about the [ml2go_plugin:NAME] section of
// the driver called name, wrong because of err. It names the
// file of the section's option read last, without a line: the error is
// about the section, not one of its lines.
func (c *Config) PluginError(name string, err error) *Error {
	section := PluginSectionPrefix + strings.ToLower(name)
	return &Error{File: c.pluginSources[section].File, Section: section, Err: err}
}
