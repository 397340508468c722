"""`dm.redirect`: answer a direct message with the standard redirect to the public channel.

Questions asked in public get public, searchable answers; the reply names the support channels and
offers a button that opens the intake modal for people who prefer the form.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ButtonElement, SectionBlock

from app.domain.errors import ExternalError, PermanentError
from app.domain.models import ReplyPost
from app.domain.slack_text import to_plain_text
from app.slack.faq_blocks import faq_answer_blocks
from app.slack.ids import ActionId
from app.slack.private_ask import ask_privately_button
from app.store.jobs import Job
from app.worker.ticket_jobs import TicketJobBase

DM_METADATA_TYPE = "interrupt_bridge_dm_redirect"


def dm_redirect_text(channels: list[str]) -> str:
    where = " or ".join(f"<#{c}>" for c in channels)
    return (
        f"Hi! Please ask in {where} so the answer is public and searchable for the next person, "
        "and the on-call person sees it. You can also open a request here and we will post it there."
    )


class DmJobs(TicketJobBase):
    async def dm_redirect(self, job: Job) -> None:
        """Idempotent: after an ambiguous first post, a retry looks for the reply before posting."""
        channel, ts = job.payload["channel"], job.payload["ts"]
        chat = self._ctx.chat
        if job.attempts > 1 and await chat.find_reply(channel, ts, DM_METADATA_TYPE, "ts", ts):
            return
        template = self._ctx.template()
        channels = [team.channels[0] for team in template.teams]
        text = dm_redirect_text(channels)
        public = ButtonElement(
            text=await self._public_label(channels), action_id=ActionId.open_modal, value="dm"
        )
        buttons: list[dict[str, Any]] = [public.to_dict()]
        if template.private.enabled:
            text += (
                " If you would rather not ask in public, ask privately: only the on-call person will see it."
            )
            buttons.append(
                ask_privately_button(
                    requester=job.payload["user"], channel=channel, message_ts=ts, key=self._ctx.metadata_key
                )
            )
        blocks = [
            SectionBlock(text=text).to_dict(),
            *(await self._faq_answers(channel, ts)),
            {"type": "actions", "elements": buttons},
        ]
        await chat.post_reply(
            ReplyPost(
                channel=channel,
                thread_ts=ts,
                text=text,
                blocks=blocks,
                metadata_type=DM_METADATA_TYPE,
                metadata={"ts": ts},
            )
        )

    async def _public_label(self, channels: list[str]) -> str:
        """'Ask in #platform-support' for one support channel, else 'Ask in a channel'."""
        if len(channels) == 1:
            try:
                name = await self._ctx.chat.channel_name(channels[0])
            except ExternalError:
                name = ""
            if name and name != channels[0]:
                return f"Ask in #{name}"[:75]  # Slack's limit on a button's text
        return "Ask in a channel"

    async def _faq_answers(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """FAQ entries that match the DM (no buttons: there is no ticket to resolve)."""
        faq = self._ctx.faq
        if faq is None:
            return []
        try:
            thread = await self._ctx.chat.thread_of(channel, ts)
        except PermanentError:
            return []
        message = next((m for m in thread if m.ts == ts), None)
        if message is None:
            return []
        version = faq.current()
        matches = version.matcher.suggest(
            to_plain_text(message.text, user_names={}),
            threshold=version.settings.threshold,
            limit=version.settings.max_answers,
        )
        return faq_answer_blocks([m.entry for m in matches], intro=":bulb: *Maybe this answers it already:*")
