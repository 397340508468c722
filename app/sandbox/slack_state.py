"""The workspace behind the fake Slack Web API: users, channels, messages, views and files.

Kept apart from HTTP so that the sandbox and tests can seed and inspect it directly. Every
public method takes the lock it was given (the fake server's), so HTTP handler threads and
test code see one consistent workspace. Failures raise `SlackError` with Slack's own error code.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Iterable

from app.sandbox.slack_models import (
    JSON,
    Channel,
    Message,
    SlackError,
    UploadedFile,
    User,
    Usergroup,
    View,
    check_view,
    new_hash,
)

# Real trigger ids look like "13345224609.738474920.8088930838d88f008e0".
TRIGGER_ID_RE = re.compile(r"^\d+\.\d+\.[0-9A-Za-z]+$")


class SlackState:
    """One fake workspace with one installed bot."""

    def __init__(
        self,
        lock: threading.RLock,
        *,
        team_id: str = "T0INTBRDG",
        team_name: str = "Interrupt Bridge Demo",
        team_domain: str = "interrupt-bridge-demo",
        app_id: str = "A0INTBRDG",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        bot_name: str = "interrupt-bridge",
    ) -> None:
        self.lock = lock
        self.team_id, self.team_name, self.team_domain = team_id, team_name, team_domain
        self.app_id, self.bot_user_id, self.bot_id, self.bot_name = app_id, bot_user_id, bot_id, bot_name
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.ephemerals: list[JSON] = []
        self.views: dict[str, View] = {}
        self.files: dict[str, UploadedFile] = {}
        self.expired_trigger_ids: set[str] = set()
        self._used_trigger_ids: set[str] = set()
        self._messages: dict[str, list[Message]] = {}
        self._by_ts: dict[tuple[str, str], Message] = {}
        self._seq = 0
        self._last_micros = 0
        self.add_user(User(bot_user_id, bot_name, "Interrupt Bridge", is_bot=True, bot_id=bot_id))

    # -- ids and lookups -----------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        with self.lock:
            self._seq += 1
            return f"{prefix}0{self._seq:08X}"

    def next_ts(self) -> str:
        """Wall-clock timestamps that are unique and strictly increasing, as Slack's are per channel."""
        with self.lock:
            micros = max(time.time_ns() // 1000, self._last_micros + 1)
            self._last_micros = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def user(self, user_id: str) -> User:
        with self.lock:
            found = self.users.get(user_id)
        if found is None:
            raise SlackError("user_not_found")
        return found

    def user_by_email(self, email: str) -> User:
        with self.lock:
            for user in self.users.values():
                if user.email is not None and user.email.lower() == email.lower():
                    return user
        raise SlackError("users_not_found")

    def channel(self, channel_id: str) -> Channel:
        with self.lock:
            found = self.channels.get(channel_id)
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def usergroup(self, usergroup_id: str) -> Usergroup:
        with self.lock:
            found = self.usergroups.get(usergroup_id)
        if found is None:
            raise SlackError("no_such_subteam")
        return found

    def message(self, channel_id: str, ts: str) -> Message:
        with self.lock:
            self.channel(channel_id)
            found = self._by_ts.get((channel_id, ts))
        if found is None:
            raise SlackError("message_not_found")
        return found

    # -- seeding -------------------------------------------------------------------------------
    def add_user(self, user: User) -> User:
        with self.lock:
            self.users[user.id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        members: Iterable[str] = (),
        is_im: bool = False,
        is_private: bool = False,
    ) -> Channel:
        channel = Channel(channel_id, name, is_im=is_im, is_private=is_private, members=list(members))
        with self.lock:
            self.channels[channel_id] = channel
            self._messages.setdefault(channel_id, [])
        return channel

    def add_usergroup(
        self, usergroup_id: str, handle: str, name: str, *, users: Iterable[str] = (), description: str = ""
    ) -> Usergroup:
        group = Usergroup(usergroup_id, handle, name, description, list(users), updated_by=self.bot_user_id)
        with self.lock:
            self.usergroups[usergroup_id] = group
        return group

    def open_im(self, user_id: str) -> Channel:
        """The bot's DM with `user_id` (id `D` + the user id's rest), opened on first use."""
        with self.lock:
            user = self.user(user_id)
            if user.deleted:
                raise SlackError("user_disabled")
            channel_id = f"D{user_id[1:]}"
            found = self.channels.get(channel_id)
            if found is None:
                found = self.add_channel(channel_id, "", members=[self.bot_user_id, user_id], is_im=True)
            return found

    # -- membership and groups -----------------------------------------------------------------
    def join(self, channel_id: str, user_id: str) -> bool:
        """Add `user_id` to the channel; False when it was a member already."""
        with self.lock:
            channel = self.channel(channel_id)
            if channel.is_im:
                raise SlackError("method_not_supported_for_channel_type")
            if user_id in channel.members:
                return False
            channel.members.append(user_id)
            return True

    def set_usergroup_users(self, usergroup_id: str, user_ids: list[str]) -> Usergroup:
        """Replace the whole member list, as usergroups.users.update does."""
        with self.lock:
            group = self.usergroup(usergroup_id)
            if not user_ids:
                raise SlackError("no_users_provided")
            unknown = [u for u in user_ids if u not in self.users or self.users[u].deleted]
            if unknown:
                raise SlackError(
                    "invalid_users", response_metadata={"messages": [f"invalid users: {unknown}"]}
                )
            group.users = list(dict.fromkeys(user_ids))
            group.date_update = int(time.time())
            group.updated_by = self.bot_user_id
            return group

    # -- messages ------------------------------------------------------------------------------
    def post(
        self,
        channel_id: str,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[JSON] | None = None,
        metadata: JSON | None = None,
        broadcast: bool = False,
        files: list[JSON] | None = None,
    ) -> Message:
        """Post as `user_id` (the bot's messages also carry `bot_id`).

        A `thread_ts` naming a reply threads under that reply's parent, and one naming no
        message in the channel posts at top level, which is what Slack does with both.
        """
        with self.lock:
            channel = self.channel(channel_id)
            user = self.user(user_id)
            if user_id not in channel.members:
                raise SlackError("not_in_channel")
            root = self._by_ts.get((channel_id, thread_ts)) if thread_ts else None
            if root is not None and root.is_reply:
                root = self._by_ts[(channel_id, str(root.thread_ts))]
            message = Message(
                channel_id,
                self.next_ts(),
                text,
                user_id,
                bot_id=user.bot_id if user.is_bot else None,
                blocks=blocks,
                metadata=metadata,
                files=files,
            )
            if root is not None:
                root.thread_ts = root.ts
                root.reply_count += 1
                if user_id not in root.reply_users:
                    root.reply_users.append(user_id)
                root.latest_reply = message.ts
                message.thread_ts, message.parent_user_id, message.broadcast = root.ts, root.user, broadcast
            self._messages[channel_id].append(message)
            self._by_ts[(channel_id, message.ts)] = message
            return message

    def update(
        self, channel_id: str, ts: str, *, text: str | None, blocks: list[JSON] | None, metadata: JSON | None
    ) -> Message:
        with self.lock:
            message = self.message(channel_id, ts)
            if message.user != self.bot_user_id:
                raise SlackError("cant_update_message")
            if text is not None:
                message.text = text
            if blocks is not None:
                message.blocks = blocks
            if metadata is not None:
                message.metadata = metadata
            message.edited = {"user": self.bot_user_id, "ts": self.next_ts()}
            return message

    def post_ephemeral(
        self, channel_id: str, user_id: str, text: str, *, blocks: list[JSON] | None, thread_ts: str | None
    ) -> str:
        with self.lock:
            channel = self.channel(channel_id)
            self.user(user_id)
            if not channel.is_im and self.bot_user_id not in channel.members:
                raise SlackError("not_in_channel")
            if user_id not in channel.members:
                raise SlackError("user_not_in_channel")
            message_ts = self.next_ts()
            self.ephemerals.append(
                {
                    "channel": channel_id,
                    "user": user_id,
                    "text": text,
                    "blocks": blocks,
                    "thread_ts": thread_ts,
                    "message_ts": message_ts,
                }
            )
            return message_ts

    def permalink(self, channel_id: str, ts: str) -> str:
        message = self.message(channel_id, ts)
        link = f"https://{self.team_domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={channel_id}"
        return link

    def add_reaction(self, channel_id: str, ts: str, name: str, user_id: str) -> None:
        if not re.fullmatch(r"[a-z0-9_+'\-]+(::skin-tone-[2-6])?", name):
            raise SlackError("invalid_name")
        with self.lock:
            message = self.message(channel_id, ts)
            users = message.reactions.setdefault(name, [])
            if user_id in users:
                raise SlackError("already_reacted")
            users.append(user_id)

    def top_level(self, channel_id: str) -> list[Message]:
        """What the channel itself shows, oldest first: parents, plain messages and broadcasts."""
        with self.lock:
            self.channel(channel_id)
            return [m for m in self._messages[channel_id] if not m.is_reply or m.broadcast]

    def thread(self, channel_id: str, ts: str) -> list[Message]:
        """The parent then its replies, for a parent's or a reply's `ts`; an unthreaded message alone."""
        with self.lock:
            self.channel(channel_id)
            found = self._by_ts.get((channel_id, ts))
            if found is None:
                raise SlackError("thread_not_found")
            root = self._by_ts[(channel_id, str(found.thread_ts))] if found.is_reply else found
            replies = [m for m in self._messages[channel_id] if m.is_reply and m.thread_ts == root.ts]
            return [root, *replies]

    # -- views ---------------------------------------------------------------------------------
    def open_view(self, trigger_id: str, body: JSON) -> View:
        with self.lock:
            if not TRIGGER_ID_RE.match(trigger_id):
                raise SlackError("invalid_trigger_id")
            if trigger_id in self.expired_trigger_ids:
                raise SlackError("expired_trigger_id")
            if trigger_id in self._used_trigger_ids:
                raise SlackError("exchanged_trigger_id")
            check_view(body, "modal")
            external_id = str(body.get("external_id", ""))
            self._check_external_id(external_id, None)
            self._used_trigger_ids.add(trigger_id)
            view = View(self.new_id("V"), body, new_hash(), external_id)
            self.views[view.id] = view
            return view

    def update_view(
        self, view_id: str | None, external_id: str | None, hash_: str | None, body: JSON
    ) -> View:
        with self.lock:
            view = next(
                (
                    v
                    for v in self.views.values()
                    if v.id == view_id or (external_id and v.external_id == external_id)
                ),
                None,
            )
            if view is None:
                raise SlackError("not_found")
            if hash_ is not None and hash_ != view.hash:
                raise SlackError("hash_conflict")
            check_view(body, "modal", "home")
            new_external_id = str(body.get("external_id", view.external_id))
            self._check_external_id(new_external_id, view.id)
            view.body, view.hash, view.external_id = body, new_hash(), new_external_id
            return view

    def publish_view(self, user_id: str, body: JSON, hash_: str | None) -> View:
        with self.lock:
            self.user(user_id)
            check_view(body, "home")
            view = next((v for v in self.views.values() if v.user_id == user_id), None)
            if view is None:
                view = View(self.new_id("V"), body, new_hash(), str(body.get("external_id", "")), user_id)
                self.views[view.id] = view
                return view
            if hash_ is not None and hash_ != view.hash:
                raise SlackError("hash_conflict")
            view.body, view.hash = body, new_hash()
            return view

    def _check_external_id(self, external_id: str, own_view_id: str | None) -> None:
        if external_id and any(
            v.external_id == external_id and v.id != own_view_id for v in self.views.values()
        ):
            raise SlackError("duplicate_external_id")

    # -- files ---------------------------------------------------------------------------------
    def new_upload(
        self, filename: str, length: int, alt_txt: str | None, snippet_type: str | None
    ) -> UploadedFile:
        upload = UploadedFile(
            self.new_id("F"), filename, length, secrets.token_urlsafe(16), alt_txt, snippet_type
        )
        with self.lock:
            self.files[upload.id] = upload
        return upload

    def receive_upload(self, upload_key: str, content: bytes) -> UploadedFile | None:
        with self.lock:
            upload = next((f for f in self.files.values() if f.upload_key == upload_key), None)
            if upload is not None:
                upload.content = content
            return upload

    def complete_uploads(
        self, items: list[JSON], channel_ids: list[str], *, thread_ts: str | None, initial_comment: str | None
    ) -> list[UploadedFile]:
        """Finish uploads; sharing them posts one bot message per channel, as Slack does."""
        with self.lock:
            uploads: list[UploadedFile] = []
            for item in items:
                upload = self.files.get(str(item.get("id")))
                if upload is None or upload.content is None:
                    raise SlackError("file_not_found")
                uploads.append(upload)
            for channel_id in channel_ids:
                if self.bot_user_id not in self.channel(channel_id).members:
                    raise SlackError("not_in_channel")
            for upload, item in zip(uploads, items, strict=True):
                upload.title = str(item.get("title") or upload.name)
                upload.completed = True
                upload.channels = list(dict.fromkeys([*upload.channels, *channel_ids]))
            for channel_id in channel_ids:
                shared = [
                    u.to_api(team_id=self.team_id, team_domain=self.team_domain, user_id=self.bot_user_id)
                    for u in uploads
                ]
                self.post(
                    channel_id, self.bot_user_id, initial_comment or "", thread_ts=thread_ts, files=shared
                )
            return uploads

    # -- rendering -----------------------------------------------------------------------------
    def message_api(self, message: Message, *, with_metadata: bool = True) -> JSON:
        with self.lock:
            body = message.to_api(team_id=self.team_id, app_id=self.app_id, with_metadata=with_metadata)
            if message.bot_id is not None:
                body["bot_profile"] = {
                    "id": message.bot_id,
                    "app_id": self.app_id,
                    "name": self.bot_name,
                    "team_id": self.team_id,
                    "deleted": False,
                    "updated": 1_700_000_000,
                    "icons": {"image_48": f"https://avatars.slack-edge.com/{message.bot_id}_48.png"},
                }
            return body

    def view_api(self, view: View) -> JSON:
        return view.to_api(team_id=self.team_id, app_id=self.app_id, bot_id=self.bot_id)


__all__ = ["TRIGGER_ID_RE", "SlackError", "SlackState"]
