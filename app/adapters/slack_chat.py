"""`Chat` on slack_sdk's AsyncWebClient: thin translation plus error mapping and small caches."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from app.domain.errors import AmbiguousError, PermanentError, RetryableError, UserGroupUnavailable
from app.domain.models import BotIdentity, ChatMessage, ChatUser, ReplyPost, UserGroupRef
from app.observability.metrics import observe_upstream, rate_limit_wait

# Slack answers HTTP 200 {"ok": false} for most failures; these are worth another try.
_RETRYABLE_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
_CACHE_TTL_S = 600.0
# An operator has to act on these (workspace settings, plan, app scopes, the template's group).
_USERGROUP_ERRORS = frozenset(
    {"permission_denied", "plan_upgrade_required", "missing_scope", "no_such_subteam"}
)


def make_client(*, token: str, base_url: str, timeout_s: float = 15.0) -> AsyncWebClient:
    """A client that retries rate limits itself (honouring Retry-After) but never a failed post:
    slack_sdk's default connection-error retry could post a reply twice."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=int(timeout_s),
        retry_handlers=[CountedRateLimitRetryHandler(max_retry_count=2)],
    )


class CountedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (sleeps for Retry-After, then retries), counted in the metrics."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is not None:  # without one, the parent re-raises the error
            rate_limit_wait("slack_client", _retry_after(response.headers) or 1.0)
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


class SlackChat:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._users: dict[str, tuple[float, ChatUser]] = {}
        self._channels: dict[str, tuple[float, str]] = {}
        self._identity: BotIdentity | None = None
        self._emails: dict[str, tuple[float, ChatUser | None]] = {}
        self._usergroups: tuple[float, list[UserGroupRef]] | None = None

    async def open(self) -> None:
        """Share one HTTP session (and its keep-alive connections) across calls.

        Without it slack_sdk opens a new aiohttp session, and a new TCP connection, per call.
        Must run inside the event loop that will use it.
        """
        if self._client.session is None or self._client.session.closed:
            self._client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._client.timeout)
            )

    async def close(self) -> None:
        session = self._client.session
        if session is not None and not session.closed:
            await session.close()
        self._client.session = None

    async def _call(self, method: str, *, ambiguous: bool = False, **kwargs: Any) -> dict[str, Any]:
        # slack_sdk's own method (chat_postMessage for chat.postMessage) encodes arguments as Slack expects
        call = getattr(self._client, method.replace(".", "_"))
        started, error = time.perf_counter(), None
        try:
            response = await call(**kwargs)
        except SlackApiError as exc:
            error = _map_api_error(method, exc)
            raise error from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            kind = AmbiguousError if ambiguous else RetryableError
            error = kind(f"slack {method}: {type(exc).__name__}: {exc}")
            raise error from None
        except Exception as exc:
            error = exc
            raise
        finally:
            observe_upstream("slack", method, started, error)
        data = response.data
        return data if isinstance(data, dict) else {}

    async def bot_identity(self) -> BotIdentity:
        if self._identity is None:
            data = await self._call("auth.test")
            self._identity = BotIdentity(
                user_id=str(data.get("user_id", "")), bot_id=data.get("bot_id"), team_id=data.get("team_id")
            )
        return self._identity

    async def thread_of(self, channel: str, ts: str) -> list[ChatMessage]:
        messages: list[ChatMessage] = []
        cursor: str | None = None
        for _ in range(10):  # at most 2,000 messages of context
            args: dict[str, Any] = {"channel": channel, "ts": ts, "limit": 200}
            if cursor:
                args["cursor"] = cursor
            data = await self._call("conversations.replies", **args)
            messages.extend(_message(channel, raw) for raw in data.get("messages", []))
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not data.get("has_more") or not cursor:
                break
        return messages

    async def permalink(self, channel: str, ts: str) -> str:
        data = await self._call("chat.getPermalink", channel=channel, message_ts=ts)
        return str(data["permalink"])

    async def user(self, user_id: str) -> ChatUser:
        cached = self._users.get(user_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        data = await self._call("users.info", user=user_id)
        user = _user(user_id, data.get("user") or {})
        self._users[user_id] = (time.monotonic() + _CACHE_TTL_S, user)
        return user

    async def channel_name(self, channel: str) -> str:
        cached = self._channels.get(channel)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        data = await self._call("conversations.info", channel=channel)
        name = str((data.get("channel") or {}).get("name") or channel)
        self._channels[channel] = (time.monotonic() + _CACHE_TTL_S, name)
        return name

    async def post_reply(self, post: ReplyPost) -> str:
        data = await self._call(
            "chat.postMessage",
            ambiguous=True,
            channel=post.channel,
            **({"thread_ts": post.thread_ts} if post.thread_ts else {}),
            text=post.text,
            **({"blocks": post.blocks} if post.blocks else {}),
            metadata={"event_type": post.metadata_type, "event_payload": post.metadata},
            unfurl_links=False,
        )
        return str(data["ts"])

    async def find_reply(
        self, channel: str, thread_ts: str, metadata_type: str, key: str, value: str
    ) -> str | None:
        data = await self._call(
            "conversations.replies", channel=channel, ts=thread_ts, include_all_metadata=True, limit=1000
        )
        return _find_by_metadata(data.get("messages", []), metadata_type, key, value)

    async def find_channel_message(
        self, channel: str, metadata_type: str, key: str, value: str
    ) -> str | None:
        data = await self._call(
            "conversations.history", channel=channel, include_all_metadata=True, limit=200
        )
        return _find_by_metadata(data.get("messages", []), metadata_type, key, value)

    async def update_message(self, channel: str, ts: str, *, text: str, blocks: list[dict[str, Any]]) -> None:
        await self._call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks)

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        data = await self._call("views.open", trigger_id=trigger_id, view=view)
        return str((data.get("view") or {}).get("id", ""))

    async def update_view(self, view_id: str, view: dict[str, Any], *, view_hash: str | None) -> None:
        extra: dict[str, Any] = {"hash": view_hash} if view_hash else {}
        await self._call("views.update", view_id=view_id, view=view, **extra)

    async def add_reaction(self, channel: str, ts: str, name: str) -> None:
        try:
            await self._call("reactions.add", channel=channel, timestamp=ts, name=name)
        except PermanentError as exc:
            if "already_reacted" not in str(exc):
                raise

    async def post_ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        args: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            args["thread_ts"] = thread_ts
        await self._call("chat.postEphemeral", **args)

    # -- on call ---------------------------------------------------------------------------------
    async def lookup_user_by_email(self, email: str) -> ChatUser | None:
        key = email.lower()
        cached = self._emails.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        found: ChatUser | None
        try:
            data = await self._call("users.lookupByEmail", email=email)
        except PermanentError as exc:
            if "users_not_found" not in str(exc):
                raise
            found = None
        else:
            raw = data.get("user") or {}
            found = _user(str(raw.get("id") or ""), raw)
        self._emails[key] = (time.monotonic() + _CACHE_TTL_S, found)
        return found

    async def usergroup(self, ref: str) -> UserGroupRef | None:
        wanted = ref.removeprefix("@")
        cached = self._usergroups
        if cached is None or cached[0] <= time.monotonic():
            data = await self._call("usergroups.list")
            groups = [
                UserGroupRef(id=str(g.get("id") or ""), handle=str(g.get("handle") or ""))
                for g in data.get("usergroups", [])
            ]
            cached = self._usergroups = (time.monotonic() + _CACHE_TTL_S, groups)
        return next((g for g in cached[1] if wanted in (g.id, g.handle)), None)

    async def usergroup_users_update(self, usergroup_id: str, users: list[str]) -> None:
        # slack_sdk sends the list as the comma-separated string the method's spec asks for
        await self._call("usergroups.users.update", usergroup=usergroup_id, users=users)

    async def post_dm(self, user: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        # A user id as the channel posts in the app's DM with that user, opening it if needed.
        data = await self._call(
            "chat.postMessage",
            ambiguous=True,
            channel=user,
            text=text,
            **({"blocks": blocks} if blocks else {}),
            unfurl_links=False,
        )
        return str(data["ts"])


def _user(user_id: str, raw: dict[str, Any]) -> ChatUser:
    profile = raw.get("profile") or {}
    return ChatUser(
        id=user_id,
        name=str(raw.get("name") or user_id),
        real_name=str(profile.get("real_name") or raw.get("real_name") or profile.get("display_name") or ""),
        email=profile.get("email") or None,
        is_bot=bool(raw.get("is_bot")),
        deleted=bool(raw.get("deleted")),
    )


def _find_by_metadata(messages: list[dict[str, Any]], metadata_type: str, key: str, value: str) -> str | None:
    for raw in messages:
        metadata = raw.get("metadata") or {}
        if (
            metadata.get("event_type") == metadata_type
            and (metadata.get("event_payload") or {}).get(key) == value
        ):
            return str(raw["ts"])
    return None


def _message(channel: str, raw: dict[str, Any]) -> ChatMessage:
    return ChatMessage(
        channel=channel,
        ts=str(raw.get("ts")),
        text=str(raw.get("text") or ""),
        user=raw.get("user"),
        thread_ts=raw.get("thread_ts"),
        bot_id=raw.get("bot_id"),
        subtype=raw.get("subtype"),
    )


def _map_api_error(method: str, exc: SlackApiError) -> Exception:
    response = exc.response
    status = getattr(response, "status_code", 200)
    error = str((response.data or {}).get("error", "")) if isinstance(response.data, dict) else ""
    message = f"slack {method}: {error or 'HTTP ' + str(status)}"
    if status == 429 or error == "ratelimited":
        retry_after = _retry_after(response.headers)
        return RetryableError(message, retry_after_s=retry_after)
    if status >= 500 or error in _RETRYABLE_ERRORS:
        return RetryableError(message)
    if method.startswith("usergroups.") and error in _USERGROUP_ERRORS:
        return UserGroupUnavailable(message, code=error)
    return PermanentError(message)


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None
