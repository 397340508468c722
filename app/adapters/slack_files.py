"""Files into Slack with the upload v2 flow (slack_sdk's `files_upload_v2`: files.getUploadURLExternal,
a POST of the bytes to the upload URL, files.completeUploadExternal sharing it in a channel or thread)."""

from __future__ import annotations

from app.adapters.slack_chat import SlackChat


async def upload_png(
    chat: SlackChat, *, channel: str, thread_ts: str | None, content: bytes, filename: str, title: str
) -> str:
    """Share a PNG in `channel` (in the thread of `thread_ts`); returns the file id."""
    data = await chat._call(
        "files_upload_v2",
        ambiguous=True,
        channel=channel,
        file=content,
        filename=filename,
        title=title,
        alt_txt=title,
        **({"thread_ts": thread_ts} if thread_ts else {}),
    )
    files = data.get("files") or [data.get("file") or {}]
    return str(files[0].get("id", ""))
