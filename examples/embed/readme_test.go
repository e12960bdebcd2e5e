package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeSnippet returns the Go code of the README's "Embedding" section.
func readmeSnippet(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)\n## Embedding\n.*?```go\n(.*?)```").FindSubmatch(b)
	require.NotNil(t, m, "README.md has no Go block under ## Embedding")
	return string(m[1])
}

// discarded returns the lines of src where the last result of a call, an
// error by convention, is assigned to _.
func discarded(fset *token.FileSet, src string, body ast.Node) []string {
	var out []string
	ast.Inspect(body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Rhs) != 1 {
			return true
		}
		if _, call := as.Rhs[0].(*ast.CallExpr); !call {
			return true
		}
		if id, ok := as.Lhs[len(as.Lhs)-1].(*ast.Ident); ok && id.Name == "_" {
			p := fset.Position(as.Pos())
			out = append(out, strings.TrimSpace(strings.Split(src, "\n")[p.Line-1]))
		}
		return true
	})
	return out
}

// errorCalls returns the names called as x.Name(...) whose last result
// node assigns to err: functions that return an error.
func errorCalls(node ast.Node) map[string]bool {
	names := map[string]bool{}
	ast.Inspect(node, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Rhs) != 1 {
			return true
		}
		if id, ok := as.Lhs[len(as.Lhs)-1].(*ast.Ident); ok && id.Name == "err" {
			for name := range selectors(as.Rhs[0]) {
				names[name] = true
			}
		}
		return true
	})
	return names
}

// unchecked returns the calls of node, as statements of their own, to
// the functions named in errs.
func unchecked(node ast.Node, errs map[string]bool) []string {
	var out []string
	ast.Inspect(node, func(n ast.Node) bool {
		st, ok := n.(*ast.ExprStmt)
		if !ok {
			return true
		}
		if c, ok := st.X.(*ast.CallExpr); ok {
			if s, ok := c.Fun.(*ast.SelectorExpr); ok && errs[s.Sel.Name] {
				out = append(out, s.Sel.Name)
			}
		}
		return true
	})
	return out
}

// selectors returns the names called as x.Name(...) in node, but those
// of package fmt.
func selectors(node ast.Node) map[string]bool {
	names := map[string]bool{}
	ast.Inspect(node, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		s, ok := c.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := s.X.(*ast.Ident); !ok || x.Name != "fmt" {
			names[s.Sel.Name] = true
		}
		return true
	})
	return names
}

// TestREADMESnippet: the README's embedding snippet is Go that handles
// every error, and calls only what this program, which compiles, calls
// too; this program discards no error either.
func TestREADMESnippet(t *testing.T) {
	snippet := readmeSnippet(t)
	src := "package p\n\nfunc f() error {\n" + snippet + "return nil\n}\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "README.md", src, 0)
	require.NoError(t, err, "the README snippet is not Go:\n%s", snippet)
	assert.Empty(t, discarded(fset, src, f), "the README snippet discards errors")

	mainSrc, err := os.ReadFile("main.go")
	require.NoError(t, err)
	mf, err := parser.ParseFile(fset, "main.go", mainSrc, 0)
	require.NoError(t, err)
	assert.Empty(t, discarded(fset, string(mainSrc), mf), "main.go discards errors")

	errs := errorCalls(mf)
	assert.Empty(t, unchecked(f, errs), "the README snippet ignores the errors of these calls")
	assert.Empty(t, unchecked(mf, errs), "main.go ignores the errors of these calls")

	have := selectors(mf)
	for name := range selectors(f) {
		assert.True(t, have[name], "the README snippet calls %s, which examples/embed does not", name)
	}
}
