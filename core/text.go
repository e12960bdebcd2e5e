package core

import (
	"strings"
	"unicode/utf8"
)

// ValidText reports whether s is text every Store engine holds as given:
// valid UTF-8 without the NUL character. PostgreSQL refuses both in text
// columns; SQLite keeps them, but then stores bytes no other engine could
// hold, so callers check input with ValidText before it reaches a Store,
// on every engine alike.
func ValidText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}
