package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// event is one line of go test -json (cmd/test2json's TestEvent, and the
// build events of the go command).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

// testKey names one test of one package.
type testKey struct{ pkg, test string }

// skip is a reason for skipping and the tests that gave it.
type skip struct {
	reason string
	tests  []string
}

// Report turns go test -json's events into go test's plain output and
// collects the skipped tests.
type Report struct {
	w io.Writer
	// out holds the output of each running test until it ends.
	out map[testKey][]string
	// order lists the running tests in the order they started.
	order []testKey
	// held is the last package summary line, printed after the list of
	// skipped tests when it is go test's last line.
	held string
	// failed is set when a package failed.
	failed bool
	pkgs   []string
	skips  map[string][]*skip
	nskip  int
}

// NewReport returns a Report writing to w.
func NewReport(w io.Writer) *Report {
	return &Report{w: w, out: map[testKey][]string{}, skips: map[string][]*skip{}}
}

// Read reads go test -json's output until its end; lines that are not
// events are printed as they are.
func (r *Report) Read(in io.Reader) error {
	br := bufio.NewReader(in)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			r.line(line)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (r *Report) line(line []byte) {
	var e event
	if !bytes.HasPrefix(line, []byte("{")) || json.Unmarshal(line, &e) != nil {
		r.print(string(line))
		return
	}
	r.Event(e)
}

// Event handles one event.
func (r *Report) Event(e event) {
	k := testKey{e.Package, e.Test}
	switch {
	case e.Action == "build-output":
		r.print(e.Output)
	case e.Test == "" && e.Action == "output":
		if e.Output == "FAIL\n" || strings.HasPrefix(e.Output, "FAIL\t") {
			r.unfinished(e.Package)
		}
		r.packageOutput(e.Output)
	case e.Test == "" && (e.Action == "pass" || e.Action == "fail"):
		if e.Action == "fail" {
			r.failed = true
			r.unfinished(e.Package)
		}
		r.forget(func(o testKey) bool { return o.pkg == e.Package })
	case e.Test == "":
	case e.Action == "run":
		r.out[k] = nil
		r.order = append(r.order, k)
	case e.Action == "output":
		if !framing(e.Output) {
			r.out[k] = append(r.out[k], e.Output)
		}
	case e.Action == "fail":
		r.printLines(r.out[k])
		r.forget(func(o testKey) bool { return o == k })
	case e.Action == "skip":
		r.addSkip(e.Package, e.Test, reason(r.out[k]))
		r.forget(func(o testKey) bool { return o == k })
	case e.Action == "pass":
		r.forget(func(o testKey) bool { return o == k })
	}
}

// unfinished prints what the tests of pkg that are still running printed:
// when their package fails they died with it (a panic, a timeout).
func (r *Report) unfinished(pkg string) {
	for _, o := range r.order {
		if o.pkg == pkg {
			r.printLines(r.out[o])
		}
	}
	r.forget(func(o testKey) bool { return o.pkg == pkg })
}

// framing tells the lines go test -v adds around tests, which go test
// without -v does not print.
func framing(s string) bool {
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// packageOutput prints a package's own output but its "PASS" line, as go
// test without -v does, and holds its summary line.
func (r *Report) packageOutput(s string) {
	if s == "PASS\n" {
		return
	}
	r.print(s)
}

// print writes s after the held summary line, which s follows, and holds
// s instead if it is a package's summary line.
func (r *Report) print(s string) {
	if r.held != "" {
		fmt.Fprint(r.w, r.held)
		r.held = ""
	}
	if isSummary(s) {
		r.held = s
		return
	}
	fmt.Fprint(r.w, s)
}

// isSummary tells a package's summary line.
func isSummary(s string) bool {
	for _, p := range []string{"ok  \t", "FAIL\t", "?   \t"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (r *Report) printLines(lines []string) {
	for _, l := range lines {
		r.print(l)
	}
}

func (r *Report) forget(drop func(testKey) bool) {
	r.order = slices.DeleteFunc(r.order, func(o testKey) bool {
		if drop(o) {
			delete(r.out, o)
			return true
		}
		return false
	})
}

// reason returns the last message a skipped test logged (t.Skip's), with
// its file:line, on one line.
func reason(lines []string) string {
	var msg []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "--- SKIP"):
		case strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "     "):
			msg = []string{strings.TrimSpace(l)} // a new message
		case len(msg) > 0 && strings.TrimSpace(l) != "":
			msg = append(msg, strings.TrimSpace(l)) // its next line
		}
	}
	if len(msg) == 0 {
		return "(no reason given)"
	}
	return strings.Join(msg, " ")
}

func (r *Report) addSkip(pkg, test, why string) {
	r.nskip++
	list, ok := r.skips[pkg]
	if !ok {
		r.pkgs = append(r.pkgs, pkg)
	}
	for _, s := range list {
		if s.reason == why {
			s.tests = append(s.tests, test)
			return
		}
	}
	r.skips[pkg] = append(list, &skip{reason: why, tests: []string{test}})
}

// maxNames is how many tests of one reason the list names.
const maxNames = 8

// Finish prints the skipped tests, then go test's last line: the held
// summary line, or "FAIL" when a package failed.
func (r *Report) Finish() {
	if r.failed && r.held != "" {
		fmt.Fprint(r.w, r.held)
		r.held = ""
	}
	if r.nskip > 0 {
		fmt.Fprintf(r.w, "\nSKIPPED: %d %s in %d %s\n", r.nskip, plural(r.nskip, "test"), len(r.pkgs), plural(len(r.pkgs), "package"))
		for _, pkg := range r.pkgs {
			fmt.Fprintf(r.w, "%s\n", pkg)
			for _, s := range r.skips[pkg] {
				names := s.tests
				more := ""
				if len(names) > maxNames {
					more = fmt.Sprintf(" and %d more", len(names)-maxNames)
					names = names[:maxNames]
				}
				fmt.Fprintf(r.w, "    %s\n        %s%s\n", s.reason, strings.Join(names, ", "), more)
			}
		}
		fmt.Fprintln(r.w)
	}
	if r.held != "" {
		fmt.Fprint(r.w, r.held)
		r.held = ""
	}
	if r.failed {
		fmt.Fprintln(r.w, "FAIL")
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
