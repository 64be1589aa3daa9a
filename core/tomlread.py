"""Typed, path-aware reading of the parameter TOML files (MRP table of the budget
Law, locality policies such as decision 11-36). Every problem raises PolicyError
naming the file and the field, e.g. ``alatau.toml: amount.mrp_per_quarter: ...``."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from core.errors import PolicyError

__all__ = ["Table", "read_toml"]


def read_toml(path: Path) -> Table:
    """Read a parameter file (budget Law MRP table or a decision's policy, p.2–p.8)
    as a Table; a missing or malformed file raises PolicyError."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError(f"{path.name}: file not found ({path})") from None
    except OSError as exc:
        raise PolicyError(f"{path.name}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path.name}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path.name}: not UTF-8 text: {exc}") from None
    return Table(path.name, "", data)


class Table:
    """A TOML table being validated (parameter files of decision 11-36 and the
    budget Law); each accessor checks a type and marks the key as used so that
    ``finish()`` can reject unknown (mistyped) keys."""

    def __init__(self, file: str, where: str, data: Mapping[str, Any]) -> None:
        self._file = file
        self._where = where
        self._data = data
        self._used: set[str] = set()

    def error(self, key: str | None, problem: str) -> PolicyError:
        """A PolicyError for ``key`` of this table (parameter files of p.2–p.8, domain.md §4)."""
        place = self._path(key) if key is not None else (self._where or "top level")
        return PolicyError(f"{self._file}: {place}: {problem}")

    def _path(self, key: str) -> str:
        return f"{self._where}.{key}" if self._where else key

    def _get(self, key: str, optional: bool = False) -> object:
        self._used.add(key)
        if key not in self._data:
            if optional:
                return None
            raise self.error(key, "is required but missing")
        return self._data[key]

    def has(self, key: str) -> bool:
        """Whether ``key`` is present (optional fields of a policy of p.2–p.8)."""
        return key in self._data

    def text(self, key: str, optional: bool = False) -> str | None:
        """A non-empty string, e.g. a legal reference ("p.7", a budget Law)."""
        value = self._get(key, optional)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {type(value).__name__}")
        if not value.strip():
            raise self.error(key, "must not be empty")
        return value

    def required_text(self, key: str) -> str:
        """A required non-empty string (e.g. the reference of p.2's department)."""
        value = self.text(key)
        assert value is not None
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        """A required integer within ``low..high`` (e.g. p.7's 8 MRP)."""
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be an integer, got {type(value).__name__}")
        if not low <= value <= high:
            raise self.error(key, f"must be between {low} and {high}, got {value}")
        return value

    def boolean(self, key: str) -> bool:
        """A required true/false (e.g. whether a budget Law's number was verified)."""
        value = self._get(key)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {value!r}")
        return value

    def day(self, key: str, optional: bool = False) -> date | None:
        """A TOML date (YYYY-MM-DD without time), e.g. an effective date of a Law."""
        value = self._get(key, optional)
        if value is None:
            return None
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise self.error(key, f"must be a date like 2024-12-01, got {value!r}")
        return value

    def required_day(self, key: str) -> date:
        """A required TOML date (e.g. ``since`` of an MRP row, budget Law)."""
        value = self.day(key)
        assert value is not None
        return value

    def integers(self, key: str, low: int, high: int) -> tuple[int, ...]:
        """A non-empty array of integers in ``low..high`` (e.g. months of a quarter, p.7)."""
        value = self._get(key)
        if not isinstance(value, list) or not value:
            raise self.error(key, "must be a non-empty array of integers")
        result: list[int] = []
        for position, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, int):
                raise self.error(f"{key}[{position}]", f"must be an integer, got {item!r}")
            if not low <= item <= high:
                raise self.error(
                    f"{key}[{position}]", f"must be between {low} and {high}, got {item}"
                )
            result.append(item)
        return tuple(result)

    def texts(self, key: str) -> tuple[str, ...]:
        """A non-empty array of non-empty strings (e.g. p.3 exclusion codes, p.6 channels)."""
        value = self._get(key)
        if not isinstance(value, list) or not value:
            raise self.error(key, "must be a non-empty array of strings")
        for position, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.error(f"{key}[{position}]", f"must be a non-empty string, got {item!r}")
        return tuple(value)

    def table(self, key: str, optional: bool = False) -> Table | None:
        """A sub-table (e.g. ``[department]`` of p.2); None when optional and absent."""
        value = self._get(key, optional)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, got {type(value).__name__}")
        return Table(self._file, self._path(key), value)

    def required_table(self, key: str) -> Table:
        """A required sub-table (e.g. ``[amount]`` of p.7)."""
        value = self.table(key)
        assert value is not None
        return value

    def tables(self, key: str) -> tuple[Table, ...]:
        """A non-empty array of tables (e.g. ``[[mrp]]`` rows of the budget Laws)."""
        value = self._get(key)
        if not isinstance(value, list) or not value:
            raise self.error(key, "must be a non-empty array of tables")
        result: list[Table] = []
        for position, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.error(f"{key}[{position}]", "must be a table")
            result.append(Table(self._file, f"{self._path(key)}[{position}]", item))
        return tuple(result)

    def string_map(self) -> dict[str, str]:
        """All keys of this table as non-empty strings (e.g. p.2 names by language)."""
        result: dict[str, str] = {}
        for key in self._data:
            result[key] = self.required_text(key)
        return result

    def finish(self) -> None:
        """Reject keys that no accessor asked for (a mistyped field of a p.2–p.8 policy file)."""
        unknown = sorted(set(self._data) - self._used)
        if unknown:
            raise self.error(None, f"unknown field(s): {', '.join(unknown)}")
