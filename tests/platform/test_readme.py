"""README.md leads with the two commands and documents every setting."""

from pathlib import Path

from mysetlist_common.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_the_two_commands_come_first() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first_block and "make test" in first_block


def test_settings_table_lists_every_setting() -> None:
    table = README.split("<!-- settings:begin -->", 1)[1].split("<!-- settings:end -->", 1)[0]
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in table]
    assert not missing, f"{missing}: run `uv run python tools/stack/settings_table.py`"
