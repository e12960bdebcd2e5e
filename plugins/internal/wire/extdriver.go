package wire

import (
	"encoding/json"
	"fmt"
)

// Extra encodes a resource's Extra map, or the attributes of an API
// request; nil encodes as no bytes.
func Extra(m map[string]any) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	return json.Marshal(m)
}

// CoreExtra decodes what Extra encodes; no bytes, or JSON null, decode
// as nil.
func CoreExtra(data []byte) (map[string]any, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode extra attributes: %w", err)
	}
	return m, nil
}
