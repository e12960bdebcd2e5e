package main

import (
	"context"
	"os"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// The extension driver's attributes and alias.
const (
	// colorAttr is stored: a network's is the request's or "blue", a
	// port's the request's or its network's, read through the
	// transaction.
	colorAttr = "ml2go_test_color"
	// shadeAttr is shown, never stored: "dark " and the color, added by
	// the Extend* hooks.
	shadeAttr  = "ml2go_test_shade"
	colorAlias = "ml2go-test-color"
	// defaultColor is a new network's color, and the color of a resource
	// stored before the driver was enabled.
	defaultColor = "blue"
)

// Names of the conformance kit's failure convention (plugins/drivertest),
// honoured only when ML2GO_DRIVERTEST=1.
const (
	failCreate = "drivertest-fail-create-precommit"
	failUpdate = "drivertest-fail-update-precommit"
)

// extDriver adds a color to networks and ports. A requested color
// "invalid" is refused with core.InvalidInput, as is a resource named for
// the conformance kit's failure convention when the kit runs the driver.
type extDriver struct {
	core.ExtensionDriverBase
}

var (
	_ core.ExtensionDriver     = (*extDriver)(nil)
	_ core.ExtensionAttributer = (*extDriver)(nil)
)

// Initialize logs the process id to the init log, if any.
func (*extDriver) Initialize(context.Context) error { return logInit() }

// ExtensionAliases returns the driver's alias, or those of
// ML2GO_TESTPLUGIN_EXT_ALIASES when it is set.
func (*extDriver) ExtensionAliases() []string {
	v, ok := os.LookupEnv("ML2GO_TESTPLUGIN_EXT_ALIASES")
	if !ok {
		return []string{colorAlias}
	}
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// ExtensionAttributes returns the color and the shade of networks and
// ports.
func (*extDriver) ExtensionAttributes() map[string][]string {
	return map[string][]string{"networks": {colorAttr, shadeAttr}, "ports": {colorAttr, shadeAttr}}
}

// requested returns the request's color, if any, refusing "invalid" and
// the failure-convention name fail.
func requested(req map[string]any, name, fail string) (string, bool, error) {
	if os.Getenv("ML2GO_DRIVERTEST") == "1" && name == fail {
		return "", false, core.InvalidInput("the test extension refuses a resource named %q", name)
	}
	raw, ok := req[colorAttr]
	if !ok {
		return "", false, nil
	}
	c, isString := raw.(string)
	if !isString || c == "invalid" {
		return "", false, core.InvalidInput("'%v' is not a valid %s", raw, colorAttr)
	}
	return c, true, nil
}

func setColor(extra *map[string]any, c string) {
	if *extra == nil {
		*extra = map[string]any{}
	}
	(*extra)[colorAttr] = c
	delete(*extra, shadeAttr) // shown, never stored
}

func colorOf(extra map[string]any) string {
	if c, ok := extra[colorAttr].(string); ok {
		return c
	}
	return defaultColor
}

// ProcessCreateNetwork stores the requested color, or the default.
func (*extDriver) ProcessCreateNetwork(_ context.Context, _ core.ExtensionTx, req map[string]any, n *core.Network) error {
	c, ok, err := requested(req, n.Name, failCreate)
	if err != nil {
		return err
	}
	if !ok {
		c = defaultColor
	}
	setColor(&n.Extra, c)
	return nil
}

// ProcessUpdateNetwork stores the requested color, or keeps the current
// one.
func (*extDriver) ProcessUpdateNetwork(_ context.Context, _ core.ExtensionTx, req map[string]any, n *core.Network) error {
	c, ok, err := requested(req, n.Name, failUpdate)
	if err != nil {
		return err
	}
	if !ok {
		c = colorOf(n.Extra)
	}
	setColor(&n.Extra, c)
	return nil
}

// ExtendNetwork shows the color and the shade.
func (*extDriver) ExtendNetwork(_ context.Context, n *core.Network) error {
	extend(&n.Extra)
	return nil
}

// ProcessCreatePort stores the requested color, or the network's, which
// it reads in the transaction.
func (*extDriver) ProcessCreatePort(ctx context.Context, tx core.ExtensionTx, req map[string]any, p *core.Port) error {
	c, ok, err := requested(req, p.Name, failCreate)
	if err != nil {
		return err
	}
	if !ok {
		n, err := tx.GetNetwork(ctx, p.NetworkID)
		if err != nil {
			return err
		}
		c = colorOf(n.Extra)
	}
	setColor(&p.Extra, c)
	return nil
}

// ProcessUpdatePort stores the requested color, or keeps the current one.
func (*extDriver) ProcessUpdatePort(_ context.Context, _ core.ExtensionTx, req map[string]any, p *core.Port) error {
	c, ok, err := requested(req, p.Name, failUpdate)
	if err != nil {
		return err
	}
	if !ok {
		c = colorOf(p.Extra)
	}
	setColor(&p.Extra, c)
	return nil
}

// ExtendPort shows the color and the shade.
func (*extDriver) ExtendPort(_ context.Context, p *core.Port) error {
	extend(&p.Extra)
	return nil
}

func extend(extra *map[string]any) {
	c := colorOf(*extra)
	if *extra == nil {
		*extra = map[string]any{}
	}
	(*extra)[colorAttr] = c
	(*extra)[shadeAttr] = "dark " + c
}
