"""The README documents every CLI command and every setting."""

from __future__ import annotations

from conftest import ROOT
from policylens.cli import app
from policylens.config import SETTINGS_HELP

README = (ROOT / "README.md").read_text("utf-8")


def test_docs_every_command_is_in_readme_and_has_help():
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert f"policylens {name}" in README, name
        assert (command.callback.__doc__ or "").strip(), name


def test_docs_every_setting_is_in_readme():
    for variable, help_text in SETTINGS_HELP.values():
        assert variable in README and help_text
