"""Console chat: `python -m bot` without BOT_TOKEN talks to the real Dispatcher in the terminal."""

from bot.console.chat import run_console

__all__ = ["run_console"]
