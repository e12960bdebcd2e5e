package config

import (
	"errors"
	"strconv"
	"strings"

	"github.com/ml2go/ml2go/typedrivers"
)

// Error reports a configuration file that cannot be read or parsed, or an
// option with a bad value. Its message names what is known of where, e.g.
//
//	ml2_conf.ini:12: [ml2_type_vlan] network_vlan_ranges: "physnet1:200:100": end of VLAN range is less than start of VLAN range
type Error struct {
	// File is the file, "" when the value is a default.
	File string
	// Line is the line, counting from 1; 0 when the error is not about a
	// line (a file that cannot be read, a default value).
	Line int
	// Section and Option name the option; both are "" for a file that
	// cannot be read or a malformed line.
	Section string
	Option  string
	// Value is the offending value: the option's value, the bad item of a
	// list, or the text of a malformed line.
	Value string
	// Err says what is wrong. It wraps the underlying error, if any: a
	// *typedrivers.RangeError, *typedrivers.PhysicalNetworkNameError,
	// *typedrivers.MappingError or *strconv.NumError, or an error from
	// the file system.
	Err error
}

// Error formats the error as "file:line: [section] option: "value": what".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Section != "" {
		b.WriteString("[" + e.Section + "] ")
	}
	if e.Option != "" {
		b.WriteString(e.Option + ": ")
	}
	if e.Value != "" || e.Option != "" {
		b.WriteString(strconv.Quote(e.Value))
		if e.File == "" && e.Option != "" {
			b.WriteString(" (default)")
		}
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// valueError is a *Error about v, whose value is wrong because of err.
func valueError(v Value, err error) *Error {
	return &Error{File: v.File, Line: v.Line, Section: v.Section, Option: v.Option, Value: v.Value, Err: err}
}

// itemError is a *Error about item, an item of v's list, wrong because of
// err.
func itemError(v Value, item string, err error) *Error {
	e := valueError(v, err)
	e.Value = item
	return e
}

// because says reason and wraps err, whose own message repeats what the
// *Error already names.
type because struct {
	reason string
	err    error
}

func (b *because) Error() string { return b.reason }
func (b *because) Unwrap() error { return b.err }

// entryError turns an error from a typedrivers parser into a *Error about
// the offending entry of v, keeping the parser's error for errors.As.
func entryError(v Value, err error) *Error {
	var (
		re *typedrivers.RangeError
		pe *typedrivers.PhysicalNetworkNameError
		me *typedrivers.MappingError
	)
	switch {
	case errors.As(err, &re):
		return itemError(v, strings.TrimSpace(re.Entry), &because{re.Reason, err})
	case errors.As(err, &pe):
		return itemError(v, strings.TrimSpace(pe.Entry), &because{"empty physical network name", err})
	case errors.As(err, &me):
		return itemError(v, strings.TrimSpace(me.Entry), &because{me.Reason, err})
	}
	return valueError(v, err)
}
