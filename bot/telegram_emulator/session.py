"""The in-process front-end: an aiogram session answered by the emulator.

`EmulatorSession` is an aiogram `BaseSession`: instead of sending HTTP
requests it hands every Bot API method to a :class:`TelegramEmulator` and
turns its answer into the same result or aiogram exception a real request
would give (the JSON goes through aiogram's own response check).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from .emulator import ApiError, Files, TelegramEmulator

if TYPE_CHECKING:
    from aiogram import Bot


class EmulatorSession(BaseSession):
    """The Bot API answered in this process by ``emulator``."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        super().__init__()
        self.emulator = emulator

    async def close(self) -> None:
        return None

    def answer(self, method: str, params: dict[str, Any], files: Files) -> Any:
        """The result of one method (raise :class:`ApiError` to refuse it)."""
        return self.emulator.call(method, params, files)

    def refused(self, method: str, params: dict[str, Any], error: ApiError) -> None:
        """Called with every error answer (the console shows it)."""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = method.__api_method__
        inputs: dict[str, InputFile] = {}
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=inputs, _dumps_json=False)
            if prepared is not None:
                params[key] = prepared
        files: Files = {}
        for key, input_file in inputs.items():
            data = b"".join([chunk async for chunk in input_file.read(bot)])
            files[key] = (input_file.filename or key, "application/octet-stream", data)
        self.emulator.use_token(bot.token)
        try:
            payload: dict[str, Any] = {"ok": True, "result": self.answer(name, params, files)}
            status = 200
        except ApiError as error:
            self.refused(name, params, error)
            payload, status = error.payload(), error.code
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
        """A download (``bot.download``): the file behind ``…/file/bot<token>/<path>``."""
        _, _, tail = url.partition("/file/bot")
        stored = self.emulator.file_at(tail.partition("/")[2])
        if stored is None:
            raise FileNotFoundError(f"no such file in the emulator: {url.rsplit('/', 1)[-1]}")
        data = stored.read()
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]
