package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ev is one line of go test -json.
func ev(action, pkg, test, output string) string {
	b, _ := json.Marshal(event{Action: action, Package: pkg, Test: test, Output: output})
	return string(b) + "\n"
}

// ran is the events of a test that logs lines and ends with action.
func ran(pkg, test, action string, logs ...string) string {
	s := ev("run", pkg, test, "") + ev("output", pkg, test, "=== RUN   "+test+"\n")
	for _, l := range logs {
		s += ev("output", pkg, test, l+"\n")
	}
	return s + ev("output", pkg, test, "--- "+strings.ToUpper(action)+": "+test+" (0.00s)\n") + ev(action, pkg, test, "")
}

func TestReport(t *testing.T) {
	const a, b = "example.com/a", "example.com/b"
	passA := ev("output", a, "", "PASS\n") + ev("output", a, "", "ok  \t"+a+"\t0.01s\n") + ev("pass", a, "", "")
	failB := ev("output", b, "", "FAIL\n") + ev("output", b, "", "FAIL\t"+b+"\t0.01s\n") + ev("fail", b, "", "")
	for _, tc := range []struct {
		name string
		in   string
		want string
	}{{
		name: "pass",
		in:   ev("start", a, "", "") + ran(a, "TestOK", "pass", "    a_test.go:3: noise") + passA,
		want: "ok  \t" + a + "\t0.01s\n",
	}, {
		name: "skips_listed_before_last_line",
		in: ev("start", a, "", "") +
			ran(a, "TestSkip", "skip", "    a_test.go:4: before", "    a_test.go:4: no OVS: start it") +
			ran(a, "TestSub/postgres", "skip", "    h.go:9: "+"ML2GO_TEST_POSTGRES_DSN is not set") +
			ran(a, "TestMore/postgres", "skip", "    h.go:9: "+"ML2GO_TEST_POSTGRES_DSN is not set") +
			ran(a, "TestQuiet", "skip") +
			passA,
		want: "\nSKIPPED: 4 tests in 1 package\n" +
			a + "\n" +
			"    a_test.go:4: no OVS: start it\n        TestSkip\n" +
			"    h.go:9: ML2GO_TEST_POSTGRES_DSN is not set\n        TestSub/postgres, TestMore/postgres\n" +
			"    (no reason given)\n        TestQuiet\n" +
			"\nok  \t" + a + "\t0.01s\n",
	}, {
		name: "skip_reason_on_several_lines",
		in:   ran(a, "TestSkip", "skip", "    x.go:1: cannot:", "        exit status 1") + passA,
		want: "\nSKIPPED: 1 test in 1 package\n" + a + "\n    x.go:1: cannot: exit status 1\n        TestSkip\n\nok  \t" + a + "\t0.01s\n",
	}, {
		name: "many_tests_one_reason",
		in: func() string {
			s := ""
			for _, n := range []string{"T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10"} {
				s += ran(a, n, "skip", "    x.go:1: why")
			}
			return s + passA
		}(),
		want: "\nSKIPPED: 10 tests in 1 package\n" + a + "\n    x.go:1: why\n        T1, T2, T3, T4, T5, T6, T7, T8 and 2 more\n\nok  \t" + a + "\t0.01s\n",
	}, {
		name: "failure_as_go_test_prints_it",
		in: ev("start", a, "", "") + ran(a, "TestSkip", "skip", "    a_test.go:4: why") + passA +
			ev("start", b, "", "") +
			ran(b, "TestOK", "pass", "    b_test.go:2: noise") +
			ran(b, "TestFail/s", "fail", "    b_test.go:3: boom", "        second line") +
			ev("output", b, "TestFail", "--- FAIL: TestFail (0.00s)\n") + ev("fail", b, "TestFail", "") +
			failB,
		want: "ok  \t" + a + "\t0.01s\n" +
			"    b_test.go:3: boom\n        second line\n--- FAIL: TestFail/s (0.00s)\n--- FAIL: TestFail (0.00s)\n" +
			"FAIL\nFAIL\t" + b + "\t0.01s\n" +
			"\nSKIPPED: 1 test in 1 package\n" + a + "\n    a_test.go:4: why\n        TestSkip\n\n" +
			"FAIL\n",
	}, {
		name: "build_failure",
		in: `{"ImportPath":"example.com/b [example.com/b.test]","Action":"build-output","Output":"# example.com/b [example.com/b.test]\n"}` + "\n" +
			`{"ImportPath":"example.com/b [example.com/b.test]","Action":"build-output","Output":"b/b_test.go:3:28: undefined: x\n"}` + "\n" +
			`{"ImportPath":"example.com/b [example.com/b.test]","Action":"build-fail"}` + "\n" +
			ev("start", b, "", "") + ev("output", b, "", "FAIL\t"+b+" [build failed]\n") + ev("fail", b, "", ""),
		want: "# example.com/b [example.com/b.test]\nb/b_test.go:3:28: undefined: x\nFAIL\t" + b + " [build failed]\nFAIL\n",
	}, {
		name: "panic_ends_running_tests",
		in: ev("run", b, "TestA", "") + ev("output", b, "TestA", "=== RUN   TestA\n") + ev("output", b, "TestA", "=== PAUSE TestA\n") +
			ev("run", b, "TestB", "") + ev("output", b, "TestB", "=== RUN   TestB\n") +
			ev("output", b, "TestB", "panic: nil map\n") + ev("output", b, "TestB", "goroutine 7 [running]:\n") +
			ev("fail", b, "TestB", "") +
			ev("output", b, "TestA", "    b_test.go:9: half way\n") +
			ev("output", b, "", "FAIL\tb\t0.01s\n") + ev("fail", b, "", ""),
		want: "panic: nil map\ngoroutine 7 [running]:\n    b_test.go:9: half way\nFAIL\tb\t0.01s\nFAIL\n",
	}, {
		name: "not_json",
		in:   "go: downloading example.com/x v1.0.0\n" + passA,
		want: "go: downloading example.com/x v1.0.0\nok  \t" + a + "\t0.01s\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			r := NewReport(&out)
			require.NoError(t, r.Read(strings.NewReader(tc.in)))
			r.Finish()
			assert.Equal(t, tc.want, out.String())
		})
	}
}
