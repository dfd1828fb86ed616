"""Build hook: a wheel carries locales/, migrations/ and examples/ inside the `bot` package.

Everything else about the package is in pyproject.toml. The bot finds these folders with
bot.resources.folder(), which falls back to the repository's own folders in a source checkout or an
editable install (where nothing is copied).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("locales", "migrations", "examples")
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*.sqlite3*", ".*")


class BuildWithBundledFolders(build_py):
    """Copies the bundled folders into the built `bot` package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).resolve().parent
        for name in BUNDLED:
            target = Path(self.build_lib) / "bot" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(root / name, target, ignore=LEFT_OUT)


setup(cmdclass={"build_py": BuildWithBundledFolders})
