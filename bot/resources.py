"""The folders the bot reads at run time: translation catalogs, database migrations and the example forms.

A wheel carries them inside the `bot` package (the build copies them there, see setup.py); in a source
checkout, and in an editable install, they are the top-level folders of the repository.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ("locales", "migrations", "examples")


def folder(name: str) -> Path:
    """The bundled folder `name` (one of BUNDLED): the installed copy if there is one, else the source tree's."""
    installed = files("bot").joinpath(name)
    # Installed wheels are plain files on disk; anything else (a zip import) falls back to the source tree.
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    return SOURCE_ROOT / name
