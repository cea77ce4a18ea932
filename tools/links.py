"""Every link to the book's repository, derived from its one setting: `_config.yml`'s repository.url.

Whoever publishes the book under another address changes that one line, then runs

    python tools/links.py --write     # rewrite the README's badges from _config.yml

The Colab install cell (tools/build_notebooks.py), the launch buttons (Jupyter Book reads the same
setting), the landing page (book/_ext/dtcart_book.py turns these links into MyST substitutions) and
the tests read it from there too. `python tools/links.py --check` exits 1 if the README is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FIRST_CHAPTER = "book/01_physics.ipynb"


def repository(config: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """(url, branch) of the repository, from _config.yml."""
    setting = yaml.safe_load(Path(config).read_text())["repository"]
    return setting["url"].rstrip("/"), setting.get("branch", "main")


def _slug(url: str) -> str:
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)", url)
    if match is None:
        raise ValueError(f"repository.url must be https://github.com/OWNER/NAME, got {url!r}")
    return match.group(1)


def binder_url(path: str = "book", url: str | None = None, branch: str | None = None) -> str:
    """The mybinder.org address that opens `path` of the repository in JupyterLab."""
    url, branch = (url, branch) if url else repository()
    return f"https://mybinder.org/v2/gh/{_slug(url)}/{branch}?urlpath=lab/tree/{path}"


def colab_url(path: str = FIRST_CHAPTER, url: str | None = None, branch: str | None = None) -> str:
    """The Colab address that opens the notebook `path` of the repository."""
    url, branch = (url, branch) if url else repository()
    return f"https://colab.research.google.com/github/{_slug(url)}/blob/{branch}/{path}"


def badges() -> str:
    """The README's two badge lines."""
    return (f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url()})\n"
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url()})\n")


_BADGES = re.compile(r"^\[!\[Binder\].*\n\[!\[Open In Colab\].*\n", re.M)


def readme_with_badges(text: str) -> str:
    """The README text with its badge lines regenerated."""
    if not _BADGES.search(text):
        raise ValueError("the README has no Binder and Colab badge lines to replace")
    return _BADGES.sub(lambda _: badges(), text, count=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite README.md's badges")
    group.add_argument("--check", action="store_true", help="exit 1 if README.md's badges are stale")
    args = parser.parse_args(argv)
    readme = ROOT / "README.md"
    text = readme.read_text()
    fresh = readme_with_badges(text)
    if args.write and fresh != text:
        readme.write_text(fresh)
        print("README.md: badges rewritten")
    elif args.check:
        return 0 if fresh == text else 1
    elif not args.write:
        print(badges(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
