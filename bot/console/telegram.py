"""A Telegram Bot API inside the process: the console's aiogram session.

`ConsoleTelegram` is an aiogram `BaseSession`: instead of sending HTTP
requests it answers every Bot API method itself, the way Telegram would
(messages get ids and dates, files get ids and paths, errors carry Telegram's
status code and description and become the same aiogram exceptions), and
tells the terminal (`Screen`) what a user would see.
"""

from __future__ import annotations

import json
import mimetypes
import secrets
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from bot.console.render import ParseError, formatted, utf16_len

if TYPE_CHECKING:
    from aiogram import Bot

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_CALLBACK_DATA = 64

# Methods that only configure the bot: answered, never shown.
SILENT = frozenset(
    {
        "setmycommands",
        "deletemycommands",
        "setmydescription",
        "setmyshortdescription",
        "setmyname",
        "setchatmenubutton",
        "setmydefaultadministratorrights",
        "deletewebhook",
        "setwebhook",
        "sendchataction",
        "logout",
        "close",
        "setmessagereaction",
    }
)


class ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    name: str
    mime_type: str
    data: bytes
    size: int  # as Telegram reports it (may be larger than `data` for /file NAME SIZE)
    path: str
    origin: str = "bot"  # "bot": uploaded by the bot; "user": sent from the console


class Screen(Protocol):
    """What the terminal shows; implemented by the console chat."""

    def bot_message(
        self, message: dict[str, Any], shown: str, markup: dict[str, Any] | None, *, edit: str = ""
    ) -> None: ...

    def bot_deleted(self, chat_id: int, message_id: int) -> None: ...

    def callback_answer(self, chat_id: int, text: str, alert: bool) -> None: ...

    def rejected(self, method: str, chat_id: int | None, description: str) -> None: ...

    def note(self, text: str) -> None: ...


def minimal_pdf(title: str = "certificate") -> bytes:
    """A tiny valid one-page PDF (so checks of the `%PDF` signature pass)."""
    stream = f"BT /F1 12 Tf 40 800 Td ({title}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


# The smallest JPEG: a 1×1 white pixel.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c19"
    "12130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b08"
    "0001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b51000"
    "02010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f0"
    "2433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768"
    "696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3"
    "c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fb"
    "d3ffd9"
)


def fake_content(name: str) -> bytes:
    kind = (mimetypes.guess_type(name)[0] or "").lower()
    if kind == "application/pdf":
        return minimal_pdf(name)
    if kind.startswith("image/"):
        return TINY_JPEG
    return f"console test file {name}\n".encode()


class ConsoleTelegram(BaseSession):
    """The Bot API answered in-process; what the bot sends goes to `screen`."""

    def __init__(self, screen: Screen, chats: Callable[[int], dict[str, Any]]) -> None:
        super().__init__()
        self.screen = screen
        self.chat_of = chats  # chat id → Telegram chat object
        self.bot_user: dict[str, Any] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.markups: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self._next_message: dict[int, int] = {}
        self._callbacks: dict[str, tuple[int, bool]] = {}  # query id → (chat id, answered)
        self._counter = 0

    # --- helpers for the console -------------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        number = self._next_message.get(chat_id, 0) + 1
        self._next_message[chat_id] = number
        return number

    def remember(self, message: dict[str, Any]) -> dict[str, Any]:
        self.messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    def new_callback_id(self, chat_id: int) -> str:
        self._counter += 1
        query_id = f"{self._counter}{secrets.randbelow(10**9):09d}"
        self._callbacks[query_id] = (chat_id, False)
        return query_id

    def store_file(
        self,
        name: str,
        data: bytes,
        size: int | None = None,
        mime: str | None = None,
        origin: str = "bot",
    ) -> StoredFile:
        self._counter += 1
        kind = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
        folder = "photos" if kind.startswith("image/") else "documents"
        suffix = mimetypes.guess_extension(kind) or ""
        if "." in name:
            suffix = "." + name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"CONSOLE{self._counter:06d}{secrets.token_hex(8)}",
            unique_id=f"U{self._counter:06d}",
            name=name,
            mime_type=kind,
            data=data,
            size=len(data) if size is None else size,
            path=f"{folder}/file_{self._counter}{suffix}",
            origin=origin,
        )
        self.files[stored.file_id] = stored
        return stored

    @staticmethod
    def document_of(stored: StoredFile) -> dict[str, Any]:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": stored.name,
            "mime_type": stored.mime_type,
            "file_size": stored.size,
        }

    @staticmethod
    def photo_of(stored: StoredFile) -> list[dict[str, Any]]:
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "width": 1280,
                "height": 960,
                "file_size": stored.size,
            }
        ]

    # --- BaseSession -------------------------------------------------------

    async def close(self) -> None:
        return None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = method.__api_method__
        files: dict[str, InputFile] = {}
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                params[key] = prepared
        uploads: dict[str, tuple[str, bytes]] = {}
        for key, input_file in files.items():
            data = b"".join([chunk async for chunk in input_file.read(bot)])
            uploads[key] = (input_file.filename or key, data)
        if not self.bot_user:
            self.bot_user = {
                "id": bot.id,
                "is_bot": True,
                "first_name": "Alatau bot (console)",
                "username": "alatau_console_bot",
            }
        try:
            handler = getattr(self, "m_" + name.lower(), None)
            if handler is not None:
                result = handler(params, uploads)
            elif name.lower() in SILENT:
                result = True
            else:
                self.screen.note(f"(the console does not simulate {name}; answered true)")
                result = True
            payload: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except ApiError as error:
            chat = params.get("chat_id")
            self.screen.rejected(name, _int(chat), error.description)
            payload = {"ok": False, "error_code": error.code, "description": error.description}
            status = error.code
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=json.dumps(payload)
        )
        return cast(TelegramType, response.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        for stored in self.files.values():
            if url.endswith("/" + stored.path):
                data = stored.data
                for start in range(0, len(data), chunk_size):
                    yield data[start : start + chunk_size]
                return
        raise FileNotFoundError(f"no such file on the console server: {url.rsplit('/', 1)[-1]}")

    # --- building messages -------------------------------------------------

    def _chat(self, params: dict[str, Any], key: str = "chat_id") -> dict[str, Any]:
        chat_id = _int(params.get(key))
        if chat_id is None:
            raise bad_request("chat not found")
        return self.chat_of(chat_id)

    def _text(self, text: Any, parse_mode: Any, *, caption: bool = False) -> tuple[str, str]:
        try:
            plain, shown = formatted(str(text), parse_mode)
        except ParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        if caption:
            if utf16_len(plain) > MAX_CAPTION:
                raise bad_request("message caption is too long")
        else:
            if not plain.strip():
                raise bad_request("message text is empty")
            if utf16_len(plain) > MAX_TEXT:
                raise bad_request("message is too long")
        return plain, shown

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        if not isinstance(markup, dict):
            return None
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
                if not str(button.get("text", "")).strip():
                    raise bad_request("text buttons are unallowed in the inline keyboard")
        return markup

    def _new_message(self, params: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user,
        }
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
        reply_to = None
        if isinstance(params.get("reply_parameters"), dict):
            reply_to = params["reply_parameters"].get("message_id")
        reply_to = reply_to or params.get("reply_to_message_id")
        if reply_to:
            original = self.messages.get((chat["id"], int(reply_to)))
            if original is not None:
                message["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
        return message

    def _publish(
        self, message: dict[str, Any], shown: str, markup: dict[str, Any] | None, *, edit: str = ""
    ) -> dict[str, Any]:
        key = (message["chat"]["id"], message["message_id"])
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
            self.markups[key] = markup
        else:
            message.pop("reply_markup", None)
            self.markups.pop(key, None)
        self.remember(message)
        self.screen.bot_message(message, shown, markup, edit=edit)
        return message

    def _media(self, value: Any, uploads: dict[str, tuple[str, bytes]], kind: str) -> StoredFile:
        value = str(value)
        if value.startswith("attach://"):
            name, data = uploads[value[len("attach://") :]]
            if kind == "photo":
                return self.store_file(
                    name if "." in name else name + ".jpg", data, mime="image/jpeg"
                )
            return self.store_file(name, data)
        if value in self.files:
            return self.files[value]
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or "file"
            return self.store_file(name, fake_content(name))
        raise bad_request("wrong file identifier/HTTP URL specified")

    # --- methods -----------------------------------------------------------

    def m_getme(self, params: dict[str, Any], uploads: Any) -> dict[str, Any]:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False}

    def m_setmycommands(self, params: dict[str, Any], uploads: Any) -> bool:
        scope = (params.get("scope") or {}).get("type", "default")
        self.commands[f"{scope}:{params.get('language_code', '')}"] = params.get("commands", [])
        return True

    def m_getmycommands(self, params: dict[str, Any], uploads: Any) -> list[dict[str, Any]]:
        scope = (params.get("scope") or {}).get("type", "default")
        return self.commands.get(f"{scope}:{params.get('language_code', '')}", [])

    def m_sendmessage(self, params: dict[str, Any], uploads: Any) -> dict[str, Any]:
        chat = self._chat(params)
        plain, shown = self._text(params.get("text", ""), params.get("parse_mode"))
        markup = self._check_markup(params.get("reply_markup"))
        message = self._new_message(params, chat)
        message["text"] = plain
        return self._publish(message, shown, markup)

    def _send_file(
        self, params: dict[str, Any], uploads: dict[str, tuple[str, bytes]], kind: str
    ) -> dict[str, Any]:
        chat = self._chat(params)
        stored = self._media(params.get(kind), uploads, kind)
        shown_caption = ""
        markup = self._check_markup(params.get("reply_markup"))
        message = self._new_message(params, chat)
        if kind == "photo":
            message["photo"] = self.photo_of(stored)
        else:
            message["document"] = self.document_of(stored)
        if params.get("caption"):
            message["caption"], shown_caption = self._text(
                params["caption"], params.get("parse_mode"), caption=True
            )
        return self._publish(message, shown_caption, markup)

    def m_senddocument(
        self, params: dict[str, Any], uploads: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        return self._send_file(params, uploads, "document")

    def m_sendphoto(
        self, params: dict[str, Any], uploads: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        return self._send_file(params, uploads, "photo")

    def m_sendmediagroup(
        self, params: dict[str, Any], uploads: dict[str, tuple[str, bytes]]
    ) -> list[dict[str, Any]]:
        chat = self._chat(params)
        media = params.get("media") or []
        if not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album")
        group_id = str(secrets.randbelow(10**18))
        messages = []
        for item in media:
            kind = "photo" if item.get("type") == "photo" else "document"
            stored = self._media(item.get("media"), uploads, kind)
            message = self._new_message(params, chat)
            message["media_group_id"] = group_id
            if kind == "photo":
                message["photo"] = self.photo_of(stored)
            else:
                message["document"] = self.document_of(stored)
            shown = ""
            if item.get("caption"):
                message["caption"], shown = self._text(
                    item["caption"], item.get("parse_mode"), caption=True
                )
            messages.append(self._publish(message, shown, None))
        return messages

    def _copy(self, params: dict[str, Any]) -> dict[str, Any]:
        source = self.messages.get(
            (_int(params.get("from_chat_id")) or 0, int(params.get("message_id", 0)))
        )
        if source is None:
            raise bad_request("message to copy not found")
        chat = self._chat(params)
        message = self._new_message(params, chat)
        for key in ("text", "document", "photo", "caption", "contact", "location"):
            if key in source:
                message[key] = source[key]
        shown = message.get("text") or message.get("caption") or ""
        if "caption" in params:
            message["caption"], shown = self._text(
                params["caption"], params.get("parse_mode"), caption=True
            )
        return message | {"_shown": shown}

    def m_copymessage(self, params: dict[str, Any], uploads: Any) -> dict[str, Any]:
        message = self._copy(params)
        shown = message.pop("_shown")
        self._publish(message, shown, self._check_markup(params.get("reply_markup")))
        return {"message_id": message["message_id"]}

    def m_forwardmessage(self, params: dict[str, Any], uploads: Any) -> dict[str, Any]:
        message = self._copy(params)
        shown = message.pop("_shown")
        source_chat = self.chat_of(_int(params.get("from_chat_id")) or 0)
        message["forward_origin"] = {
            "type": "chat",
            "date": int(time.time()),
            "sender_chat": source_chat,
        }
        if source_chat.get("type") == "private":
            message["forward_origin"] = {
                "type": "hidden_user",
                "date": int(time.time()),
                "sender_user_name": source_chat.get("first_name", ""),
            }
        return self._publish(message, shown, None, edit="forwarded")

    def _existing(self, params: dict[str, Any], what: str) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not simulated by the console")
        key = (_int(params.get("chat_id")) or 0, int(params.get("message_id", 0)))
        message = self.messages.get(key)
        if message is None:
            raise bad_request(f"message to {what} not found")
        return message

    def _edit(
        self, message: dict[str, Any], changes: dict[str, Any], shown: str, markup: Any, kind: str
    ) -> dict[str, Any]:
        key = (message["chat"]["id"], message["message_id"])
        old_markup = self.markups.get(key)
        new_markup = self._check_markup(markup)
        if all(message.get(k) == v for k, v in changes.items()) and (old_markup or None) == (
            new_markup or None
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        updated = {**message, **changes, "edit_date": int(time.time())}
        if not shown:
            shown = updated.get("text") or updated.get("caption") or ""
        return self._publish(updated, shown, new_markup, edit=kind)

    def m_editmessagetext(self, params: dict[str, Any], uploads: Any) -> dict[str, Any]:
        message = self._existing(params, "edit")
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        plain, shown = self._text(params.get("text", ""), params.get("parse_mode"))
        return self._edit(message, {"text": plain}, shown, params.get("reply_markup"), "edited")

    def m_editmessagecaption(self, params: dict[str, Any], uploads: Any) -> dict[str, Any]:
        message = self._existing(params, "edit")
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        plain, shown = self._text(params.get("caption", ""), params.get("parse_mode"), caption=True)
        return self._edit(message, {"caption": plain}, shown, params.get("reply_markup"), "edited")

    def m_editmessagereplymarkup(self, params: dict[str, Any], uploads: Any) -> dict[str, Any]:
        message = self._existing(params, "edit")
        return self._edit(message, {}, "", params.get("reply_markup"), "buttons")

    def m_deletemessage(self, params: dict[str, Any], uploads: Any) -> bool:
        message = self._existing(params, "delete")
        key = (message["chat"]["id"], message["message_id"])
        self.messages.pop(key, None)
        self.markups.pop(key, None)
        self.screen.bot_deleted(*key)
        return True

    def m_deletemessages(self, params: dict[str, Any], uploads: Any) -> bool:
        chat_id = _int(params.get("chat_id")) or 0
        for message_id in params.get("message_ids") or []:
            if (chat_id, int(message_id)) in self.messages:
                self.m_deletemessage({"chat_id": chat_id, "message_id": message_id}, uploads)
        return True

    def m_answercallbackquery(self, params: dict[str, Any], uploads: Any) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        chat_id, answered = self._callbacks.get(query_id, (0, True))
        if answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._callbacks[query_id] = (chat_id, True)
        text = str(params.get("text") or "")
        if text or params.get("url"):
            self.screen.callback_answer(
                chat_id, text or str(params.get("url")), bool(params.get("show_alert"))
            )
        return True

    def m_getfile(self, params: dict[str, Any], uploads: Any) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }

    def m_getchat(self, params: dict[str, Any], uploads: Any) -> dict[str, Any]:
        chat = self._chat(params)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    def m_getchatmember(self, params: dict[str, Any], uploads: Any) -> dict[str, Any]:
        self._chat(params)
        user_id = _int(params.get("user_id")) or 0
        if user_id == self.bot_user.get("id"):
            return {"status": "member", "user": self.bot_user}
        return {
            "status": "member",
            "user": {"id": user_id, "is_bot": False, "first_name": str(user_id)},
        }


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
