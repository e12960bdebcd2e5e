package ovs

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	goovs "github.com/digitalocean/go-openvswitch/ovs"
)

// FlowCookie is the OpenFlow cookie of every flow this dataplane installs
// ("ml2go" in ASCII). It is fixed, not per process as in Neutron, so that a
// restarted agent recognises its flows as its own and leaves them alone.
const FlowCookie uint64 = 0x6d6c32676f

// flowEntry is a flow in canonical form: both the flows Apply wants and
// the ones ovs-ofctl dumps go through go-openvswitch's marshalling, so two
// flows OVS would treat as the same compare equal as strings.
type flowEntry struct {
	table    int
	priority int
	// match is the sorted, comma-joined match fields (protocol and in_port
	// included); "" matches everything.
	match   string
	actions string
	cookie  uint64
}

// flowKey identifies a flow within a bridge, as OpenFlow does for strict
// modifications: table, priority and match.
type flowKey struct {
	table    int
	priority int
	match    string
}

func (f flowEntry) key() flowKey { return flowKey{f.table, f.priority, f.match} }

func (f flowEntry) String() string {
	return fmt.Sprintf("table=%d,priority=%d%s,cookie=%#x,actions=%s", f.table, f.priority, prefixComma(f.match), f.cookie, f.actions)
}

// prefixComma returns "," + s, or "" for an empty s.
func prefixComma(s string) string {
	if s == "" {
		return ""
	}
	return "," + s
}

// addLine is the ovs-ofctl bundle line that installs f, replacing any flow
// with the same key.
func (f flowEntry) addLine() string {
	return fmt.Sprintf("add table=%d,priority=%d,cookie=%#x%s,actions=%s", f.table, f.priority, f.cookie, prefixComma(f.match), f.actions)
}

// deleteLine is the ovs-ofctl bundle line that removes exactly f.
func (f flowEntry) deleteLine() string {
	return fmt.Sprintf("delete_strict table=%d,priority=%d%s", f.table, f.priority, prefixComma(f.match))
}

// canonicalFlow renders a go-openvswitch flow in canonical form.
func canonicalFlow(f *goovs.Flow) (flowEntry, error) {
	fields := make([]string, 0, len(f.Matches)+2)
	if f.Protocol != "" {
		fields = append(fields, string(f.Protocol))
	}
	switch {
	case f.InPort == goovs.PortLOCAL:
		fields = append(fields, "in_port=LOCAL")
	case f.InPort != 0:
		fields = append(fields, "in_port="+strconv.Itoa(f.InPort))
	}
	for _, m := range f.Matches {
		b, err := m.MarshalText()
		if err != nil {
			return flowEntry{}, fmt.Errorf("flow match %#v: %w", m, err)
		}
		fields = append(fields, string(b))
	}
	slices.Sort(fields)
	actions := make([]string, 0, len(f.Actions))
	for _, a := range f.Actions {
		b, err := a.MarshalText()
		if err != nil {
			return flowEntry{}, fmt.Errorf("flow action %#v: %w", a, err)
		}
		actions = append(actions, string(b))
	}
	if len(actions) == 0 {
		return flowEntry{}, fmt.Errorf("flow in table %d has no actions", f.Table)
	}
	return flowEntry{
		table:    f.Table,
		priority: f.Priority,
		match:    strings.Join(fields, ","),
		actions:  strings.Join(actions, ","),
		cookie:   f.Cookie,
	}, nil
}

// statFields are the fields of a dumped flow that are not part of its
// match.
var statFields = map[string]bool{
	"cookie": true, "duration": true, "table": true, "priority": true,
	"n_packets": true, "n_bytes": true, "idle_age": true, "hard_age": true,
	"idle_timeout": true, "hard_timeout": true, "importance": true,
	"reset_counts": true, "send_flow_rem": true, "check_overlap": true,
	"no_packet_counts": true, "no_byte_counts": true,
}

// parseDumpLine parses one flow line of "ovs-ofctl --no-stats dump-flows".
// Flows go-openvswitch understands are canonicalised; others (flows this
// agent did not write) keep OVS's text so they can still be deleted.
func parseDumpLine(line string) (flowEntry, bool) {
	line = strings.TrimSpace(line)
	head, actions, ok := strings.Cut(line, " actions=")
	if !ok {
		if head, actions, ok = strings.Cut(line, ",actions="); !ok {
			return flowEntry{}, false
		}
	}
	var f goovs.Flow
	if err := f.UnmarshalText([]byte(line)); err == nil {
		if e, err := canonicalFlow(&f); err == nil {
			// go-openvswitch reads a missing priority as 0; OVS's default
			// is 32768 and it omits that from dumps.
			if !strings.Contains(head, "priority=") {
				e.priority = 32768
			}
			return e, true
		}
	}
	e := flowEntry{priority: 32768, actions: actions}
	var match []string
	for _, tok := range strings.Split(head, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		k, v, _ := strings.Cut(tok, "=")
		switch {
		case k == "cookie":
			e.cookie, _ = strconv.ParseUint(v, 0, 64)
		case k == "table":
			e.table, _ = strconv.Atoi(v)
		case k == "priority":
			e.priority, _ = strconv.Atoi(v)
		case statFields[k]:
		default:
			match = append(match, tok)
		}
	}
	slices.Sort(match)
	e.match = strings.Join(match, ",")
	return e, true
}

// dumpFlows returns the flows of bridge br; with ownOnly, only those with
// FlowCookie. A whole table is read line by line, so that a flow
// go-openvswitch cannot parse (one the agent did not write) can still be
// deleted; the agent's own flows always parse, and go through
// go-openvswitch's dump.
func (r *runner) dumpFlows(br string, ownOnly bool) ([]flowEntry, error) {
	if ownOnly {
		return r.dumpOwnFlows(br)
	}
	out, err := r.ofctl(nil, "--no-stats", "--no-names", "dump-flows", br)
	if err != nil {
		return nil, fmt.Errorf("dump flows of %s: %w", br, err)
	}
	var flows []flowEntry
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "_FLOW reply") {
			continue
		}
		if f, ok := parseDumpLine(line); ok {
			flows = append(flows, f)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dump flows of %s: %w", br, err)
	}
	return flows, nil
}

// dumpOwnFlows returns the flows of bridge br that carry FlowCookie.
func (r *runner) dumpOwnFlows(br string) ([]flowEntry, error) {
	dumped, err := r.client.OpenFlow.DumpFlowsWithFlowArgs(br, &goovs.MatchFlow{
		Table: goovs.AnyTable, Cookie: FlowCookie, CookieMask: ^uint64(0),
	})
	if err != nil {
		return nil, fmt.Errorf("dump flows of %s: %w", br, err)
	}
	flows := make([]flowEntry, 0, len(dumped))
	for _, f := range dumped {
		e, err := canonicalFlow(f)
		if err != nil {
			return nil, fmt.Errorf("dump flows of %s: %w", br, err)
		}
		flows = append(flows, e)
	}
	return flows, nil
}

// diffFlows returns the bundle lines that turn actual into want: flows
// missing or different are (re)added, flows with no wanted counterpart
// are deleted when owned says they belong to the agent. A flow already
// right is never touched, so a converged bridge gets no line at all.
func diffFlows(want, actual []flowEntry, owned func(flowEntry) bool) []string {
	// Two wanted flows with one key (conflicting input, such as two
	// networks with one segment) cannot both exist: the first wins.
	byKey := make(map[flowKey]flowEntry, len(want))
	for _, f := range want {
		if _, dup := byKey[f.key()]; !dup {
			byKey[f.key()] = f
		}
	}
	var dels, adds []string
	seen := make(map[flowKey]bool, len(actual))
	for _, a := range actual {
		k := a.key()
		w, wanted := byKey[k]
		switch {
		case wanted:
			seen[k] = true
			if w.actions != a.actions || w.cookie != a.cookie {
				adds = append(adds, w.addLine())
			}
		case owned(a):
			dels = append(dels, a.deleteLine())
		}
	}
	for _, w := range want {
		if k := w.key(); !seen[k] {
			adds = append(adds, byKey[k].addLine())
			seen[k] = true
		}
	}
	slices.Sort(dels)
	slices.Sort(adds)
	return append(dels, adds...)
}

// bundle applies lines to bridge br atomically (an OpenFlow 1.4 bundle).
func (r *runner) bundle(br string, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	in := strings.NewReader(strings.Join(lines, "\n") + "\n")
	if _, err := r.ofctl(in, "--bundle", "add-flows", br, "-"); err != nil {
		return fmt.Errorf("program flows of %s: %w", br, err)
	}
	return nil
}

// flowSet builds the wanted flows of one bridge.
type flowSet struct {
	flows []flowEntry
	err   error
}

// add canonicalises f (with FlowCookie) and keeps it; the first error
// sticks.
func (s *flowSet) add(f *goovs.Flow) {
	if s.err != nil {
		return
	}
	f.Cookie = FlowCookie
	e, err := canonicalFlow(f)
	if err != nil {
		s.err = err
		return
	}
	s.flows = append(s.flows, e)
}
