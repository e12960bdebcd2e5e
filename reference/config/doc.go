// Package config reads the reference server's configuration from the INI
// files Neutron is configured with, such as neutron.conf and ml2_conf.ini,
// so that an operator can point ml2go-server at the files they have.
//
// Load reads files in order, later files overriding earlier ones option by
// option, as Neutron's repeated --config-file does, and returns a typed
// Config. Values and ReadFiles are the oslo.config-compatible reader
// underneath: sections, '#' and ';' comments, "name = value" and
// "name: value", and indented continuation lines.
//
// # Defaults
//
// Options the files do not set have Neutron's defaults (NeutronDefaults):
// [ml2] type_drivers local,flat,vlan,gre,vxlan,geneve, tenant_network_types
// local, no mechanism or extension drivers, no VLAN, VNI or tunnel ranges.
// So a file holding only bind_port gives a server that creates local
// networks. One default differs: auth_strategy is noauth (Neutron:
// keystone), and bind_host, when not set, is then 127.0.0.1 rather than
// 0.0.0.0.
//
// Without files at all the server is meant to be useful at once (Default):
// every built-in type driver, vxlan tenant networks. [database]
// connection, when not set, is a SQLite file in a data directory the
// caller chooses (see Config.DatabaseDSN).
//
// # What is read, what is ignored, what is an error
//
// Config lists the options ml2go reads. Any other option or section in the
// files is not an error: it is listed in Config.Ignored, so that the
// server can say once that it ignores it. A bad value is an error, a
// *Error naming the file, line, section and option, for example
//
//	ml2_conf.ini:12: [ml2_type_vlan] network_vlan_ranges: "physnet1:200:100": end of VLAN range is less than start of VLAN range
//
// Ranges are parsed with the type drivers' own parsers, so the rules are
// those of the drivers. Config.TypeDrivers and Config.ML2 turn a Config
// into the type drivers and the ML2 plugin configuration of package core.
//
// # Out-of-process drivers
//
// A name in [ml2] mechanism_drivers, type_drivers or extension_drivers
// that is not a built-in driver names a driver that runs in its own
// process (package plugins/host). ml2go's own
// sections say how to run it: a section of its own,
//
//	[ml2go_plugin:acme]
//	command = /opt/acme/bin/acme-ml2-driver
//	args = --config /etc/acme/driver.conf
//	call_timeout = 30
//
// or, without one, the plugin directory,
//
//	[ml2go]
//	plugin_dir = /usr/lib/ml2go/plugins
//
// which then holds the driver's binary as ml2go-driver-acme (PluginFile).
// A section without command takes its command from plugin_dir, so that a
// driver found there can still be given args or a call_timeout. One
// section serves every list that names the driver. See PluginOptions,
// Config.MechanismDriverPlugin, Config.TypeDriverPlugin and
// Config.ExtensionDriverPlugin.
package config
