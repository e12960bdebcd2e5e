package agentrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is the agent's end of the channel.
type Client struct {
	base  string
	http  *http.Client
	token string
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client. Default: one without a timeout
// (watches are long calls; each call is bounded by its context).
func WithHTTPClient(h *http.Client) ClientOption { return func(c *Client) { c.http = h } }

// WithToken sends token as X-Auth-Token, for servers behind Keystone.
func WithToken(token string) ClientOption { return func(c *Client) { c.token = token } }

// NewClient returns a client of the server at base, such as
// "http://127.0.0.1:9696".
func NewClient(base string, opts ...ClientOption) *Client {
	c := &Client{base: strings.TrimRight(base, "/"), http: &http.Client{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Report sends an agent's heartbeat.
func (c *Client) Report(ctx context.Context, r *Report) (*ReportReply, error) {
	var out ReportReply
	return &out, c.do(ctx, http.MethodPost, PathReport, r, &out)
}

// Watch returns the host's changes since the given revision ("" for the
// whole state), waiting up to wait for one.
func (c *Client) Watch(ctx context.Context, host, since string, wait time.Duration) (*State, error) {
	return c.WatchState(ctx, &WatchRequest{Host: host, Since: since, Wait: wait})
}

// WatchRequest asks for a host's desired state.
type WatchRequest struct {
	Host string
	// Since is the revision last seen, "" for the whole state.
	Since string
	// Wait is how long to wait for a change (whole seconds).
	Wait time.Duration
	// NetworkWide asks for the subnets and every port of the host's
	// networks too.
	NetworkWide bool
}

// WatchState returns the changes r asks for, waiting up to r.Wait for one.
func (c *Client) WatchState(ctx context.Context, r *WatchRequest) (*State, error) {
	q := url.Values{"host": {r.Host}, "since": {r.Since}, "wait": {strconv.Itoa(int(r.Wait / time.Second))}}
	if r.NetworkWide {
		q.Set("network_wide", "true")
	}
	var out State
	return &out, c.do(ctx, http.MethodGet, PathState+"?"+q.Encode(), nil, &out)
}

// Devices reports devices wired and unwired.
func (c *Client) Devices(ctx context.Context, d *Devices) (*DevicesReply, error) {
	var out DevicesReply
	return &out, c.do(ctx, http.MethodPost, PathDevices, d, &out)
}

// Error is a non-2xx answer of the server.
type Error struct {
	Status int
	Body   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("agentrpc: server answered %d: %s", e.Status, e.Body)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("agentrpc: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("agentrpc: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("X-Auth-Token", c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("agentrpc: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return &Error{Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("agentrpc: decode answer to %s %s: %w", method, path, err)
	}
	return nil
}
