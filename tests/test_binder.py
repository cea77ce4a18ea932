"""binder/postBuild: the settings that keep a Binder reader under 2 GB land where JupyterLab and
Jupyter Server read them."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Without jupyter_server installed (Binder's image has it, the book's requirements do not), the
# configuration as Jupyter Server loads it: the loader ServerApp inherits from jupyter_core's
# JupyterApp, reading jupyter_server_config.{py,json} from the same folders in the same order.
LOADER = """
import json, sys
from jupyter_core.application import JupyterApp

class ServerApp(JupyterApp):
    name = "jupyter-server"

app = ServerApp()
app.load_config_file()
json.dump(app.config, sys.stdout)
"""


def _post_build(tmp_path, existing=None) -> tuple[Path, dict]:
    """Run postBuild into a scratch prefix (as repo2docker into $NB_PYTHON_PREFIX); its environment."""
    prefix = tmp_path / "prefix"
    if existing is not None:  # what the image may hold already
        (prefix / "etc" / "jupyter").mkdir(parents=True)
        (prefix / "etc" / "jupyter" / "jupyter_server_config.json").write_text(json.dumps(existing))
    env = dict(os.environ, NB_PYTHON_PREFIX=str(prefix),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               JUPYTER_CONFIG_PATH=str(prefix / "etc" / "jupyter"), JUPYTER_CONFIG_DIR=str(tmp_path / "user"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    subprocess.run([str(ROOT / "binder" / "postBuild")], check=True, env=env, cwd=tmp_path)
    return prefix, env


def _server_config(env, cwd) -> dict:
    """`jupyter server --show-config-json`: the configuration Jupyter Server starts with."""
    if importlib.util.find_spec("jupyter_server"):
        command = [sys.executable, "-m", "jupyter_server", "--show-config-json"]
    else:
        command = [sys.executable, "-c", LOADER]
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_the_server_culls_kernels_no_tab_shows(tmp_path):
    prefix, env = _post_build(tmp_path)
    culling = _server_config(env, tmp_path)["MappingKernelManager"]
    assert culling == json.loads((ROOT / "binder" / "jupyter_server_config.json").read_text())[
        "MappingKernelManager"]
    # a kernel no tab is connected to goes after at most 30 idle minutes; a shown one never
    assert culling["cull_connected"] is False and 0 < culling["cull_idle_timeout"] <= 1800
    assert 0 < culling["cull_interval"] <= culling["cull_idle_timeout"]


def test_the_culler_is_merged_into_what_the_image_has(tmp_path):
    existing = {"ServerApp": {"shutdown_no_activity_timeout": 600},
                "MappingKernelManager": {"cull_idle_timeout": 0, "buffer_offline_messages": True}}
    prefix, env = _post_build(tmp_path, existing)
    config = _server_config(env, tmp_path)
    assert config["ServerApp"]["shutdown_no_activity_timeout"] == 600
    assert config["MappingKernelManager"]["buffer_offline_messages"] is True
    assert config["MappingKernelManager"]["cull_idle_timeout"] == 600
    _post_build(tmp_path, None)  # run twice (a rebuild): the same file
    assert _server_config(env, tmp_path) == config


def test_a_notebooks_kernel_shuts_down_with_its_tab(tmp_path):
    """JupyterLab's setting (Settings > Notebook > "Shut down kernel"), as an override of the image's."""
    prefix, _ = _post_build(tmp_path)
    lab = json.loads((prefix / "share/jupyter/lab/settings/overrides.json").read_text())
    assert lab["@jupyterlab/notebook-extension:tracker"]["kernelShutdown"] is True
