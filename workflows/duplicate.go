package workflows

import (
	"strconv"

	"go.temporal.io/sdk/workflow"

	"github.com/convrelay/convrelay/internal/conv"
)

// repeatApproval decides an approval of an approved transaction under
// duplicate mode new, edit or add (docs/rules.md "Duplicate modes"); under
// ignore (or no mode) it decides nothing and Decide's own rule holds. Only this
// case differs between the modes: a status change (pending to approved, a
// rejection, a re-approval) is the state machine's in every mode.
//
//   - new: a postback with a value is a new conversion of the transaction at
//     that value, recorded beside the ones it has (From none, so destinations
//     are told of it as of any new conversion); without a value it is a
//     duplicate.
//   - edit: the last postback wins: a new value, currency or event name
//     replaces the conversion's; a duplicate only when nothing it sent differs.
//   - add: the value sent is added to the conversion's (10 then 10 is 20); a
//     postback without a value, or with 0, adds nothing and is a duplicate.
func repeatApproval(cur conv.State, in Incoming) (conv.Decision, bool) {
	d := conv.Decision{From: cur.Status, To: conv.StatusApproved, Value: cur.Value}
	switch in.Mode {
	case conv.DuplicateNew:
		if in.Value == nil {
			d.Note = "duplicate (mode new): no value, so no new conversion; already approved at " + cur.Value.String()
			return d, true
		}
		d.Apply, d.NewConversion, d.From, d.Value = true, true, conv.StatusNone, *in.Value
		d.Note = "mode new: conversion " + strconv.Itoa(cur.Rebill+2) + " of the transaction, at " + in.Value.String()
	case conv.DuplicateEdit:
		if in.Value != nil {
			d.Value = *in.Value
		}
		changed := !d.Value.Equal(cur.Value) || (in.Currency != "" && in.Currency != cur.Currency) ||
			(in.EventName != "" && in.EventName != cur.EventName)
		if !changed {
			d.Note = "duplicate (mode edit): nothing new; already approved at " + cur.Value.String()
			return d, true
		}
		d.Apply = true
		d.Note = "mode edit: the last postback wins, approved at " + d.Value.String()
	case conv.DuplicateAdd:
		if in.Value == nil || in.Value.IsZero() {
			d.Note = "duplicate (mode add): nothing to add; already approved at " + cur.Value.String()
			return d, true
		}
		d.Apply, d.Value = true, cur.Value.Add(*in.Value)
		d.Note = "mode add: " + cur.Value.String() + " + " + in.Value.String() + " = " + d.Value.String()
	default:
		return d, false
	}
	return d, true
}

// duplicateModesChange is the change id of duplicate modes: runs recorded before
// it decide every repeat with the rule that is now mode ignore.
const duplicateModesChange = "duplicate-modes"

// duplicateMode is the mode this postback is decided with. The version is asked
// only when a mode can matter (the transaction is approved and its campaign or
// integration sets a mode other than ignore), so a run that never meets one
// records no marker; histories recorded before the change carry no mode in their
// prepare results and never ask.
func (w *conversion) duplicateMode(ctx workflow.Context, prev conv.State, mode conv.DuplicateMode) conv.DuplicateMode {
	if mode == "" || mode == conv.DuplicateIgnore || prev.Status != conv.StatusApproved {
		return ""
	}
	if w.version(ctx, duplicateModesChange, 1) == workflow.DefaultVersion {
		return ""
	}
	return mode
}
