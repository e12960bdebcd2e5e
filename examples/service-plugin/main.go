// Command service-plugin shows how a service plugin is written and
// assembled: portLog keeps a log of every port change in a table of its
// own, written in the transaction of the change by a BeforeCommit
// subscriber, and serves it at /v2.0/port_logs through the API's generic
// handlers. The program registers it, opens an in-memory SQLite store
// with its schema, builds the plugin and the API with it, creates a
// network and a port and renames the port through the API, and prints
// the log.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/reference/api"
	"github.com/ml2go/ml2go/typedrivers/local"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "service-plugin:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	svc := &portLog{}
	reg := core.NewRegistry()
	if err := reg.RegisterTypeDriver(local.New(local.Config{})); err != nil {
		return err
	}
	if err := reg.RegisterServicePlugin(svc); err != nil {
		return err
	}
	store, err := sqlstore.Open(ctx, "sqlite://:memory:", sqlstore.WithSchemas(svc.Schema()))
	if err != nil {
		return err
	}
	defer store.Close()
	// ml2.New subscribes the service to the events and initializes it.
	plugin, err := ml2.New(ctx, ml2.Config{ServicePlugins: []string{svc.Name()}}, reg, store)
	if err != nil {
		return err
	}
	h, err := api.New(api.Config{Plugin: plugin, DefaultProjectID: "demo", Services: []api.Service{svc}})
	if err != nil {
		return err
	}

	// call sends a request and decodes the object under key of its answer.
	call := func(method, path, body, key string) (map[string]any, error) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body)))
		if w.Code >= http.StatusBadRequest {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
		var answer map[string]map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
			return nil, err
		}
		return answer[key], nil
	}
	net, err := call("POST", "/v2.0/networks", `{"network": {"name": "demo"}}`, "network")
	if err != nil {
		return err
	}
	port, err := call("POST", "/v2.0/ports", fmt.Sprintf(`{"port": {"network_id": %q}}`, net["id"]), "port")
	if err != nil {
		return err
	}
	if _, err := call("PUT", fmt.Sprint("/v2.0/ports/", port["id"]), `{"port": {"name": "renamed"}}`, "port"); err != nil {
		return err
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequestWithContext(ctx, "GET", "/v2.0/port_logs", nil))
	var log struct {
		Entries []struct {
			PortID string `json:"port_id"`
			Action string `json:"action"`
		} `json:"port_logs"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &log); err != nil {
		return fmt.Errorf("GET /v2.0/port_logs: %d %s", w.Code, w.Body)
	}
	for _, e := range log.Entries {
		fmt.Fprintf(out, "port %s: %s\n", e.PortID, e.Action)
	}
	return nil
}
