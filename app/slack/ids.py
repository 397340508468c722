"""Identifiers the bridge puts into Slack and gets back in interaction payloads.

The dispatcher routes `block_actions` by `action_id` and shortcuts/view submissions by
`callback_id`; keeping them in one place makes "who handles this button?" a grep away. Values are
part of the Slack app's public surface (shortcut callback ids live in the app manifest, and old
messages keep their buttons forever), so never rename a value; add a member instead.
"""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    """`action_id` of interactive elements in messages and modals (at most 255 characters)."""

    edit_details = "ib_edit_details"
    """The "Edit details" button under a redirect reply; its value is a signed `TicketRef`."""
    faq_solved = "ib_faq_solved"
    """"That solved it" under an FAQ suggestion."""
    faq_need_help = "ib_faq_need_help"
    """"I still need help" under an FAQ suggestion."""
    open_modal = "ib_open_modal"
    """Opens the intake modal from a message (for example an ephemeral prompt)."""
    intake_bucket = "ib_intake_bucket"
    """The intake modal's bucket select; it dispatches, so a change arrives as `block_actions` and the
    view is re-rendered with that bucket's inputs (`views.update` with the view's hash)."""
    intake_team = "ib_intake_team"
    """The intake modal's team select (shown only when several teams could own the request)."""
    intake_input = "ib_intake_input"
    """Every other element of the intake modal; its `block_id` says which field it is."""
    ask_privately = "ib_ask_privately"
    """"Ask privately" under the answer to a DM: opens the intake modal for a private request; its value is
    a signed `PrivateAsk` (app/slack/private_ask.py)."""
    prevention_note = "ib_prevention_note"
    """"Add a prevention note" under the message asking a ticket's resolver what would prevent a repeat;
    its value is a signed `TicketRef`."""
    prevention_input = "ib_prevention_input"
    """The text input of the prevention-note modal."""


class CallbackId(StrEnum):
    """`callback_id` of shortcuts (declared in the app manifest) and of the bridge's modals."""

    raise_interrupt_message = "raise_interrupt"
    """Message shortcut "Raise as interrupt"."""
    raise_interrupt_global = "raise_interrupt_global"
    """Global shortcut "Raise an interrupt"."""
    intake_modal = "ib_intake_modal"
    """The modal in which a requester picks a bucket and describes the request."""
    edit_modal = "ib_edit_modal"
    """The modal opened by the "Edit details" button."""
    prevention_modal = "ib_prevention_modal"
    """The modal opened by "Add a prevention note"."""


DEFAULT_COMMAND = "/interrupt"
"""The slash command the bridge handles, as declared in `deploy/slack-manifest.yaml` (tested)."""
