package config

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"
)

// DefaultSection is the section of global options. Its name is matched
// exactly; every other section name is case-insensitive, as in oslo.config.
const DefaultSection = "DEFAULT"

// Value is an option as a configuration file sets it.
type Value struct {
	// File is the file's name as given to ReadFile or Read.
	File string
	// Line is the line of the option's name, counting from 1.
	Line int
	// Section is DefaultSection or another section's name in lower case.
	Section string
	// Option is the option's name as written: names are case-sensitive.
	Option string
	// Value is the value, trimmed of spaces and of one pair of matching
	// surrounding quotes (" or ') on its first line, with continuation
	// lines trimmed and joined by "\n". It may be empty.
	Value string
}

// key identifies an option.
type key struct{ section, option string }

// Values holds the options of a sequence of configuration files, like the
// files of Neutron's repeated --config-file: the last value set for an
// option wins, within a file or across files. The zero Values is empty and
// ready to use.
type Values struct {
	index map[key]int // option → position in list
	list  []Value     // in order of first setting
}

// ReadFiles reads the files in order into new Values. A file that cannot be
// read or is malformed is a *Error naming it.
func ReadFiles(paths ...string) (*Values, error) {
	vs := &Values{}
	for _, p := range paths {
		if err := vs.ReadFile(p); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

// ReadFile reads the file at path (see Read).
func (vs *Values) ReadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fileError(path, err)
	}
	defer f.Close()
	return vs.Read(path, f)
}

// fileError is a *Error for a file that cannot be read; the file's name is
// not repeated in the message.
func fileError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &Error{File: name, Err: err}
}

// Read reads a configuration file called name from r, with oslo.config's
// syntax:
//
//   - "[section]" starts a section; options outside any section are an
//     error. Section names other than DEFAULT are case-insensitive.
//   - Lines starting with '#' or ';' are comments.
//   - "name = value" or "name: value" sets an option, splitting at the
//     first '=' or ':'. The value may be empty.
//   - A line starting with a space or a tab continues the value of the
//     option above it; a blank line ends it. (An indented comment with no
//     option above it is accepted as a comment; oslo.config refuses it.)
//
// Values set by r replace those set before. A malformed line is a *Error
// with the file, the line and the offending text; nothing of r is kept
// then.
func (vs *Values) Read(name string, r io.Reader) error {
	var (
		read    []Value
		section string
		pending *Value   // option whose value may continue
		lines   []string // its value's lines
	)
	flush := func() {
		if pending != nil {
			pending.Value = strings.TrimSpace(strings.Join(lines, "\n"))
			read = append(read, *pending)
			pending, lines = nil, nil
		}
	}
	syntax := func(lineno int, text, msg string) error {
		return &Error{File: name, Line: lineno, Value: text, Err: errors.New(msg)}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for lineno := 1; sc.Scan(); lineno++ {
		text := sc.Text()
		if lineno == 1 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		line := strings.TrimRightFunc(text, unicode.IsSpace)
		switch {
		case line == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			cont := strings.TrimLeftFunc(line, unicode.IsSpace)
			switch {
			case pending != nil:
				lines = append(lines, cont)
			case cont[0] == '#' || cont[0] == ';':
			default:
				return syntax(lineno, line, "unexpected continuation line")
			}
		case line[0] == '[':
			flush()
			if !strings.HasSuffix(line, "]") {
				return syntax(lineno, line, "section header without closing ']'")
			}
			s := strings.TrimSpace(line[1 : len(line)-1])
			if s == "" {
				return syntax(lineno, line, "empty section name")
			}
			if s != DefaultSection {
				s = strings.ToLower(s)
			}
			section = s
		case line[0] == '#' || line[0] == ';':
			flush()
		default:
			flush()
			option, value, ok := splitOption(line)
			switch {
			case !ok:
				return syntax(lineno, line, "expected 'name = value' or 'name: value'")
			case option == "":
				return syntax(lineno, line, "empty option name")
			case section == "":
				return syntax(lineno, line, "option outside any section (add [DEFAULT] above it)")
			}
			pending = &Value{File: name, Line: lineno, Section: section, Option: option}
			lines = []string{value}
		}
	}
	if err := sc.Err(); err != nil {
		return fileError(name, err)
	}
	flush()
	for _, v := range read {
		vs.set(v)
	}
	return nil
}

// splitOption splits "name = value" or "name: value" at whichever of '='
// and ':' comes first, as oslo.config does, and unquotes the value.
func splitOption(line string) (option, value string, ok bool) {
	i := strings.IndexAny(line, "=:")
	if i < 0 {
		return "", "", false
	}
	option, value = strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
	if n := len(value); n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n-1] == value[0] {
		value = value[1 : n-1]
	}
	return option, value, true
}

// set records v, replacing an earlier value of the same option.
func (vs *Values) set(v Value) {
	k := key{v.Section, v.Option}
	if i, ok := vs.index[k]; ok {
		vs.list[i] = v
		return
	}
	if vs.index == nil {
		vs.index = map[key]int{}
	}
	vs.index[k] = len(vs.list)
	vs.list = append(vs.list, v)
}

// Lookup returns the value of option in section, and whether it is set.
// section is DefaultSection or a lower-case name.
func (vs *Values) Lookup(section, option string) (Value, bool) {
	if vs == nil {
		return Value{}, false
	}
	i, ok := vs.index[key{section, option}]
	if !ok {
		return Value{}, false
	}
	return vs.list[i], true
}

// All returns every option set, each with the value that wins, in the
// order in which options were first set.
func (vs *Values) All() []Value {
	if vs == nil {
		return nil
	}
	return append([]Value(nil), vs.list...)
}
