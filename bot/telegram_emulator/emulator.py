"""The Telegram Bot API emulator: its state and its method table.

:class:`TelegramEmulator` answers Bot API methods the way Telegram would:
messages get ids and dates, files get ids and paths, formatting and limits are
checked, and errors carry Telegram's status code and description. Each
``m_<lowercase method name>`` takes the decoded params and the uploaded files
(``{field: (filename, content_type, bytes)}``) and returns the ``result`` or
raises :class:`ApiError`. Simulated people post messages and press buttons
through :meth:`TelegramEmulator.post` and :meth:`TelegramEmulator.callback_query`.

Front-ends: :class:`bot.telegram_emulator.session.EmulatorSession` (an aiogram
session in the same process, used by the console chat) and the HTTP server of
the tests and benchmarks (``tests/tgfake/server.py``).
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .html import HtmlParseError, render
from .limits import (
    MAX_CALLBACK_ANSWER,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_DOWNLOAD,
    MAX_TEXT,
    MAX_UPLOAD,
    Limits,
    RateLimiter,
    utf16_len,
)
from .models import CallbackAnswer, ChatState, FakeMessage, StoredFile

Files = dict[str, tuple[str, str, bytes]]
MethodImpl = Callable[[dict[str, Any], Files], Any]

SEND_METHODS = frozenset(
    {"sendmessage", "senddocument", "sendphoto", "copymessage", "forwardmessage", "sendmediagroup"}
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "sticker",
    "contact",
    "location",
    "video",
    "audio",
    "voice",
    "animation",
)
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """A Bot API error answer."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def text_content(text: str) -> dict[str, Any]:
    """A person's text message: ``/command args`` gets its bot_command entity."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
    return content


class Listener(Protocol):
    """Told what a user would see (the console prints it)."""

    def message(self, message: FakeMessage, change: str) -> None:
        """A bot message appeared or changed; change: "" (new), "edited", "buttons", "forwarded"."""

    def deleted(self, message: FakeMessage) -> None: ...

    def callback_answered(self, answer: CallbackAnswer, chat_id: int) -> None: ...


@dataclass
class _Fault:
    code: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None


class TelegramEmulator:
    """The Bot API's state (chats, messages, files, queries, commands) and methods.

    ``enforce_limits`` turns on Telegram's flood limits (429 with retry_after).
    ``callback_timeout``: answerCallbackQuery later than this after the press
    fails like Telegram's ("query is too old..."); None disables the check.
    ``chats``: called with an unknown chat id, returns the chat object to create
    it with (the console knows every chat), or None: "chat not found".
    """

    def __init__(
        self,
        *,
        enforce_limits: bool = False,
        limits: Limits | None = None,
        bot_username: str = "alatau_test_bot",
        bot_first_name: str = "Alatau Test Bot",
        callback_timeout: float | None = 15.0,
        chats: Callable[[int], dict[str, Any] | None] | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.enforce_limits = enforce_limits
        self.callback_timeout = callback_timeout
        self.limiter = RateLimiter(limits)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.chat_source = chats
        self.listener = listener
        self.bot_user: dict[str, Any] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self._bot_users: dict[str, dict[str, Any]] = {}
        self._chats: dict[int, ChatState] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._queries: dict[str, dict[str, Any]] = {}
        self._callback_answers: dict[int, list[CallbackAnswer]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._file_seq = itertools.count(1)
        self._media_group_seq = itertools.count(13_000_000_000_000_001)
        self._query_seq = itertools.count(4_000_000_000_000_001)
        self.methods: dict[str, MethodImpl] = {
            name[2:]: getattr(self, name) for name in dir(self) if name.startswith("m_")
        }

    # ------------------------------------------------------------- calling
    def use_token(self, token: str) -> dict[str, Any]:
        """The bot behind ``token`` makes the next call (getMe answers id = its digits)."""
        user = self._bot_users.get(token)
        if user is None:
            user = self._bot_users[token] = {
                "id": int(token.split(":", 1)[0]),
                "is_bot": True,
                "first_name": self.bot_first_name,
                "username": self.bot_username,
            }
        self.bot_user = user
        return user

    def call(self, method: str, params: dict[str, Any], files: Files | None = None) -> Any:
        """Answer one Bot API method: its result, or :class:`ApiError`."""
        name = method.lower()
        impl = self.methods.get(name)
        if impl is None:
            raise ApiError(404, "Not Found")
        fault = self._take_fault(name, self.call_chat(name, params))
        if fault is not None:
            raise fault
        return impl(params, files or {})

    def call_chat(self, method: str, params: dict[str, Any]) -> int | str | None:
        """The chat a call is about (for records and injected faults)."""
        if method.lower() == "answercallbackquery":
            query = self._queries.get(str(params.get("callback_query_id")))
            return query["chat_id"] if query else None
        chat_id = params.get("chat_id")
        if chat_id is None:
            return None
        try:
            return int(chat_id)
        except (TypeError, ValueError):
            return str(chat_id)

    # ----------------------------------------------------------- injection
    def inject(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id`` if given)
        fail with Telegram's error JSON; the failed call delivers nothing."""
        if error_code == 429 and retry_after is None:
            retry_after = 3
        if description is None:
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = DEFAULT_DESCRIPTIONS.get(error_code, "Internal Server Error")
        fault = _Fault(error_code, description, retry_after, times, chat_id)
        self._faults.setdefault(method.lower(), []).append(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    def _take_fault(self, method: str, chat_id: Any) -> ApiError | None:
        faults = self._faults.get(method)
        if not faults:
            return None
        for fault in faults:
            if fault.chat_id is None or fault.chat_id == chat_id:
                fault.times -= 1
                if fault.times <= 0:
                    faults.remove(fault)
                return ApiError(fault.code, fault.description, fault.retry_after)
        return None

    def block_user(self, user_id: int) -> None:
        """Every request to this private chat answers 403 until unblocked."""
        self._blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def is_blocked(self, user_id: int) -> bool:
        return user_id in self._blocked

    # ------------------------------------------------------------- people
    def register_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None,
        last_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """A Telegram user (kept as first registered)."""
        user = self._users.get(user_id)
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name}
            if last_name:
                user["last_name"] = last_name
            if username:
                user["username"] = username
            if language_code:
                user["language_code"] = language_code
            self._users[user_id] = user
        return user

    def private_chat(self, user: dict[str, Any]) -> ChatState:
        """The private chat of a registered user with the bot (chat id == user id)."""
        user_id = int(user["id"])
        if user_id <= 0:
            raise ValueError("user ids are positive")
        chat = self._chats.get(user_id)
        if chat is None:
            data: dict[str, Any] = {"id": user_id, "type": "private"}
            for key in ("first_name", "last_name", "username"):
                if user.get(key):
                    data[key] = user[key]
            chat = self._chats[user_id] = ChatState(id=user_id, data=data)
        return chat

    def group_chat(
        self, chat_id: int, title: str = "Test group", *, supergroup: bool | None = None
    ) -> ChatState:
        """A group (a supergroup if chat_id <= -10**12 unless told)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = self._chats.get(chat_id)
        if chat is None:
            if supergroup is None:
                supergroup = chat_id <= -(10**12)
            data = {"id": chat_id, "type": "supergroup" if supergroup else "group", "title": title}
            chat = self._chats[chat_id] = ChatState(id=chat_id, data=data)
        return chat

    def join(self, chat: ChatState, user: dict[str, Any], status: str = "member") -> None:
        """``user`` is in the group ``chat`` with this getChatMember status."""
        chat.members[int(user["id"])] = user
        chat.member_status[int(user["id"])] = status

    def leave(self, chat: ChatState, user_id: int) -> None:
        chat.members.pop(user_id, None)
        chat.member_status[user_id] = "left"

    def post(
        self,
        chat: ChatState,
        sender: dict[str, Any],
        content: dict[str, Any],
        reply_to: FakeMessage | int | None = None,
        file: StoredFile | None = None,
    ) -> dict[str, Any]:
        """A person's message in ``chat``: stored, returned as the update's Message JSON."""
        mid = chat.new_message_id()
        data: dict[str, Any] = {
            "message_id": mid,
            "from": sender,
            "chat": chat.data,
            "date": int(time.time()),
        }
        if reply_to is not None:
            target = reply_to if isinstance(reply_to, FakeMessage) else chat.messages[reply_to]
            data["reply_to_message"] = {
                k: v for k, v in target.data.items() if k != "reply_to_message"
            }
        data.update(content)
        chat.messages[mid] = FakeMessage(data, from_bot=False, file=file)
        return data

    def callback_query(
        self, user: dict[str, Any], chat: ChatState, message: FakeMessage, data: str
    ) -> dict[str, Any]:
        """A press of an inline button carrying ``data`` on ``message``: the CallbackQuery JSON."""
        query_id = str(next(self._query_seq))
        self._queries[query_id] = {
            "user_id": int(user["id"]),
            "chat_id": chat.id,
            "time": time.monotonic(),
            "answered": False,
            "data": data,
        }
        return {
            "id": query_id,
            "from": user,
            "message": dict(message.data),
            "chat_instance": str(abs(chat.id) * 7919 % 10**18),
            "data": data,
        }

    # ------------------------------------------------------------- reading
    def chat(self, chat_id: int) -> ChatState:
        """A chat by id (created through ``chats`` if the front-end knows it)."""
        return self._chat(chat_id)

    def messages(self, chat_id: int) -> list[FakeMessage]:
        """Bot messages in a chat (not deleted; edits applied)."""
        return [m for m in self._chats[chat_id].bot_log if not m.deleted]

    def message(self, chat_id: int, message_id: int) -> FakeMessage | None:
        """Any message still in a chat (the bot's or a person's)."""
        chat = self._chats.get(chat_id)
        return None if chat is None else chat.messages.get(message_id)

    def file(self, file_id: str) -> StoredFile:
        return self._files[file_id]

    def file_at(self, path: str) -> StoredFile | None:
        """The file behind a download path (``file_path`` of getFile)."""
        return self._files_by_path.get(path)

    def callback_answers_of(self, user_id: int) -> list[CallbackAnswer]:
        return list(self._callback_answers.get(user_id, ()))

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands stored by setMyCommands for a scope (default scope if None)."""
        key = self._commands_key({"scope": scope, "language_code": language_code})
        return list(self._commands.get(key, []))

    @property
    def too_many_requests(self) -> int:
        """How many sends were refused with 429 by the enforced limits."""
        return self.limiter.too_many_requests

    @property
    def delivered(self) -> dict[int, int]:
        """Messages delivered per chat id."""
        return {cid: chat.delivered for cid, chat in self._chats.items() if chat.delivered}

    @property
    def delivered_total(self) -> int:
        return sum(chat.delivered for chat in self._chats.values())

    def drop_pending_updates(self) -> None:
        """deleteWebhook(drop_pending_updates): the HTTP front-end keeps a queue."""

    def pending_update_count(self) -> int:
        return 0

    # ----------------------------------------------------------------- helpers
    def _chat(self, chat_id: Any) -> ChatState:
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            raise bad("chat not found") from None
        chat = self._chats.get(cid)
        if chat is None:
            data = self.chat_source(cid) if self.chat_source is not None else None
            if data is None:
                raise bad("chat not found")
            chat = self._chats[cid] = ChatState(id=cid, data=data)
        return chat

    def _writable_chat(self, params: dict[str, Any]) -> ChatState:
        if "chat_id" not in params:
            raise bad("chat_id is empty")
        chat = self._chat(params["chat_id"])
        if chat.id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _admit(self, chat: ChatState) -> None:
        """Apply flood limits to one outgoing message (only when enforced)."""
        if not self.enforce_limits:
            return
        retry = self.limiter.acquire(chat.id)
        if retry:
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)

    def _render(
        self, text: Any, parse_mode: Any, entities: Any, *, caption: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        text = "" if text is None else str(text)
        try:
            plain, ents = render(text, parse_mode, entities)
        except HtmlParseError as e:
            raise bad(f"can't parse entities: {e}") from None
        if not caption and not plain.strip():
            raise bad("message text is empty")
        if caption and utf16_len(plain) > MAX_CAPTION:
            raise bad("message caption is too long")
        if not caption and utf16_len(plain) > MAX_TEXT:
            raise bad("message is too long")
        return plain, ents

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return markup
        if not isinstance(rows, list):
            raise bad("can't parse inline keyboard markup")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise (
                        bad("BUTTON_TEXT_INVALID")
                        if isinstance(button, dict)
                        else bad("can't parse inline keyboard button")
                    )
                actions = [k for k in button if k != "text"]
                if not actions:
                    raise bad(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA:
                        raise bad("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = str(button["url"])
                    if not url.startswith(("http://", "https://", "tg://")):
                        raise bad("BUTTON_URL_INVALID")
        return markup

    def _reply_target(self, chat: ChatState, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        allow = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            mid = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        else:
            mid = params.get("reply_to_message_id")
        if mid is None:
            return None
        target = chat.messages.get(int(mid))
        if target is None:
            if allow:
                return None
            raise bad("message to be replied not found")
        return {k: v for k, v in target.data.items() if k != "reply_to_message"}

    def _deliver(
        self,
        chat: ChatState,
        content: dict[str, Any],
        *,
        markup: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        html: str | None = None,
        parse_mode: str | None = None,
        file: StoredFile | None = None,
        change: str = "",
    ) -> FakeMessage:
        mid = chat.new_message_id()
        data: dict[str, Any] = {
            "message_id": mid,
            "from": self.bot_user,
            "chat": chat.data,
            "date": int(time.time()),
        }
        if reply_to is not None:
            data["reply_to_message"] = reply_to
        data.update(content)
        if markup and "inline_keyboard" in markup:
            data["reply_markup"] = markup
        msg = FakeMessage(data, from_bot=True, html=html, parse_mode=parse_mode, file=file)
        msg.markup = markup
        chat.messages[mid] = msg
        chat.bot_log.append(msg)
        chat.delivered += 1
        if markup is not None and ("keyboard" in markup or "remove_keyboard" in markup):
            chat.keyboard = markup.get("keyboard")
        if self.listener is not None:
            self.listener.message(msg, change)
        return msg

    def new_file(
        self,
        *,
        size: int,
        content: bytes | None,
        folder: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        prefix: str = "BQAC",
        origin: str = "bot",
    ) -> StoredFile:
        """Register a file (used for uploads by the bot and by simulated users)."""
        n = next(self._file_seq)
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif folder == "photos":
            ext = ".jpg"
        stored = StoredFile(
            file_id=f"{prefix}AgADfake{n:08d}",
            file_unique_id=f"AQADf{n:06d}",
            size=size,
            file_path=f"{folder}/file_{n}{ext}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            origin=origin,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _input_file(self, value: Any, files: Files, *, folder: str, prefix: str) -> StoredFile:
        """Resolve an InputFile parameter: attach://field, a file_id or a URL."""
        if value is None:
            raise bad("there is no file in the request")
        value = str(value)
        if value.startswith("attach://"):
            part = files.get(value[len("attach://") :])
            if part is None:
                raise bad("wrong file identifier/HTTP URL specified")
            name, ctype, body = part
            if not body:
                raise bad("file must be non-empty")
            if len(body) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            mime = mimetypes.guess_type(name)[0] or ctype or "application/octet-stream"
            return self.new_file(
                size=len(body),
                content=body,
                folder=folder,
                file_name=name if folder == "documents" else None,
                mime_type=mime if folder == "documents" else None,
                prefix=prefix,
            )
        known = self._files.get(value)
        if known is not None:
            return known
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or "file"
            return self.new_file(
                size=1024, content=None, folder=folder, file_name=name, prefix=prefix
            )
        raise bad("wrong file identifier/HTTP URL specified")

    @staticmethod
    def photo_sizes(
        stored: StoredFile, width: int = 1280, height: int = 960
    ) -> list[dict[str, Any]]:
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
                "width": width,
                "height": height,
            }
        ]

    @staticmethod
    def document_json(stored: StoredFile) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.file_name:
            doc["file_name"] = stored.file_name
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        return doc

    def _caption_content(self, params: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        caption = params.get("caption")
        if caption is None:
            return {}, None
        plain, ents = self._render(
            caption, params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        content: dict[str, Any] = {}
        if plain:
            content["caption"] = plain
        if ents:
            content["caption_entities"] = ents
        return content, str(caption)

    def _own_message(self, params: dict[str, Any], action: str) -> tuple[ChatState, FakeMessage]:
        if params.get("inline_message_id"):
            raise bad("inline messages are not supported by the fake server")
        chat = self._writable_chat(params)
        mid = params.get("message_id")
        msg = chat.messages.get(int(mid)) if mid is not None else None
        if msg is None:
            raise bad(f"message to {action} not found")
        if not msg.from_bot:
            raise bad("message can't be edited")
        return chat, msg

    # ------------------------------------------------------------ bot & setup
    def m_getme(self, params: dict[str, Any], files: Files) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def m_logout(self, params: dict[str, Any], files: Files) -> Any:
        return True

    def m_close(self, params: dict[str, Any], files: Files) -> Any:
        return True

    def m_setwebhook(self, params: dict[str, Any], files: Files) -> Any:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {k: v for k, v in params.items() if k != "certificate"}
        self.webhook["url"] = url
        return True

    def m_deletewebhook(self, params: dict[str, Any], files: Files) -> Any:
        self.webhook = {"url": ""}
        if params.get("drop_pending_updates"):
            self.drop_pending_updates()
        return True

    def m_getwebhookinfo(self, params: dict[str, Any], files: Files) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": self.pending_update_count(),
        }
        for key in ("max_connections", "ip_address", "allowed_updates"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def m_setmycommands(self, params: dict[str, Any], files: Files) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("can't parse commands JSON object")
        for command in commands:
            if not _COMMAND_RE.match(str(command.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self._commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self._commands.pop(key, None)
        return True

    def m_getmycommands(self, params: dict[str, Any], files: Files) -> Any:
        return list(self._commands.get(self._commands_key(params), []))

    def m_deletemycommands(self, params: dict[str, Any], files: Files) -> Any:
        self._commands.pop(self._commands_key(params), None)
        return True

    # ----------------------------------------------------------------- chats
    def m_getchat(self, params: dict[str, Any], files: Files) -> Any:
        chat = self._chat(params.get("chat_id"))
        return {
            **chat.data,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def m_getchatmember(self, params: dict[str, Any], files: Files) -> Any:
        chat = self._chat(params.get("chat_id"))
        try:
            user_id = int(params.get("user_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad("user not found") from None
        if user_id == self.bot_user["id"]:
            status = "member" if chat.is_private else chat.member_status.get(user_id, "member")
            return _member_json(self.bot_user, status)
        user = self._users.get(user_id)
        if user is None:
            raise bad("user not found")
        if chat.is_private:
            status = "member" if user_id == chat.id else "left"
            if user_id == chat.id and user_id in self._blocked:
                status = "kicked"
        else:
            status = chat.member_status.get(user_id, "left")
        return _member_json(user, status)

    def m_sendchataction(self, params: dict[str, Any], files: Files) -> Any:
        self._writable_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad("wrong type of action")
        return True

    # --------------------------------------------------------------- sending
    def m_sendmessage(self, params: dict[str, Any], files: Files) -> Any:
        chat = self._writable_chat(params)
        text = params.get("text")
        plain, ents = self._render(
            text, params.get("parse_mode"), params.get("entities"), caption=False
        )
        markup = self._check_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat, params)
        self._admit(chat)
        content: dict[str, Any] = {"text": plain}
        if ents:
            content["entities"] = ents
        msg = self._deliver(
            chat,
            content,
            markup=markup,
            reply_to=reply_to,
            html=str(text),
            parse_mode=params.get("parse_mode"),
        )
        return msg.data

    def _send_media(self, params: dict[str, Any], files: Files, kind: str) -> Any:
        chat = self._writable_chat(params)
        content, raw_caption = self._caption_content(params)
        markup = self._check_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat, params)
        if kind == "photo":
            stored = self._input_file(params.get("photo"), files, folder="photos", prefix="AgAC")
            content["photo"] = self.photo_sizes(stored)
        else:
            stored = self._input_file(
                params.get("document"), files, folder="documents", prefix="BQAC"
            )
            content["document"] = self.document_json(stored)
        self._admit(chat)
        msg = self._deliver(
            chat,
            content,
            markup=markup,
            reply_to=reply_to,
            html=raw_caption,
            parse_mode=params.get("parse_mode"),
            file=stored,
        )
        return msg.data

    def m_sendphoto(self, params: dict[str, Any], files: Files) -> Any:
        return self._send_media(params, files, "photo")

    def m_senddocument(self, params: dict[str, Any], files: Files) -> Any:
        return self._send_media(params, files, "document")

    def m_sendmediagroup(self, params: dict[str, Any], files: Files) -> Any:
        chat = self._writable_chat(params)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad("wrong number of messages in the media group: must be 2-10")
        reply_to = self._reply_target(chat, params)
        prepared: list[tuple[dict[str, Any], str | None, StoredFile, str | None]] = []
        for item in media:
            kind = item.get("type")
            content, raw_caption = self._caption_content(item)
            if kind == "photo":
                stored = self._input_file(item.get("media"), files, folder="photos", prefix="AgAC")
                content["photo"] = self.photo_sizes(stored)
            elif kind in ("document", "audio", "video"):
                stored = self._input_file(
                    item.get("media"), files, folder="documents", prefix="BQAC"
                )
                content["document" if kind == "document" else kind] = self.document_json(stored)
            else:
                raise bad("wrong type of the media group item")
            prepared.append((content, raw_caption, stored, item.get("parse_mode")))
        self._admit(chat)
        group_id = str(next(self._media_group_seq))
        result = []
        for content, raw_caption, stored, mode in prepared:
            content["media_group_id"] = group_id
            msg = self._deliver(
                chat, content, reply_to=reply_to, html=raw_caption, parse_mode=mode, file=stored
            )
            result.append(msg.data)
        return result

    def _source_message(self, params: dict[str, Any], action: str) -> FakeMessage:
        source_chat = self._chat(params.get("from_chat_id"))
        mid = params.get("message_id")
        msg = source_chat.messages.get(int(mid)) if mid is not None else None
        if msg is None:
            raise bad(f"message to {action} not found")
        return msg

    def m_copymessage(self, params: dict[str, Any], files: Files) -> Any:
        chat = self._writable_chat(params)
        source = self._source_message(params, "copy")
        content = {k: source.data[k] for k in _CONTENT_KEYS if k in source.data}
        raw: str | None = source.raw_text
        mode = source.parse_mode
        if "caption" in params and "text" not in content:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            extra, raw = self._caption_content(params)
            content.update(extra)
            mode = params.get("parse_mode")
        markup = self._check_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat, params)
        self._admit(chat)
        msg = self._deliver(
            chat,
            content,
            markup=markup,
            reply_to=reply_to,
            html=raw,
            parse_mode=mode,
            file=source.file,
        )
        return {"message_id": msg.message_id}

    def m_forwardmessage(self, params: dict[str, Any], files: Files) -> Any:
        chat = self._writable_chat(params)
        source = self._source_message(params, "forward")
        content = {k: source.data[k] for k in _CONTENT_KEYS if k in source.data}
        sender = source.data.get("from")
        if sender is not None:
            content["forward_origin"] = {
                "type": "user",
                "sender_user": sender,
                "date": source.data["date"],
            }
        else:
            content["forward_origin"] = {
                "type": "chat",
                "sender_chat": source.data["chat"],
                "date": source.data["date"],
            }
        self._admit(chat)
        msg = self._deliver(
            chat,
            content,
            html=source.raw_text,
            parse_mode=source.parse_mode,
            file=source.file,
            change="forwarded",
        )
        return msg.data

    # --------------------------------------------------------------- editing
    def _apply_edit(
        self,
        msg: FakeMessage,
        content: dict[str, Any],
        markup: dict[str, Any] | None,
        html: str | None,
        parse_mode: str | None,
        drop: tuple[str, ...],
    ) -> Any:
        old = tuple(msg.data.get(k) for k in (*drop, "reply_markup"))
        inline = markup if markup and "inline_keyboard" in markup else None
        new = (*(content.get(k) for k in drop), inline)
        if old == new:
            raise bad(NOT_MODIFIED)
        for key in drop:
            msg.data.pop(key, None)
        msg.data.update(content)
        if inline is None:
            msg.data.pop("reply_markup", None)
        else:
            msg.data["reply_markup"] = inline
        msg.markup = inline
        if html is not None or "text" in drop or "caption" in drop:
            msg.html = html
            msg.parse_mode = parse_mode
        msg.data["edit_date"] = int(time.time())
        msg.edit_count += 1
        if self.listener is not None:
            self.listener.message(msg, "edited" if drop else "buttons")
        return msg.data

    def m_editmessagetext(self, params: dict[str, Any], files: Files) -> Any:
        _chat, msg = self._own_message(params, "edit")
        if "text" not in msg.data:
            raise bad("there is no text in the message to edit")
        text = params.get("text")
        plain, ents = self._render(
            text, params.get("parse_mode"), params.get("entities"), caption=False
        )
        markup = self._check_markup(params.get("reply_markup"))
        content: dict[str, Any] = {"text": plain}
        if ents:
            content["entities"] = ents
        return self._apply_edit(
            msg, content, markup, str(text), params.get("parse_mode"), ("text", "entities")
        )

    def m_editmessagecaption(self, params: dict[str, Any], files: Files) -> Any:
        _chat, msg = self._own_message(params, "edit")
        if "text" in msg.data:
            raise bad("there is no caption in the message to edit")
        content, raw = self._caption_content(params)
        markup = self._check_markup(params.get("reply_markup"))
        return self._apply_edit(
            msg, content, markup, raw, params.get("parse_mode"), ("caption", "caption_entities")
        )

    def m_editmessagereplymarkup(self, params: dict[str, Any], files: Files) -> Any:
        _chat, msg = self._own_message(params, "edit")
        markup = self._check_markup(params.get("reply_markup"))
        return self._apply_edit(msg, {}, markup, None, None, ())

    def m_deletemessage(self, params: dict[str, Any], files: Files) -> Any:
        chat = self._chat(params.get("chat_id"))
        mid = params.get("message_id")
        msg = chat.messages.pop(int(mid), None) if mid is not None else None
        if msg is None:
            raise bad("message to delete not found")
        self._deleted(msg)
        return True

    def m_deletemessages(self, params: dict[str, Any], files: Files) -> Any:
        chat = self._chat(params.get("chat_id"))
        for mid in params.get("message_ids") or []:
            msg = chat.messages.pop(int(mid), None)
            if msg is not None:
                self._deleted(msg)
        return True

    def _deleted(self, msg: FakeMessage) -> None:
        msg.deleted = True
        if self.listener is not None:
            self.listener.deleted(msg)

    # ------------------------------------------------------------- callbacks
    def m_answercallbackquery(self, params: dict[str, Any], files: Files) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        query = self._queries.get(query_id)
        if (
            query is None
            or query["answered"]
            or (
                self.callback_timeout is not None
                and time.monotonic() - query["time"] > self.callback_timeout
            )
        ):
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER:
            raise bad("MESSAGE_TOO_LONG")
        query["answered"] = True
        answer = CallbackAnswer(
            query_id=query_id,
            text=None if text is None else str(text),
            show_alert=bool(params.get("show_alert")),
            url=params.get("url"),
            data=query.get("data"),
        )
        self._callback_answers.setdefault(query["user_id"], []).append(answer)
        if self.listener is not None:
            self.listener.callback_answered(answer, int(query["chat_id"]))
        return True

    # ----------------------------------------------------------------- files
    def m_getfile(self, params: dict[str, Any], files: Files) -> Any:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad("invalid file_id")
        if stored.size > MAX_DOWNLOAD:
            raise bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }


def _member_json(user: dict[str, Any], status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": False,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": False,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_send_welcome_messages": False,
            }
        )
    elif status == "restricted":
        member.update({"is_member": True, "until_date": 0})
        for perm in (
            "can_send_messages",
            "can_send_audios",
            "can_send_documents",
            "can_send_photos",
            "can_send_videos",
            "can_send_video_notes",
            "can_send_voice_notes",
            "can_send_polls",
            "can_send_other_messages",
            "can_add_web_page_previews",
            "can_change_info",
            "can_invite_users",
            "can_pin_messages",
            "can_manage_topics",
        ):
            member[perm] = False
    elif status == "kicked":
        member["until_date"] = 0
    return member
