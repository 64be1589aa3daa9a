"""Simulated people: a user in a private chat, a group and its members.

Every action queues an update and waits until the bot has handled it (see
README.md), then returns the messages the bot sent to that chat meanwhile.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bot.telegram_emulator.emulator import text_content
from bot.telegram_emulator.models import CallbackAnswer, ChatState, FakeMessage, StoredFile

if TYPE_CHECKING:
    from .server import FakeTelegram

MessageRef = FakeMessage | int


class _ChatView:
    """What the bot shows in one chat."""

    chat: ChatState

    @property
    def messages(self) -> list[FakeMessage]:
        """All bot messages in this chat (deleted ones left out, edits applied)."""
        return [m for m in self.chat.bot_log if not m.deleted]

    @property
    def last(self) -> FakeMessage | None:
        for msg in reversed(self.chat.bot_log):
            if not msg.deleted:
                return msg
        return None

    @property
    def last_text(self) -> str | None:
        last = self.last
        return None if last is None else last.text


class _Actor(_ChatView):
    """Someone who can write in one chat."""

    def __init__(self, tg: FakeTelegram, user: dict[str, Any], chat: ChatState) -> None:
        self.tg = tg
        self.data = user
        self.chat = chat

    # ------------------------------------------------------------- identity
    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def first_name(self) -> str:
        return str(self.data["first_name"])

    @property
    def chat_id(self) -> int:
        return self.chat.id

    # -------------------------------------------------------------- reading
    @property
    def keyboard(self) -> list[list[str]] | None:
        """The reply keyboard currently shown in this chat (None if none/removed)."""
        rows = self.chat.keyboard
        if rows is None:
            return None
        return [[b["text"] if isinstance(b, dict) else str(b) for b in row] for row in rows]

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """answerCallbackQuery calls for this person's button presses."""
        return self.tg.callback_answers_of(self.id)

    def message(self, message_id: int) -> FakeMessage | None:
        return self.chat.messages.get(message_id)

    # -------------------------------------------------------------- helpers
    def post(
        self,
        content: dict[str, Any],
        reply_to: MessageRef | None = None,
        file: StoredFile | None = None,
    ) -> dict[str, Any]:
        """Store a message of this person without delivering it (for ``tg.push_update``)."""
        return self.tg.post(self.chat, self.data, content, reply_to, file)

    async def _message(
        self,
        content: dict[str, Any],
        reply_to: MessageRef | None = None,
        timeout: float | None = None,
        file: StoredFile | None = None,
    ) -> list[FakeMessage]:
        data = self.post(content, reply_to, file)
        return await self.tg.deliver(self.chat, "message", data, timeout)

    # -------------------------------------------------------------- actions
    async def send(
        self, text: str, *, reply_to: MessageRef | None = None, timeout: float | None = None
    ) -> list[FakeMessage]:
        """Send a text (``/command args`` gets a bot_command entity)."""
        return await self._message(text_content(text), reply_to, timeout)

    async def reply(
        self, to_message: MessageRef, text: str, *, timeout: float | None = None
    ) -> list[FakeMessage]:
        """Send ``text`` as a reply to a message of this chat."""
        return await self.send(text, reply_to=to_message, timeout=timeout)

    def _find_button(self, text: str, message: MessageRef | None) -> FakeMessage:
        if message is not None:
            msg = message if isinstance(message, FakeMessage) else self.chat.messages[message]
            if msg.find_button(text) is None:
                raise AssertionError(
                    f"no inline button {text!r} in message {msg.message_id}: {msg.buttons}"
                )
            return msg
        for msg in reversed(self.chat.bot_log):
            if not msg.deleted and msg.find_button(text) is not None:
                return msg
        raise AssertionError(
            f"no bot message in chat {self.chat.id} has an inline button {text!r}; "
            f"last bot message: {self.last!r}"
        )

    async def press(
        self, text: str, *, message: MessageRef | None = None, timeout: float | None = None
    ) -> list[FakeMessage]:
        """Press the inline button ``text`` (in ``message`` or the latest bot
        message that has it) and wait until the callback query is handled."""
        msg = self._find_button(text, message)
        button = msg.find_button(text)
        assert button is not None
        data = button.get("callback_data")
        if data is None:
            raise AssertionError(f"inline button {text!r} has no callback_data: {button}")
        return await self.press_data(str(data), message=msg, timeout=timeout)

    async def press_data(
        self, data: str, *, message: MessageRef | None = None, timeout: float | None = None
    ) -> list[FakeMessage]:
        """Send a callback query with arbitrary (possibly forged) data from
        ``message`` (default: the latest bot message with an inline keyboard)."""
        if message is None:
            msg = next(
                (
                    m
                    for m in reversed(self.chat.bot_log)
                    if not m.deleted and "reply_markup" in m.data
                ),
                self.last,
            )
            if msg is None:
                raise AssertionError(f"no bot message in chat {self.chat.id} to press on")
        else:
            msg = message if isinstance(message, FakeMessage) else self.chat.messages[message]
        payload = self.tg.callback_query(self.data, self.chat, msg, data)
        return await self.tg.deliver(self.chat, "callback_query", payload, timeout)

    async def send_photo(
        self,
        *,
        size: int = 50_000,
        caption: str | None = None,
        width: int = 1280,
        height: int = 960,
        content: bytes | None = None,
        timeout: float | None = None,
    ) -> list[FakeMessage]:
        """Send a photo (three PhotoSize variants; the largest has ``size`` bytes)."""
        if content is not None:
            size = len(content)
        sizes = []
        stored = None
        for scale, sz in ((8, max(size // 40, 1)), (2, max(size // 6, 1)), (1, size)):
            stored = self.tg.new_file(
                size=sz,
                content=content if scale == 1 else None,
                folder="photos",
                prefix="AgAC",
            )
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": sz,
                    "width": max(width // scale, 1),
                    "height": max(height // scale, 1),
                }
            )
        body: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            body["caption"] = caption
        return await self._message(body, timeout=timeout, file=stored)

    async def send_document(
        self,
        file_name: str = "cert.pdf",
        mime_type: str = "application/pdf",
        *,
        size: int | None = None,
        content: bytes | None = None,
        caption: str | None = None,
        timeout: float | None = None,
    ) -> list[FakeMessage]:
        """Send a document. With ``content`` its size is len(content); with only
        ``size`` the file reads as that many zero bytes."""
        if content is None and size is None:
            content = b"%PDF-1.4\n% fake document\n"
        real_size = len(content) if content is not None else int(size or 0)
        stored = self.tg.new_file(
            size=real_size,
            content=content,
            folder="documents",
            file_name=file_name,
            mime_type=mime_type,
        )
        body: dict[str, Any] = {"document": self.tg.document_json(stored)}
        if caption is not None:
            body["caption"] = caption
        return await self._message(body, timeout=timeout, file=stored)

    async def send_sticker(
        self, emoji: str = "👍", *, timeout: float | None = None
    ) -> list[FakeMessage]:
        stored = self.tg.new_file(size=20_000, content=None, folder="stickers", prefix="CAAC")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        return await self._message({"sticker": sticker}, timeout=timeout, file=stored)

    async def send_contact(
        self,
        phone: str = "+77011234567",
        *,
        first_name: str | None = None,
        user_id: int | None = None,
        own: bool = True,
        timeout: float | None = None,
    ) -> list[FakeMessage]:
        """Share a contact; by default one's own (user_id set to the sender)."""
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or self.first_name,
        }
        if user_id is not None:
            contact["user_id"] = user_id
        elif own:
            contact["user_id"] = self.id
        return await self._message({"contact": contact}, timeout=timeout)

    async def send_location(
        self, latitude: float = 43.35, longitude: float = 77.0, *, timeout: float | None = None
    ) -> list[FakeMessage]:
        location = {"latitude": latitude, "longitude": longitude}
        return await self._message({"location": location}, timeout=timeout)

    async def send_raw(
        self, content: dict[str, Any], *, timeout: float | None = None
    ) -> list[FakeMessage]:
        """Send a message with arbitrary Message fields (message_id/from/chat/date added)."""
        return await self._message(dict(content), timeout=timeout)


class FakeUser(_Actor):
    """A person in a private chat with the bot (chat id == user id)."""

    @property
    def blocked(self) -> bool:
        return self.tg.is_blocked(self.id)

    async def block_bot(self, *, timeout: float | None = None) -> list[FakeMessage]:
        """Block the bot: sends become 403, and a my_chat_member update is queued."""
        self.tg.block_user(self.id)
        return await self._my_chat_member("member", "kicked", timeout)

    async def unblock_bot(self, *, timeout: float | None = None) -> list[FakeMessage]:
        self.tg.unblock_user(self.id)
        return await self._my_chat_member("kicked", "member", timeout)

    async def _my_chat_member(self, old: str, new: str, timeout: float | None) -> list[FakeMessage]:
        bot = self.tg.bot_user
        payload = {
            "chat": self.chat.data,
            "from": self.data,
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": bot}
            | ({"until_date": 0} if old == "kicked" else {}),
            "new_chat_member": {"status": new, "user": bot}
            | ({"until_date": 0} if new == "kicked" else {}),
        }
        return await self.tg.deliver(self.chat, "my_chat_member", payload, timeout)

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name!r}>"


class FakeMember(_Actor):
    """A member of a group; actions happen in the group chat."""

    @property
    def status(self) -> str:
        return self.chat.member_status.get(self.id, "left")

    def __repr__(self) -> str:
        return f"<FakeMember {self.id} {self.first_name!r} in {self.chat.id}>"


class FakeGroup(_ChatView):
    """A group or supergroup chat (negative chat id)."""

    def __init__(self, tg: FakeTelegram, chat: ChatState) -> None:
        self.tg = tg
        self.chat = chat

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def title(self) -> str:
        return str(self.chat.data.get("title", ""))

    def member(
        self,
        user_id: int,
        first_name: str = "Member",
        language_code: str | None = "ru",
        *,
        status: str = "member",
        last_name: str | None = None,
        username: str | None = None,
    ) -> FakeMember:
        """Add (or get) a member; ``status`` as in getChatMember
        (member/administrator/creator/restricted)."""
        user = self.tg.register_user(user_id, first_name, language_code, last_name, username)
        self.tg.join(self.chat, user, status)
        return FakeMember(self.tg, user, self.chat)

    def remove(self, user_id: int) -> None:
        self.tg.leave(self.chat, user_id)

    def __repr__(self) -> str:
        return f"<FakeGroup {self.id} {self.title!r}>"
