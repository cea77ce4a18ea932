"""Publishing: the GitHub Pages workflow passes actionlint and runs the README's two commands, and the
repository's address is one setting (_config.yml's repository.url) that every link is made from."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _links():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import links
    finally:
        sys.path.pop(0)
    return links


def _readme_commands() -> list[str]:
    """The README's two commands (build, test): the bash blocks of its "Two commands" section."""
    section = (ROOT / "README.md").read_text().split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def _actionlint() -> str | None:
    here = Path(sys.executable).with_name("actionlint")
    return str(here) if here.exists() else shutil.which("actionlint")


def test_the_workflow_passes_actionlint():
    assert WORKFLOWS, "no workflow in .github/workflows"
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed (pip install -r requirements.txt installs it)")
    result = subprocess.run([binary, *map(str, WORKFLOWS)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_builds_and_deploys_with_the_readme_commands():
    build, test = _readme_commands()
    workflow = yaml.safe_load(WORKFLOWS[0].read_text())
    runs = {name: [step.get("run", "") for step in job["steps"]]
            for name, job in workflow["jobs"].items()}
    assert build in runs["build"] and test in runs["test"]
    uses = [step.get("uses", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    upload = next(step for step in workflow["jobs"]["build"]["steps"]
                  if step.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    assert "pull_request" in workflow[True]  # YAML reads the key `on` as True
    assert workflow["jobs"]["test"]["if"] == "github.event_name == 'pull_request'"


def test_the_repository_address_is_one_setting():
    links = _links()
    url, branch = links.repository()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    assert (url, branch) == (config["url"], config["branch"])
    readme = (ROOT / "README.md").read_text()
    assert links.readme_with_badges(readme) == readme, "run `python tools/links.py --write`"
    assert links.binder_url() in readme and links.colab_url() in readme
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_notebooks
    finally:
        sys.path.pop(0)
    assert build_notebooks.REPOSITORY == url and build_notebooks.BRANCH == branch
    # the landing page links through substitutions made from the setting, never a written address
    index = (ROOT / "book" / "index.md").read_text()
    assert "{{ repository_link }}" in index and "{{ binder_link }}" in index
    assert "github.com/" not in index and "mybinder.org/v2" not in index


def test_links_refuse_an_address_that_is_not_a_github_repository():
    links = _links()
    with pytest.raises(ValueError, match="repository.url"):
        links.binder_url("book", "https://example.org/book", "main")
