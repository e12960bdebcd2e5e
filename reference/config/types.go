package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// splitList splits a list option's value at commas, trimming items of
// spaces and line breaks and dropping empty ones. An empty value is an
// empty, non-nil list: a list option set to nothing is an empty list, not
// the default.
func splitList(s string) []string {
	out := []string{}
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseBool parses an oslo.config boolean: true/false, yes/no, on/off,
// 1/0, in any case.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, errors.New("not a boolean (true/false, yes/no, on/off, 1/0)")
}

// parseInt parses a decimal integer and checks it lies in [lo, hi].
func parseInt(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, &because{"not an integer", err}
	}
	if n < lo || n > hi {
		return 0, outOfRange(n, lo, hi)
	}
	return n, nil
}

func outOfRange(n, lo, hi int) error {
	switch {
	case hi == maxInt && lo == 0:
		return fmt.Errorf("%d is negative", n)
	case hi == maxInt:
		return fmt.Errorf("%d is less than %d", n, lo)
	}
	return fmt.Errorf("%d is out of range (%d through %d)", n, lo, hi)
}

// maxInt is the largest int, for unbounded integer options.
const maxInt = int(^uint(0) >> 1)
