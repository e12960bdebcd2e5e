package ml2

import (
	"context"

	"github.com/ml2go/ml2go/core"
)

// publishBefore publishes a change to topic inside tx, before the
// mechanism drivers' precommits (see core.Events). In the undo of a
// create (kind undo) a veto is logged and the undo goes on.
func publishBefore[T any](ctx context.Context, p *Plugin, kind hookKind, topic *core.Topic[T], tx core.Tx, action core.Action, old, cur *T) error {
	if !topic.Subscribed() {
		return nil // no change to build
	}
	err := topic.PublishBeforeCommit(ctx, &core.Change[T]{Action: action, Old: old, New: cur, Tx: tx})
	if err != nil && kind == undo {
		p.log.Error("event subscriber failed in the undo of a create", "action", action, "error", err)
		return nil
	}
	return err
}

// publishAfter publishes a committed change to topic, after the
// mechanism drivers' postcommits.
func publishAfter[T any](ctx context.Context, topic *core.Topic[T], action core.Action, old, cur *T) {
	if !topic.Subscribed() {
		return
	}
	topic.PublishAfterCommit(ctx, &core.Change[T]{Action: action, Old: old, New: cur})
}
