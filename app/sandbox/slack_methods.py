"""The Slack Web API methods of the fake: arguments in, response body out, no HTTP.

Each handler reads its arguments the way Slack does (form strings or JSON values), acts on the
`SlackState` and returns the body of an `ok: true` answer, or raises `SlackError`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from app.sandbox.http_fake import FakeRequest
from app.sandbox.slack_models import JSON, Message, SlackError, ts_key
from app.sandbox.slack_state import SlackState

_TRUE = {True, "1", "true", "True"}


def _invalid(message: str) -> SlackError:
    return SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {message}"]})


def parse_args(request: FakeRequest) -> JSON:
    """The call's arguments from the query string plus a form or JSON body, as Slack reads them."""
    values: JSON = {k: v[-1] for k, v in request.query.items()}
    if not request.body:
        return values
    if "application/json" in request.headers.get("content-type", ""):
        try:
            body = request.json()
        except ValueError as exc:
            raise SlackError("invalid_json") from exc
        if not isinstance(body, dict):
            raise SlackError("json_not_object")
        values.update(body)
    else:
        values.update(request.form())
    return values


class Args:
    """Typed access to one call's arguments: strings from forms, native values from JSON."""

    def __init__(self, values: JSON) -> None:
        self.values = values

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def required(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise _invalid(f"missing required field: {name}")
        return value

    def flag(self, name: str) -> bool:
        return self.values.get(name) in _TRUE

    def number(self, name: str, default: int, *, low: int = 1, high: int = 1000) -> int:
        value = self.values.get(name, default)
        try:
            number = int(value)
        except (TypeError, ValueError) as exc:
            raise _invalid(f"invalid value for {name}: {value!r}") from exc
        return min(max(number, low), high)

    def structured(self, name: str, error: str = "invalid_arguments") -> Any:
        """A value that form calls send as a JSON string and JSON calls send as is."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            raise SlackError(error) from exc

    def id_list(self, name: str) -> list[str]:
        """A comma-separated string (as slack_sdk sends it) or a JSON array."""
        value = self.values.get(name)
        if isinstance(value, list):
            return [str(v) for v in value]
        return [part.strip() for part in str(value or "").split(",") if part.strip()]


class SlackWebApi:
    """Slack's method name -> handler, over one workspace."""

    def __init__(self, state: SlackState, upload_url: Callable[[str], str]) -> None:
        self.state = state
        self._upload_url = upload_url
        self.handlers: dict[str, Callable[[Args], JSON]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "reactions.add": self._reactions_add,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "usergroups.users.update": self._usergroups_users_update,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    def _auth_test(self, a: Args) -> JSON:
        s = self.state
        return {
            "url": f"https://{s.team_domain}.slack.com/",
            "team": s.team_name,
            "user": s.bot_name,
            "team_id": s.team_id,
            "user_id": s.bot_user_id,
            "bot_id": s.bot_id,
            "is_enterprise_install": False,
        }

    def _message_content(self, a: Args) -> tuple[str | None, list[JSON] | None, JSON | None]:
        blocks = a.structured("blocks", "invalid_blocks_format")
        if blocks is not None and not (isinstance(blocks, list) and all(isinstance(b, dict) for b in blocks)):
            raise SlackError("invalid_blocks")
        metadata = a.structured("metadata", "invalid_metadata_format")
        if metadata is not None:
            if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
                raise SlackError("invalid_metadata_format")
            if not isinstance(metadata.get("event_payload", {}), dict):
                raise SlackError("invalid_metadata_schema")
        return a.text("text"), blocks, metadata

    def _channel_id(self, a: Args, name: str = "channel") -> str:
        """An id, or a `#name` / `name` as chat.postMessage also accepts; a user id means the bot's DM."""
        value = a.required(name)
        if value in self.state.users and value not in self.state.channels:
            return self.state.open_im(value).id
        wanted = value.removeprefix("#")
        return next((c.id for c in self.state.channels.values() if c.name and c.name == wanted), value)

    def _chat_post_message(self, a: Args) -> JSON:
        channel = self._channel_id(a)
        text, blocks, metadata = self._message_content(a)
        if not text and not blocks and not a.values.get("attachments"):
            raise SlackError("no_text")
        message = self.state.post(
            channel,
            self.state.bot_user_id,
            text or "",
            thread_ts=a.text("thread_ts"),
            blocks=blocks,
            metadata=metadata,
            broadcast=a.flag("reply_broadcast"),
        )
        return {"channel": channel, "ts": message.ts, "message": self.state.message_api(message)}

    def _chat_update(self, a: Args) -> JSON:
        channel, ts = self._channel_id(a), a.required("ts")
        text, blocks, metadata = self._message_content(a)
        message = self.state.update(channel, ts, text=text, blocks=blocks, metadata=metadata)
        return {
            "channel": channel,
            "ts": ts,
            "text": message.text,
            "message": self.state.message_api(message),
        }

    def _chat_post_ephemeral(self, a: Args) -> JSON:
        channel, user = self._channel_id(a), a.required("user")
        text, blocks, _ = self._message_content(a)
        if not text and not blocks:
            raise SlackError("no_text")
        ts = self.state.post_ephemeral(
            channel, user, text or "", blocks=blocks, thread_ts=a.text("thread_ts")
        )
        return {"message_ts": ts}

    def _chat_get_permalink(self, a: Args) -> JSON:
        channel = a.required("channel")
        return {"channel": channel, "permalink": self.state.permalink(channel, a.required("message_ts"))}

    def _conversations_replies(self, a: Args) -> JSON:
        root, *replies = self.state.thread(a.required("channel"), a.required("ts"))
        return self._page(
            [root, *_between(replies, a)], a, default_limit=1000, metadata=a.flag("include_all_metadata")
        )

    def _conversations_history(self, a: Args) -> JSON:
        channel = self.state.channel(a.required("channel"))
        if not channel.is_im and self.state.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        newest_first = list(reversed(_between(self.state.top_level(channel.id), a)))
        page = self._page(newest_first, a, default_limit=100, metadata=a.flag("include_all_metadata"))
        return {**page, "pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0}

    def _page(self, messages: list[Message], a: Args, *, default_limit: int, metadata: bool) -> JSON:
        """Cursor pagination in Slack's shape; the cursor is opaque to clients, an offset here."""
        offset = _decode_cursor(a.text("cursor"))
        limit = a.number("limit", default_limit)
        page = messages[offset : offset + limit]
        body: JSON = {
            "messages": [self.state.message_api(m, with_metadata=metadata) for m in page],
            "has_more": offset + limit < len(messages),
        }
        if body["has_more"]:
            cursor = base64.b64encode(f"next_offset:{offset + limit}".encode()).decode()
            body["response_metadata"] = {"next_cursor": cursor}
        return body

    def _conversations_info(self, a: Args) -> JSON:
        channel = self.state.channel(a.required("channel"))
        api = channel.to_api(
            bot_user_id=self.state.bot_user_id, with_num_members=a.flag("include_num_members")
        )
        return {"channel": api}

    def _conversations_join(self, a: Args) -> JSON:
        channel = self.state.channel(a.required("channel"))
        joined = self.state.join(channel.id, self.state.bot_user_id)
        body: JSON = {"channel": channel.to_api(bot_user_id=self.state.bot_user_id)}
        if not joined:
            body.update(warning="already_in_channel", response_metadata={"warnings": ["already_in_channel"]})
        return body

    def _reactions_add(self, a: Args) -> JSON:
        channel, ts, name = a.required("channel"), a.required("timestamp"), a.required("name")
        self.state.add_reaction(channel, ts, name, self.state.bot_user_id)
        return {}

    def _users_info(self, a: Args) -> JSON:
        return {"user": self.state.user(a.required("user")).to_api(self.state.team_id, self.state.app_id)}

    def _users_lookup_by_email(self, a: Args) -> JSON:
        user = self.state.user_by_email(a.required("email"))
        return {"user": user.to_api(self.state.team_id, self.state.app_id)}

    def _usergroups_list(self, a: Args) -> JSON:
        groups = self.state.usergroups.values()
        with_users, with_count = a.flag("include_users"), a.flag("include_count")
        return {
            "usergroups": [
                g.to_api(self.state.team_id, with_users=with_users, with_count=with_count) for g in groups
            ]
        }

    def _usergroups_users_list(self, a: Args) -> JSON:
        return {"users": list(self.state.usergroup(a.required("usergroup")).users)}

    def _usergroups_users_update(self, a: Args) -> JSON:
        group = self.state.set_usergroup_users(a.required("usergroup"), a.id_list("users"))
        return {"usergroup": group.to_api(self.state.team_id, with_count=a.flag("include_count"))}

    def _view_body(self, a: Args) -> JSON:
        view = a.structured("view")
        if not isinstance(view, dict):
            raise _invalid("missing required field: view")
        return view

    def _views_open(self, a: Args) -> JSON:
        trigger_id = a.text("trigger_id") or a.text("interactivity_pointer")
        if not trigger_id:
            raise _invalid("missing required field: trigger_id")
        return {"view": self.state.view_api(self.state.open_view(trigger_id, self._view_body(a)))}

    def _views_update(self, a: Args) -> JSON:
        view_id, external_id = a.text("view_id"), a.text("external_id")
        if not view_id and not external_id:
            raise _invalid("missing required field: view_id or external_id")
        view = self.state.update_view(view_id, external_id, a.text("hash"), self._view_body(a))
        return {"view": self.state.view_api(view)}

    def _views_publish(self, a: Args) -> JSON:
        view = self.state.publish_view(a.required("user_id"), self._view_body(a), a.text("hash"))
        return {"view": self.state.view_api(view)}

    def _files_get_upload_url(self, a: Args) -> JSON:
        length = a.number("length", 0, low=0, high=1 << 40)
        if length < 1:
            raise _invalid("missing required field: length")
        upload = self.state.new_upload(
            a.required("filename"), length, a.text("alt_txt"), a.text("snippet_type")
        )
        return {"upload_url": self._upload_url(upload.upload_key), "file_id": upload.id}

    def _files_complete_upload(self, a: Args) -> JSON:
        items = a.structured("files")
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            raise _invalid("missing required field: files")
        channels = a.id_list("channels") + ([a.required("channel_id")] if a.text("channel_id") else [])
        uploads = self.state.complete_uploads(
            items, channels, thread_ts=a.text("thread_ts"), initial_comment=a.text("initial_comment")
        )
        s = self.state
        return {
            "files": [
                u.to_api(team_id=s.team_id, team_domain=s.team_domain, user_id=s.bot_user_id) for u in uploads
            ]
        }


def _between(messages: list[Message], a: Args) -> list[Message]:
    """Messages after `oldest` and before `latest` (both ends included when `inclusive`)."""
    bounds: list[tuple[int, int] | None] = []
    for name in ("oldest", "latest"):
        value = a.text(name)
        try:
            bounds.append(ts_key(value) if value else None)
        except ValueError as exc:
            raise SlackError(f"invalid_ts_{name}") from exc
    oldest, latest = bounds
    inclusive = a.flag("inclusive")

    def keep(message: Message) -> bool:
        key = ts_key(message.ts)
        above = oldest is None or key > oldest or (inclusive and key == oldest)
        below = latest is None or key < latest or (inclusive and key == latest)
        return above and below

    return [m for m in messages if keep(m)]


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        prefix, _, offset = base64.b64decode(cursor, validate=True).decode().partition(":")
        if prefix == "next_offset" and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise SlackError("invalid_cursor")
