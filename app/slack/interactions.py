"""Shortcuts, the slash command, buttons and modal submissions.

`views.open` is called here, on the request path: a `trigger_id` lives 3 s and is single-use, so it
cannot wait for the job queue. Everything else that is slow (creating or editing the ticket) is
written as a job in the transaction that records the delivery, as for reactions.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from app.config.faq_source import FaqLibrary
from app.config.template import Team, Template
from app.domain.errors import PermanentError
from app.domain.intake import team_for_channel
from app.domain.models import TicketForm
from app.domain.oncall_text import oncall_summary
from app.domain.ports import Chat
from app.domain.priority import priority_for
from app.slack.ack import EMPTY_ACK, Ack, modal_errors
from app.slack.faq_interactions import FaqInteractions
from app.slack.help_text import help_text
from app.slack.ids import ActionId, CallbackId
from app.slack.interaction_replies import action_channel, load_ticket, open_view_or_tell, tell_privately
from app.slack.metadata import MetadataError, TicketRef, decode
from app.slack.modal import intake_view
from app.slack.modal_metadata import IntakeModalMeta, decode_intake_meta, encode_intake_meta
from app.slack.modal_submission import IntakeForm, parse_submission, state_values
from app.slack.prevention import PreventionDeps, PreventionNotes
from app.slack.private_ask import modal_mode, private_modal_meta
from app.store import jobs as job_store
from app.store import tickets as ticket_store
from app.store.group_commit import GroupCommitWriter
from app.worker.kinds import JobKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InteractionDeps:
    template: Callable[[], Template]
    chat: Chat
    writer: GroupCommitWriter
    engine: Engine
    metadata_key: bytes
    command: str
    clock: Callable[[], float] = time.time
    faq: FaqLibrary | None = None


class Interactions:
    def __init__(self, deps: InteractionDeps) -> None:
        self._d = deps
        self._prevention = PreventionNotes(
            PreventionDeps(
                chat=deps.chat,
                writer=deps.writer,
                engine=deps.engine,
                metadata_key=deps.metadata_key,
                clock=deps.clock,
            )
        )
        self._faq = (
            None
            if deps.faq is None
            else FaqInteractions(
                deps.faq, deps.template, deps.chat, deps.writer, deps.engine, deps.metadata_key, deps.clock
            )
        )

    # -- entry points ------------------------------------------------------------------------------
    # Shortcuts, commands and buttons open a view before their delivery is recorded: a trigger_id
    # expires 3 s after Slack sent it, and the durable write can queue behind a busy worker. The
    # record still precedes the ack (and a failure to record still answers 503).
    async def shortcut(self, payload: Mapping[str, Any], *, dedupe_key: str, raw: str) -> Ack:
        try:
            return await self._shortcut(payload)
        finally:
            await self._record(dedupe_key, f"interaction:{payload.get('type')}", raw)

    async def command(self, fields: Mapping[str, str], *, dedupe_key: str, raw: str) -> Ack:
        try:
            return await self._command(fields)
        finally:
            await self._record(dedupe_key, "command", raw)

    async def block_actions(self, payload: Mapping[str, Any], *, dedupe_key: str, raw: str) -> Ack:
        try:
            return await self._block_actions(payload)
        finally:
            await self._record(dedupe_key, "interaction:block_actions", raw)

    async def _shortcut(self, payload: Mapping[str, Any]) -> Ack:
        user = _user_id(payload)
        if payload.get("callback_id") == CallbackId.raise_interrupt_message:
            channel = str((payload.get("channel") or {}).get("id", ""))
            message = payload.get("message") or {}
            meta = IntakeModalMeta(
                source="message",
                requester=user,
                channel=channel,
                message_ts=str(payload.get("message_ts") or message.get("ts")),
                thread_ts=message.get("thread_ts"),
                team=_single_team_key(self._d.template(), channel),
            )
            text = str(message.get("text") or "")
            await self._open(payload, meta, summary=_first_line(text), description=text, channel=channel)
            return EMPTY_ACK
        if payload.get("callback_id") == CallbackId.raise_interrupt_global:
            meta = IntakeModalMeta(
                source="global", requester=user, team=_single_team_key(self._d.template(), None)
            )
            await self._open(payload, meta, summary="", description="", channel=None)
            return EMPTY_ACK
        log.info("unknown shortcut", extra={"slack.callback_id": payload.get("callback_id")})
        return EMPTY_ACK

    async def _command(self, fields: Mapping[str, str]) -> Ack:
        text = fields.get("text", "").strip()
        if fields.get("command") != self._d.command:
            return _ephemeral(f"This app handles {self._d.command}, not {fields.get('command')}.")
        if text.lower() in {"help", "?"}:
            return _ephemeral(help_text(self._d.template(), command=self._d.command))
        channel = fields.get("channel_id") or None
        if text.lower() == "oncall":
            return _ephemeral(self._oncall_text(channel))
        if self._faq is not None and text.lower().split(maxsplit=1)[:1] == ["faq"]:
            return _ephemeral(self._faq.answer(text[3:].strip(), channel=channel))
        meta = IntakeModalMeta(
            source="command",
            requester=fields.get("user_id", ""),
            team=_single_team_key(self._d.template(), channel),
        )
        payload = {"trigger_id": fields.get("trigger_id", ""), "user": {"id": fields.get("user_id")}}
        await self._open(payload, meta, summary=_first_line(text), description=text, channel=channel)
        return EMPTY_ACK

    def _oncall_text(self, channel: str | None) -> str:
        """Who is on call: for the channel's team, or for every team with a rotation."""
        template = self._d.template()
        now = datetime.fromtimestamp(self._d.clock(), UTC)
        team = team_for_channel(template, channel) if channel else None
        teams = [team] if team is not None and team.rotation else [t for t in template.teams if t.rotation]
        if not teams:
            return "No team has an on-call rotation in the bridge's workflow template."
        return "\n\n".join(oncall_summary(template, t.key, now) for t in teams)

    async def _block_actions(self, payload: Mapping[str, Any]) -> Ack:
        for action in payload.get("actions") or []:
            action_id = action.get("action_id")
            if action_id == ActionId.intake_bucket or action_id == ActionId.intake_team:
                await self._rerender(payload)
            elif action_id == ActionId.edit_details:
                await self._open_edit(payload, str(action.get("value") or ""))
            elif action_id == ActionId.prevention_note:
                await self._prevention.open(payload, str(action.get("value") or ""))
            elif self._faq is not None and action_id == ActionId.faq_solved:
                await self._faq.solved(payload, str(action.get("value") or ""))
            elif self._faq is not None and action_id == ActionId.faq_need_help:
                await self._faq.need_help(payload, str(action.get("value") or ""))
            elif action_id == ActionId.open_modal:
                meta = IntakeModalMeta(source="dm", requester=_user_id(payload))
                await self._open(payload, meta, summary="", description="", channel=None)
            elif action_id == ActionId.ask_privately:
                await self._open_private(payload, str(action.get("value") or ""))
        return EMPTY_ACK

    async def view_submission(self, payload: Mapping[str, Any], *, dedupe_key: str, raw: str) -> Ack:
        view = payload.get("view") or {}
        if view.get("callback_id") == CallbackId.prevention_modal:
            return await self._prevention.submit(payload, dedupe_key=dedupe_key, raw=raw)
        template = self._d.template()
        try:
            meta = decode_intake_meta(str(view.get("private_metadata") or ""), key=self._d.metadata_key)
        except MetadataError as exc:
            return _errors({"summary": f"This form could not be verified ({exc}). Please open it again."})
        if meta.requester != _user_id(payload):
            return _errors({"summary": "This form was opened by someone else. Please open your own."})
        parsed = parse_submission(template, view, team=meta.team)
        if isinstance(parsed, dict):
            return _errors(parsed)
        form = parsed
        team = template.team(form.team)
        bucket = template.bucket(form.bucket)
        priority = priority_for(
            template, bucket, impact=form.impact, urgency=form.urgency, requested=form.requested_priority
        )
        stored = TicketForm(
            summary=form.summary,
            description=form.description,
            impact=form.impact,
            urgency=form.urgency,
            jira_fields=form.jira_fields,
            user_fields=form.user_fields,
        )
        if meta.source == "edit":
            assert meta.ticket_id is not None
            await self._d.writer.submit(
                self._edit_unit(dedupe_key, raw, meta.ticket_id, stored, bucket.key, priority, meta.requester)
            )
            return EMPTY_ACK
        await self._d.writer.submit(
            self._create_unit(dedupe_key, raw, meta, team, bucket.key, priority, stored)
        )
        return EMPTY_ACK

    # -- views.open / views.update ----------------------------------------------------------------
    async def _open(
        self,
        payload: Mapping[str, Any],
        meta: IntakeModalMeta,
        *,
        summary: str,
        description: str,
        channel: str | None,
        values: Mapping[str, object] | None = None,
        bucket: str | None = None,
    ) -> None:
        template = self._d.template()
        teams = template.teams if meta.team is None else (template.team(meta.team),)
        view = intake_view(
            template,
            teams=teams,
            selected_team=meta.team,
            selected_bucket=bucket,
            values=values if values is not None else {"summary": summary, "description": description},
            private_metadata=encode_intake_meta(meta, key=self._d.metadata_key),
            mode=modal_mode(meta.source),
        )
        await open_view_or_tell(
            self._d.chat, str(payload.get("trigger_id") or ""), view, user=meta.requester, channel=channel
        )

    async def _open_private(self, payload: Mapping[str, Any], value: str) -> None:
        template = self._d.template()
        team = _single_team_key(template, None)
        try:
            meta = private_modal_meta(
                payload, value, key=self._d.metadata_key, team=team, enabled=template.private.enabled
            )
        except MetadataError as exc:
            channel = str((payload.get("channel") or {}).get("id") or "")
            await self._quietly_ephemeral(channel, _user_id(payload), str(exc))
            return
        # Not prefilled from the DM: that would cost a Slack call before views.open, and the worker
        # quotes the DM in the ticket's description anyway.
        await self._open(payload, meta, summary="", description="", channel=meta.channel)

    async def _rerender(self, payload: Mapping[str, Any]) -> None:
        view = payload.get("view") or {}
        try:
            meta = decode_intake_meta(str(view.get("private_metadata") or ""), key=self._d.metadata_key)
        except MetadataError as exc:
            log.warning("ignored a bucket change with bad metadata", extra={"error": str(exc)})
            return
        template = self._d.template()
        values = state_values(view)
        team = str(values.get("team") or "") or meta.team
        teams = template.teams if meta.team is None else (template.team(meta.team),)
        new_view = intake_view(
            template,
            teams=teams,
            selected_team=team,
            selected_bucket=str(values.get("bucket") or "") or None,
            values=values,
            private_metadata=str(view.get("private_metadata")),
            mode=modal_mode(meta.source),
        )
        try:
            await self._d.chat.update_view(str(view.get("id")), new_view, view_hash=view.get("hash"))
        except PermanentError as exc:
            if "hash_conflict" not in str(exc):
                raise
            log.info("view changed meanwhile; skipped the re-render", extra={"slack.view_id": view.get("id")})

    async def _open_edit(self, payload: Mapping[str, Any], value: str) -> None:
        user = _user_id(payload)
        channel = action_channel(payload)
        try:
            ref = decode(value, TicketRef, key=self._d.metadata_key)
        except MetadataError as exc:
            await self._quietly_ephemeral(channel, user, f"This button could not be verified: {exc}")
            return
        ticket = await asyncio.to_thread(load_ticket, self._d.engine, ref.ticket_id)
        if ticket is None or ticket.jira_key is None:
            await self._quietly_ephemeral(
                channel, user, "This ticket is not ready to edit yet; try again shortly."
            )
            return
        template = self._d.template()
        if user != ticket.requester_id and user not in template.team(ticket.team).members:
            text = (
                f"Only the requester and the {template.team(ticket.team).name} team can edit "
                f"{ticket.jira_key}. Please comment in the thread instead."
            )
            await self._quietly_ephemeral(channel, user, text)
            return
        form = TicketForm.from_json(ticket.form) if ticket.form else None
        values: dict[str, object] = {
            "summary": form.summary if form else "",
            "description": form.description if form else "",
        }
        if form is not None:
            values.update({"impact": form.impact or "", "urgency": form.urgency or ""})
        meta = IntakeModalMeta(source="edit", requester=user, team=ticket.team, ticket_id=ticket.id)
        await self._open(
            payload, meta, summary="", description="", channel=channel, values=values, bucket=ticket.bucket
        )

    async def _quietly_ephemeral(self, channel: str, user: str, text: str) -> None:
        await tell_privately(self._d.chat, channel, user, text)

    # -- durable writes ---------------------------------------------------------------------------
    async def _record(self, dedupe_key: str, kind: str, raw: str) -> None:
        now = self._d.clock()

        def unit(conn: Connection) -> None:
            ticket_store.record_delivery(
                conn, dedupe_key=dedupe_key, kind=kind, body=raw, retry_num=0, now=now
            )

        await self._d.writer.submit(unit)

    def _create_unit(
        self,
        dedupe_key: str,
        raw: str,
        meta: IntakeModalMeta,
        team: Team,
        bucket: str,
        priority: str,
        form: TicketForm,
    ) -> Callable[[Connection], None]:
        now = self._d.clock()
        from_message = meta.source in ("message", "private") and meta.channel is not None
        channel = meta.channel if from_message and meta.channel else team.channels[0]

        def unit(conn: Connection) -> None:
            if not ticket_store.record_delivery(
                conn,
                dedupe_key=dedupe_key,
                kind="interaction:view_submission",
                body=raw,
                retry_num=0,
                now=now,
            ):
                return
            ticket_id = uuid.uuid4().hex
            opened = ticket_store.open_form_ticket(
                conn,
                ticket_id=ticket_id,
                team=team.key,
                channel_id=channel,
                message_ts=meta.message_ts if from_message else None,
                thread_ts=meta.thread_ts if from_message else None,
                bucket=bucket,
                priority=priority,
                source=meta.source,
                requester_id=meta.requester,
                form_json=form.to_json(),
                now=now,
            )
            if opened:
                job_store.enqueue(conn, JobKind.CREATE_TICKET, {"ticket_id": ticket_id}, now=now)
            else:
                payload = {
                    "team": team.key,
                    "channel": channel,
                    "ts": meta.message_ts,
                    "user": meta.requester,
                }
                job_store.enqueue(conn, JobKind.ALREADY_TRACKED, payload, now=now)

        return unit

    def _edit_unit(
        self,
        dedupe_key: str,
        raw: str,
        ticket_id: str,
        form: TicketForm,
        bucket: str,
        priority: str,
        user: str,
    ) -> Callable[[Connection], None]:
        now = self._d.clock()

        def unit(conn: Connection) -> None:
            if not ticket_store.record_delivery(
                conn,
                dedupe_key=dedupe_key,
                kind="interaction:view_submission",
                body=raw,
                retry_num=0,
                now=now,
            ):
                return
            payload = {
                "ticket_id": ticket_id,
                "form": form.to_json(),
                "bucket": bucket,
                "priority": priority,
                "user": user,
            }
            job_store.enqueue(conn, JobKind.EDIT_TICKET, payload, now=now)

        return unit


def _user_id(payload: Mapping[str, Any]) -> str:
    return str((payload.get("user") or {}).get("id") or "")


def _single_team_key(template: Template, channel: str | None) -> str | None:
    """The team that owns the channel; with one team in the template, that team."""
    if channel:
        team = team_for_channel(template, channel)
        if team is not None:
            return team.key
    return template.teams[0].key if len(template.teams) == 1 else None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:255]


def _ephemeral(text: str) -> Ack:
    return Ack.json({"response_type": "ephemeral", "text": text})


def _errors(errors: Mapping[str, str]) -> Ack:
    return modal_errors(errors)


__all__ = ["IntakeForm", "InteractionDeps", "Interactions"]
