"""Every public function and class of core/ names the rule it implements: a
paragraph of decision 11-36 ("p.N"), an article ("Art."), a "Law", or a "§" of
the domain spec."""

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import pytest

import core

MARKERS = ("p.", "Art.", "Law", "§")


def core_modules() -> list[ModuleType]:
    names = [info.name for info in pkgutil.walk_packages(core.__path__, "core.")]
    return [core] + [importlib.import_module(n) for n in sorted(names) if n != "core.__main__"]


def public_objects(module: ModuleType) -> Iterator[tuple[str, object]]:
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isfunction(inspect.unwrap(obj)):  # type: ignore[arg-type]
            yield f"{module.__name__}.{name}", obj
        elif inspect.isclass(obj):
            yield f"{module.__name__}.{name}", obj
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                target = (
                    member.fget
                    if isinstance(member, property)
                    else getattr(member, "__func__", member)
                )
                if inspect.isfunction(target):
                    yield f"{module.__name__}.{name}.{attr}", target


OBJECTS = [item for module in core_modules() for item in public_objects(module)]


def test_found_the_api() -> None:
    names = {name for name, _ in OBJECTS}
    for expected in (
        "core.schedule.estimate",
        "core.eligibility.screen",
        "core.status.apply_action",
        "core.validators.parse_iin",
        "core.policy.load_policy",
        "core.mrp.mrp_on",
        "core.months.Month",
        "core.months.Month.next",
    ):
        assert expected in names


@pytest.mark.parametrize(("name", "obj"), OBJECTS, ids=[name for name, _ in OBJECTS])
def test_docstring_names_its_rule(name: str, obj: object) -> None:
    doc = inspect.getdoc(obj) if not inspect.isclass(obj) else obj.__dict__.get("__doc__")
    assert doc, f"{name} has no docstring"
    assert any(marker in doc for marker in MARKERS), (
        f"{name}: docstring cites no paragraph: {doc!r}"
    )


@pytest.mark.parametrize("module", core_modules(), ids=lambda m: m.__name__)
def test_every_module_has_a_docstring(module: ModuleType) -> None:
    assert module.__doc__ and module.__doc__.strip()
