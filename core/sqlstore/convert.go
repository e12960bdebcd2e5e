package sqlstore

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ml2go/ml2go/core"
)

// unixTime stores t as UTC Unix seconds; the zero Time is 0.
func unixTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// fromUnix is the inverse of unixTime.
func fromUnix(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(v, 0).UTC()
}

// encodeMap stores a JSON-like map; nil and empty maps stay distinct.
func encodeMap(m map[string]any) (string, error) {
	if m == nil {
		return "null", nil
	}
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode map: %w", err)
	}
	return string(b), nil
}

// decodeMap is the inverse of encodeMap.
func decodeMap(s string) (map[string]any, error) {
	switch s {
	case "null", "":
		return nil, nil
	case "{}":
		return map[string]any{}, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("sqlstore: decode map: %w", err)
	}
	return m, nil
}

// mapCache decodes the map columns of one listing, each distinct value
// once: the ports of a deployment share a handful of vif_details and
// profiles. Keys are the stored JSON text, or on SQLite the JSON string
// literal holding it; every call returns a fresh copy.
type mapCache map[string]map[string]any

func (c mapCache) decode(stored string) (map[string]any, error) {
	switch stored {
	case "null", `"null"`, `""`, "":
		return nil, nil
	case "{}", `"{}"`:
		return map[string]any{}, nil
	}
	if m, ok := c[stored]; ok {
		return core.CloneMap(m), nil
	}
	text := stored
	if strings.HasPrefix(stored, `"`) {
		var err error
		if text, err = unquote(stored); err != nil {
			return nil, err
		}
	}
	m, err := decodeMap(text)
	if err != nil {
		return nil, err
	}
	c[stored] = m
	return core.CloneMap(m), nil
}

// unquote returns the value of a JSON string literal.
func unquote(literal string) (string, error) {
	if len(literal) < 2 || literal[0] != '"' || literal[len(literal)-1] != '"' {
		return "", fmt.Errorf("sqlstore: %.40q is not a JSON string", literal)
	}
	if !strings.ContainsRune(literal, '\\') {
		return literal[1 : len(literal)-1], nil
	}
	var s string
	if err := json.Unmarshal([]byte(literal), &s); err != nil {
		return "", fmt.Errorf("sqlstore: decode string: %w", err)
	}
	return s, nil
}

// encodeJSON stores a list as JSON text ("[]" when empty).
func encodeJSON[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode: %w", err)
	}
	return string(b), nil
}

// decodeJSON is the inverse of encodeJSON; an empty list is nil.
func decodeJSON[T any](s string) ([]T, error) {
	if s == "[]" || s == "" || s == "null" {
		return nil, nil
	}
	var v []T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("sqlstore: decode: %w", err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// ipRange and hostRoute are the stored forms of core.IPRange and
// core.HostRoute.
type ipRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type hostRoute struct {
	Destination string `json:"destination"`
	NextHop     string `json:"nexthop"`
}

func encodePools(pools []core.IPRange) (string, error) {
	out := make([]ipRange, len(pools))
	for i, p := range pools {
		out[i] = ipRange{Start: addrText(p.Start), End: addrText(p.End)}
	}
	return encodeJSON(out)
}

func decodePools(s string) ([]core.IPRange, error) {
	in, err := decodeJSON[ipRange](s)
	if err != nil || in == nil {
		return nil, err
	}
	out := make([]core.IPRange, len(in))
	for i, r := range in {
		if out[i].Start, err = parseAddr(r.Start); err != nil {
			return nil, err
		}
		if out[i].End, err = parseAddr(r.End); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func encodeAddrs(addrs []netip.Addr) (string, error) {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = addrText(a)
	}
	return encodeJSON(out)
}

func decodeAddrs(s string) ([]netip.Addr, error) {
	in, err := decodeJSON[string](s)
	if err != nil || in == nil {
		return nil, err
	}
	out := make([]netip.Addr, len(in))
	for i, a := range in {
		if out[i], err = parseAddr(a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func encodeRoutes(routes []core.HostRoute) (string, error) {
	out := make([]hostRoute, len(routes))
	for i, r := range routes {
		out[i] = hostRoute{Destination: prefixText(r.Destination), NextHop: addrText(r.NextHop)}
	}
	return encodeJSON(out)
}

func decodeRoutes(s string) ([]core.HostRoute, error) {
	in, err := decodeJSON[hostRoute](s)
	if err != nil || in == nil {
		return nil, err
	}
	out := make([]core.HostRoute, len(in))
	for i, r := range in {
		if out[i].Destination, err = parsePrefix(r.Destination); err != nil {
			return nil, err
		}
		if out[i].NextHop, err = parseAddr(r.NextHop); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// addrText is the canonical text of a, "" for the zero Addr.
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.WithZone("").String()
}

// parseAddr is the inverse of addrText.
func parseAddr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("sqlstore: stored address: %w", err)
	}
	return a, nil
}

// prefixText is the canonical text of p, "" for the zero Prefix.
func prefixText(p netip.Prefix) string {
	if !p.IsValid() {
		return ""
	}
	return p.String()
}

// parsePrefix is the inverse of prefixText.
func parsePrefix(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("sqlstore: stored prefix: %w", err)
	}
	return p, nil
}

// ipKey is the fixed-width sortable key of an address: the hex of its
// 16-byte form.
func ipKey(a netip.Addr) string {
	b := a.As16()
	return hex.EncodeToString(b[:])
}

// normalizeMAC returns mac in lower-case colon form, or mac lower-cased if
// it does not parse.
func normalizeMAC(mac string) string {
	if hw, err := net.ParseMAC(mac); err == nil {
		return hw.String()
	}
	return strings.ToLower(mac)
}

// parseBool converts a filter value the way Neutron's convert_to_boolean
// does.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// sqlInt scans an integer column without reflection.
type sqlInt int64

// Scan implements sql.Scanner.
func (v *sqlInt) Scan(src any) error {
	switch x := src.(type) {
	case int64:
		*v = sqlInt(x)
	case bool:
		*v = 0
		if x {
			*v = 1
		}
	case []byte:
		n, err := strconv.ParseInt(string(x), 10, 64)
		*v = sqlInt(n)
		return err
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		*v = sqlInt(n)
		return err
	case nil:
		*v = 0
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into an integer", src)
	}
	return nil
}

// sqlBool scans a boolean column (an integer on SQLite) without reflection.
type sqlBool bool

// Scan implements sql.Scanner.
func (v *sqlBool) Scan(src any) error {
	switch x := src.(type) {
	case bool:
		*v = sqlBool(x)
	case int64:
		*v = x != 0
	case nil:
		*v = false
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a boolean", src)
	}
	return nil
}
