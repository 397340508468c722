"""Records of the fake Slack workspace and how each renders in Web API responses.

The `to_api` shapes follow ../shared/specs/slack/api-responses: the fields a client reads,
with real-looking values, not every placeholder field of those samples.
"""

from __future__ import annotations

import mimetypes
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
MAX_VIEW_BLOCKS = 100


class SlackError(Exception):
    """A Slack API error: `error` is Slack's code, `extra` is merged into the response body."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def ts_key(ts: str) -> tuple[int, int]:
    """Order Slack timestamps exactly (floats would lose the microseconds)."""
    seconds, _, micros = ts.partition(".")
    if not seconds.isdigit() or not (micros.isdigit() or micros == ""):
        raise ValueError(f"not a Slack timestamp: {ts!r}")
    return int(seconds), int(micros.ljust(6, "0")[:6] or 0)


@dataclass
class User:
    id: str
    name: str
    real_name: str
    email: str | None = None
    display_name: str = ""
    is_bot: bool = False
    deleted: bool = False
    bot_id: str | None = None
    tz: str = "Europe/London"
    tz_label: str = "Greenwich Mean Time"
    tz_offset: int = 0

    def to_api(self, team_id: str, app_id: str) -> JSON:
        first, _, last = self.real_name.partition(" ")
        profile: JSON = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "first_name": first,
            "last_name": last,
            "status_text": "",
            "status_emoji": "",
            "avatar_hash": f"g{self.id[-6:].lower()}",
            "image_48": f"https://avatars.slack-edge.com/{self.id}_48.png",
            "image_192": f"https://avatars.slack-edge.com/{self.id}_192.png",
            "team": team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        if self.is_bot:
            profile.update(bot_id=self.bot_id, api_app_id=app_id, always_active=True)
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz_label,
            "tz_offset": self.tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "is_email_confirmed": self.email is not None,
        }


@dataclass
class Channel:
    id: str
    name: str
    is_im: bool = False
    is_private: bool = False
    members: list[str] = field(default_factory=list)
    created: int = field(default_factory=lambda: int(time.time()))

    def to_api(self, *, bot_user_id: str, with_num_members: bool = False) -> JSON:
        if self.is_im:
            other = next((m for m in self.members if m != bot_user_id), bot_user_id)
            return {"id": self.id, "is_im": True, "user": other, "created": self.created, "is_open": True}
        body: JSON = {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": False,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": bot_user_id in self.members,
            "created": self.created,
            "creator": self.members[0] if self.members else "",
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }
        if with_num_members:
            body["num_members"] = len(self.members)
        return body


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    user: str
    bot_id: str | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    blocks: list[JSON] | None = None
    metadata: JSON | None = None
    files: list[JSON] | None = None
    broadcast: bool = False
    edited: JSON | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    reply_users: list[str] = field(default_factory=list)
    reply_count: int = 0
    latest_reply: str | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def reaction_list(self) -> list[JSON]:
        return [{"name": n, "users": list(u), "count": len(u)} for n, u in self.reactions.items()]

    def to_api(self, *, team_id: str, app_id: str, with_metadata: bool = True) -> JSON:
        body: JSON = {"type": "message", "ts": self.ts, "user": self.user, "text": self.text, "team": team_id}
        if self.bot_id is not None:
            body.update(bot_id=self.bot_id, app_id=app_id)
        if self.blocks is not None:
            body["blocks"] = self.blocks
        if self.files:
            body.update(files=self.files, upload=False, display_as_bot=False)
        if self.thread_ts is not None:
            body["thread_ts"] = self.thread_ts
        if self.parent_user_id is not None:
            body["parent_user_id"] = self.parent_user_id
        if self.broadcast:
            body["subtype"] = "thread_broadcast"
        if self.reply_count:
            body.update(
                reply_count=self.reply_count,
                reply_users=self.reply_users[:5],
                reply_users_count=len(self.reply_users),
                latest_reply=self.latest_reply,
            )
        if self.edited is not None:
            body["edited"] = self.edited
        if self.reactions:
            body["reactions"] = self.reaction_list()
        if with_metadata and self.metadata is not None:
            body["metadata"] = self.metadata
        return body


@dataclass
class Usergroup:
    id: str
    handle: str
    name: str
    description: str = ""
    users: list[str] = field(default_factory=list)
    date_update: int = field(default_factory=lambda: int(time.time()))
    updated_by: str = ""

    def to_api(self, team_id: str, *, with_users: bool = True, with_count: bool = False) -> JSON:
        body: JSON = {
            "id": self.id,
            "team_id": team_id,
            "is_usergroup": True,
            "is_subteam": True,
            "name": self.name,
            "description": self.description,
            "handle": self.handle,
            "is_external": False,
            "date_create": 1_700_000_000,
            "date_update": self.date_update,
            "date_delete": 0,
            "auto_type": None,
            "auto_provision": False,
            "enterprise_subteam_id": "",
            "created_by": self.updated_by,
            "updated_by": self.updated_by,
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
        }
        if with_users:
            body["users"] = list(self.users)
        if with_count:
            body["user_count"] = len(self.users)
        return body


@dataclass
class View:
    id: str
    body: JSON
    hash: str
    external_id: str = ""
    user_id: str | None = None  # set for Home tabs (views.publish)
    previous_view_id: str | None = None

    def to_api(self, *, team_id: str, app_id: str, bot_id: str) -> JSON:
        return {
            "id": self.id,
            "team_id": team_id,
            "type": self.body.get("type", "modal"),
            "title": self.body.get("title"),
            "submit": self.body.get("submit"),
            "close": self.body.get("close"),
            "blocks": self.body.get("blocks", []),
            "private_metadata": self.body.get("private_metadata", ""),
            "callback_id": self.body.get("callback_id", ""),
            "external_id": self.external_id,
            "state": {"values": {}},
            "hash": self.hash,
            "clear_on_close": bool(self.body.get("clear_on_close", False)),
            "notify_on_close": bool(self.body.get("notify_on_close", False)),
            "submit_disabled": bool(self.body.get("submit_disabled", False)),
            "root_view_id": self.id,
            "previous_view_id": self.previous_view_id,
            "app_id": app_id,
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        }


@dataclass
class UploadedFile:
    id: str
    name: str
    length: int
    upload_key: str
    alt_txt: str | None = None
    snippet_type: str | None = None
    title: str = ""
    content: bytes | None = None
    channels: list[str] = field(default_factory=list)
    completed: bool = False
    created: int = field(default_factory=lambda: int(time.time()))

    def to_api(self, *, team_id: str, team_domain: str, user_id: str) -> JSON:
        mimetype = mimetypes.guess_type(self.name)[0] or "application/octet-stream"
        extension = self.name.rpartition(".")[2].lower() if "." in self.name else "binary"
        url = f"https://files.slack.com/files-pri/{team_id}-{self.id}/{self.name}"
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": mimetype,
            "filetype": extension,
            "pretty_type": extension.upper(),
            "user": user_id,
            "user_team": team_id,
            "editable": False,
            "size": len(self.content or b""),
            "mode": "hosted",
            "is_external": False,
            "is_public": bool(self.channels),
            "display_as_bot": False,
            "url_private": url,
            "url_private_download": url.replace("files-pri", "files-pri/download", 1),
            "permalink": f"https://{team_domain}.slack.com/files/{user_id}/{self.id}/{self.name}",
            "channels": list(self.channels),
            "groups": [],
            "ims": [],
            "alt_txt": self.alt_txt or "",
            "has_rich_preview": False,
            "file_access": "visible",
        }


def new_hash() -> str:
    """A view hash in Slack's `<unix time>.<random>` shape; it changes on every update."""
    return f"{int(time.time())}.{secrets.token_urlsafe(6)[:8]}"


def check_view(body: JSON, *types: str) -> None:
    """The checks Slack makes before accepting a view, with its `invalid_arguments` messages."""
    problems: list[str] = []
    if body.get("type") not in types:
        problems.append(f"[ERROR] must be one of {list(types)} [json-pointer:/view/type]")
    if body.get("type") == "modal" and not isinstance(body.get("title"), dict):
        problems.append("[ERROR] missing required field: title [json-pointer:/view]")
    blocks = body.get("blocks")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) and "type" in b for b in blocks):
        problems.append("[ERROR] missing required field: blocks [json-pointer:/view]")
    elif len(blocks) > MAX_VIEW_BLOCKS:
        problems.append(f"[ERROR] no more than {MAX_VIEW_BLOCKS} items allowed [json-pointer:/view/blocks]")
    if problems:
        raise SlackError("invalid_arguments", response_metadata={"messages": problems})
