#!/usr/bin/env bash
# Starts Open vSwitch (ovsdb-server and ovs-vswitchd) without systemd, as
# the tests of reference/agent/ovs need it: run as root, on a fresh machine
# or one where OVS already runs (then it does nothing). It installs
# Debian's openvswitch-switch first when ovs-vsctl is missing. Only the
# userspace datapath (datapath_type=netdev) works in this kernel; the
# tests use nothing else.
set -euo pipefail

ovs_answers() {
  command -v ovs-vsctl >/dev/null 2>&1 && ovs-vsctl --timeout=5 show >/dev/null 2>&1
}

if ovs_answers; then
  exit 0
fi

if ! command -v ovs-vsctl >/dev/null 2>&1; then
  apt-get update -qq
  # The package's own service start is refused (no systemd); ovs-ctl
  # below starts the daemons.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openvswitch-switch >/dev/null
fi

# ovs-ctl creates /etc/openvswitch/conf.db when missing, starts
# ovsdb-server and ovs-vswitchd detached (with a monitor process each),
# and skips the kernel module where modules cannot be loaded. A failing
# "ulimit" line it prints in containers is harmless.
/usr/share/openvswitch/scripts/ovs-ctl start --system-id=random

for _ in $(seq 60); do
  if ovs_answers; then
    exit 0
  fi
  sleep 0.5
done
echo "start-ovs.sh: Open vSwitch did not come up" >&2
exit 1
