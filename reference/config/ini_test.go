package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/config"
)

// read reads text as a file called name into new Values.
func read(t *testing.T, name, text string) *config.Values {
	t.Helper()
	vs := &config.Values{}
	require.NoError(t, vs.Read(name, strings.NewReader(text)))
	return vs
}

// writeFile writes text to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func TestRead(t *testing.T) {
	v := func(line int, section, option, value string) config.Value {
		return config.Value{File: "a.conf", Line: line, Section: section, Option: option, Value: value}
	}
	tests := []struct {
		name string
		text string
		want []config.Value
	}{
		{"empty", "", nil},
		{"equals_and_colon", "[DEFAULT]\na = 1\nb: 2\nc=3\n",
			[]config.Value{v(2, "DEFAULT", "a", "1"), v(3, "DEFAULT", "b", "2"), v(4, "DEFAULT", "c", "3")}},
		{"first_separator_wins", "[database]\nconnection = sqlite:///x.db\nurl: http://h:5000\n",
			[]config.Value{v(2, "database", "connection", "sqlite:///x.db"), v(3, "database", "url", "http://h:5000")}},
		{"comments", "# top\n; also\n[DEFAULT]\n# a = 1\n;b = 2\nc = 3 # not a comment\n",
			[]config.Value{v(6, "DEFAULT", "c", "3 # not a comment")}},
		{"blank_value", "[DEFAULT]\na =\nb:\n",
			[]config.Value{v(2, "DEFAULT", "a", ""), v(3, "DEFAULT", "b", "")}},
		{"quotes_stripped", "[DEFAULT]\na = \"x y\"\nb = 'z'\nc = \"unbalanced'\nd = \"\"\n",
			[]config.Value{v(2, "DEFAULT", "a", "x y"), v(3, "DEFAULT", "b", "z"), v(4, "DEFAULT", "c", "\"unbalanced'"), v(5, "DEFAULT", "d", "")}},
		{"continuation", "[ml2_type_vlan]\nnetwork_vlan_ranges = p1:1:2,\n    p2:3:4,\n\tp3\nnext = x\n",
			[]config.Value{v(2, "ml2_type_vlan", "network_vlan_ranges", "p1:1:2,\np2:3:4,\np3"), v(5, "ml2_type_vlan", "next", "x")}},
		{"continuation_after_empty_first_line", "[DEFAULT]\na =\n  x,\n  y\n",
			[]config.Value{v(2, "DEFAULT", "a", "x,\ny")}},
		{"indented_hash_continues_value", "[DEFAULT]\na = x\n  # y\n",
			[]config.Value{v(2, "DEFAULT", "a", "x\n# y")}},
		{"blank_line_ends_continuation", "[DEFAULT]\na = x\n\n# c\n  # indented comment\nb = y\n",
			[]config.Value{v(2, "DEFAULT", "a", "x"), v(6, "DEFAULT", "b", "y")}},
		{"comment_ends_continuation", "[DEFAULT]\na = x\n# c\nb = y\n",
			[]config.Value{v(2, "DEFAULT", "a", "x"), v(4, "DEFAULT", "b", "y")}},
		{"section_names", "[ML2]\na = 1\n[ Ml2_Type_Flat ]\nb = 2\n[default]\nc = 3\n[DEFAULT]\nd = 4\n",
			[]config.Value{v(2, "ml2", "a", "1"), v(4, "ml2_type_flat", "b", "2"), v(6, "default", "c", "3"), v(8, "DEFAULT", "d", "4")}},
		{"option_names_case_sensitive", "[DEFAULT]\nDebug = true\ndebug = false\n",
			[]config.Value{v(2, "DEFAULT", "Debug", "true"), v(3, "DEFAULT", "debug", "false")}},
		{"repeated_option_last_wins", "[DEFAULT]\na = 1\nb = 2\na = 3\n",
			[]config.Value{v(4, "DEFAULT", "a", "3"), v(3, "DEFAULT", "b", "2")}},
		{"section_reopened", "[ml2]\na = 1\n[DEFAULT]\nb = 2\n[ml2]\na = 3\n",
			[]config.Value{v(6, "ml2", "a", "3"), v(4, "DEFAULT", "b", "2")}},
		{"crlf_and_bom", "\uFEFF[DEFAULT]\r\na = 1\r\n  2\r\n",
			[]config.Value{v(2, "DEFAULT", "a", "1\n2")}},
		{"trailing_spaces", "[DEFAULT]  \na = 1   \n", []config.Value{v(2, "DEFAULT", "a", "1")}},
		{"no_final_newline", "[DEFAULT]\na = 1", []config.Value{v(2, "DEFAULT", "a", "1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, read(t, "a.conf", tt.text).All())
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		line      int
		offending string // the offending text
		msg       string
	}{
		{"continuation_without_option", "[DEFAULT]\n  a = 1\n", 2, "  a = 1", "unexpected continuation line"},
		{"continuation_after_section", "[DEFAULT]\na = 1\n[ml2]\n  b\n", 4, "  b", "unexpected continuation line"},
		{"unclosed_section", "[DEFAULT\n", 1, "[DEFAULT", "section header without closing ']'"},
		{"empty_section", "[]\n", 1, "[]", "empty section name"},
		{"blank_section", "[  ]\n", 1, "[  ]", "empty section name"},
		{"option_outside_section", "# c\na = 1\n", 2, "a = 1", "option outside any section"},
		{"no_separator", "[DEFAULT]\njust words\n", 2, "just words", "expected 'name = value'"},
		{"empty_option_name", "[DEFAULT]\n= 1\n", 2, "= 1", "empty option name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := &config.Values{}
			require.NoError(t, vs.Read("before.conf", strings.NewReader("[DEFAULT]\nkept = yes\n")))
			err := vs.Read("bad.conf", strings.NewReader(tt.text))
			var e *config.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "bad.conf", e.File)
			assert.Equal(t, tt.line, e.Line)
			assert.Equal(t, tt.offending, e.Value)
			assert.Empty(t, e.Section)
			assert.Empty(t, e.Option)
			assert.ErrorContains(t, err, tt.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "bad.conf:"), err.Error())
			// Nothing of the bad file is kept; what was read before is.
			assert.Equal(t, []config.Value{{File: "before.conf", Line: 2, Section: "DEFAULT", Option: "kept", Value: "yes"}}, vs.All())
		})
	}
}

func TestReadFilesOverride(t *testing.T) {
	dir := t.TempDir()
	first := writeFile(t, dir, "neutron.conf", "[DEFAULT]\nbind_port = 1\ndebug = true\n[ml2]\ntype_drivers = flat\n")
	second := writeFile(t, dir, "ml2_conf.ini", "[ml2]\ntype_drivers = vlan,\n  vxlan\n[DEFAULT]\nbind_port = 2\n")
	vs, err := config.ReadFiles(first, second)
	require.NoError(t, err)
	assert.Equal(t, []config.Value{
		{File: second, Line: 5, Section: "DEFAULT", Option: "bind_port", Value: "2"},
		{File: first, Line: 3, Section: "DEFAULT", Option: "debug", Value: "true"},
		{File: second, Line: 2, Section: "ml2", Option: "type_drivers", Value: "vlan,\nvxlan"},
	}, vs.All())

	v, ok := vs.Lookup("DEFAULT", "debug")
	require.True(t, ok)
	assert.Equal(t, first, v.File)
	_, ok = vs.Lookup("DEFAULT", "missing")
	assert.False(t, ok)
	_, ok = (*config.Values)(nil).Lookup("DEFAULT", "debug")
	assert.False(t, ok)

	// The same files in the other order: the other values win.
	vs, err = config.ReadFiles(second, first)
	require.NoError(t, err)
	v, _ = vs.Lookup("DEFAULT", "bind_port")
	assert.Equal(t, "1", v.Value)
	v, _ = vs.Lookup("ml2", "type_drivers")
	assert.Equal(t, "flat", v.Value)
}

func TestReadFilesMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.conf")
	_, err := config.ReadFiles(missing)
	var e *config.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, missing, e.File)
	assert.Zero(t, e.Line)
	assert.True(t, errors.Is(err, fs.ErrNotExist))
	assert.Equal(t, missing+": no such file or directory", err.Error())
}
