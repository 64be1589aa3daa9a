"""`python -m bot`: Telegram with BOT_TOKEN (polling, or webhook with WEBHOOK_URL);
without BOT_TOKEN a console chat in the terminal driving the same Dispatcher."""

from __future__ import annotations

import asyncio
import logging
import sys

from pydantic import ValidationError

from bot.app import BotApp
from bot.console import run_console
from bot.data.instances import AnotherProcess
from bot.settings import Settings


def settings_problem(error: ValidationError) -> str:
    """One line for settings the bot refuses (the validators say why and what to set)."""
    return "; ".join(
        str(item["msg"]).removeprefix("Value error, ")
        + (f" ({'.'.join(map(str, item['loc'])).upper()})" if item["loc"] else "")
        for item in error.errors()
    )


async def main() -> int:
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"error: {settings_problem(error)}", file=sys.stderr)  # one line, nothing started
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # alembic announces its autogenerate plugins at import time: noise at every start.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if settings.bot_token is None:
        return await run_console(settings)
    if settings.webhook_url and (problem := settings.webhook_problem()):
        print(f"error: {problem}", file=sys.stderr)  # one line, before anything starts
        return 2
    app = await BotApp.create(settings)
    try:
        if settings.webhook_url:
            await app.run_webhook()
        else:
            await app.run_polling()
    except AnotherProcess as error:
        print(f"error: {error}", file=sys.stderr)  # one line; the other process runs on
        return 3
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        sys.exit(0)
