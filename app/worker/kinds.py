"""Job kinds: the names stored in the job table."""

from __future__ import annotations

from enum import StrEnum


class JobKind(StrEnum):
    CREATE_TICKET = "ticket.create"
    LINK_TICKET = "ticket.link"
    POST_REDIRECT = "ticket.reply"
    MARK_TRACKED = "ticket.react"
    ALREADY_TRACKED = "ticket.already_tracked"
    EDIT_TICKET = "ticket.edit"
    ASSIGN_TICKET = "ticket.assign"
    HANDOFF = "oncall.handoff"
    ONCALL_ALERT = "oncall.alert"
    DM_REDIRECT = "dm.redirect"
    NOTIFY_PRIVATE = "ticket.private_notify"
    FAQ_RESOLVE = "faq.resolve"  # "This solved it": resolve and label the ticket
    FAQ_PLAYBOOK = "faq.playbook"  # the bucket's playbook in a new ticket's thread
    FAQ_PROPOSE = "faq.propose"  # a reply proposed as an FAQ answer (candidate emoji)
