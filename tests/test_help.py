"""Every ``--help`` is complete and accurate (issue 14 item 5): each command documents its exit
codes (CONTRACT.md), what generate discovers, the XML-DSig signatures, the --fail-on kinds and
the --severity values."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import click
import pytest

from mlbom.cli import EXIT_1, cli, exit_codes, main
from mlbom.collectors.registry import builtin_collectors
from mlbom.model import SEVERITIES


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, cmd in sorted(group.commands.items()):
        yield f"{prefix}{name}", cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, f"{prefix}{name} ")


def _help(capsys: pytest.CaptureFixture[str], name: str) -> str:
    capsys.readouterr()
    assert main([*name.split(), "--help"]) == 0
    return capsys.readouterr().out


def _flat(text: str) -> str:
    return " ".join(text.split())


ALL = [name for name, _ in _commands(cli)]


@pytest.mark.parametrize("name", ALL)
def test_every_help_documents_its_exit_codes(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert name in EXIT_1, f"{name}: say in mlbom.cli.EXIT_1 what exit code 1 means (None: never)"
    text = _help(capsys, name)
    section = text[text.index("Exit codes"):]
    for code, meaning in exit_codes(name):
        assert f"  {code}  " in section and _flat(meaning) in _flat(section), (name, code)
    if EXIT_1[name] is None:
        assert "  1  " not in section


def test_a_command_that_exits_1_says_so() -> None:
    for name, cmd in _commands(cli):
        if cmd.callback is None or isinstance(cmd, click.Group):
            continue
        src = inspect.getsource(cmd.callback)
        if "return 1" in src or " else 1" in src or "1 if " in src or "_gate(" in src:
            assert EXIT_1[name], name


def test_the_top_level_help_gives_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for code in (0, 1, 2):
        assert f"  {code}  " in text[text.index("Exit codes"):]


def test_generate_help_lists_what_it_discovers(capsys: pytest.CaptureFixture[str]) -> None:
    text = _flat(_help(capsys, "generate"))
    for name, cls in builtin_collectors().items():
        for pattern in cls.patterns:
            assert pattern in text, (name, pattern)
    assert "mlbom.toml" in text and "model, models/*" in text and "data, dataset" in text


def test_signing_help_names_xml_dsig(capsys: pytest.CaptureFixture[str]) -> None:
    assert "XML-DSig" in _help(capsys, "sign")
    assert "XML-DSig" in _help(capsys, "verify")


def test_fail_on_help_lists_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.diff import parse_fail_on
    from mlbom.errors import UsageError

    with pytest.raises(UsageError) as err:
        parse_fail_on("no-such-kind")
    known = str(err.value).split("known: ", 1)[1].split(",")
    text = _flat(_help(capsys, "diff")).replace("- ", "-")
    for kind in (k.strip().split(" ")[0].rstrip(")") for k in known):
        if kind and kind != "license-change":  # the American spelling is an alias of licence-change
            assert kind.split(":")[0] in text, kind


def test_severity_help_lists_every_severity(capsys: pytest.CaptureFixture[str]) -> None:
    text = _flat(_help(capsys, "query"))
    assert ", ".join(SEVERITIES) in text
