"""The image's contract with the service, read from service/Dockerfile as text (no Docker engine here).

Each check is a promise that can rot silently while hadolint stays green: an env var renamed in AgentSettings, a
second worker loading a second model onto the GPU, a port hard-coded past Cloud Run's PORT, root at run time.
"""

import re
from pathlib import Path

from agent_lib.factory import AgentSettings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "service" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def final_stage() -> list[tuple[str, str]]:
    ins = instructions()
    last_from = max(i for i, (word, _) in enumerate(ins) if word == "FROM")
    return ins[last_from:]


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    return dict(pair.split("=", 1) for word, args in stage if word == "ENV" for pair in args.split())


def test_runs_as_a_non_root_user():
    users = [args for word, args in final_stage() if word == "USER"]
    assert users, "the final stage sets no USER: the service would run as root"
    uid = users[-1].split(":")[0]
    assert uid not in ("root", "0")


def test_model_env_vars_are_agent_settings_fields():
    env = env_of(final_stage())
    fields = AgentSettings.model_fields
    assert env["LOCAL_MODEL_CACHE"] == "/opt/models" and "local_model_cache" in fields
    assert "memory_data_dir" in fields and env["MEMORY_DATA_DIR"]
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        assert env[name] == "1", f"{name} must be set: nothing may download at start"


def test_the_writable_data_dir_belongs_to_the_runtime_user():
    stage = final_stage()
    uid = [args for word, args in stage if word == "USER"][-1].split(":")[0]
    data_dir = env_of(stage)["MEMORY_DATA_DIR"]
    runs = " ".join(args for word, args in stage if word == "RUN")
    assert re.search(rf"chown {uid}(:\S+)? {re.escape(data_dir)}\b", runs)


def test_cmd_runs_one_worker_on_port():
    stage = final_stage()
    cmd = [args for word, args in stage if word == "CMD"][-1]
    assert "--workers 1" in cmd, "one worker: every worker loads its own model onto the one GPU"
    assert "${PORT" in cmd and cmd.startswith('["sh", "-c"'), "Cloud Run's PORT must be expanded at start"
    assert "app.main:app --app-dir service" in cmd
    assert env_of(stage)["PORT"] == "8080" and ("EXPOSE", "8080") in stage


def test_build_bakes_the_model_and_checks_the_cache_entry():
    ins = instructions()
    runs = [args for word, args in ins if word == "RUN"]
    bake = next(r for r in runs if "LocalLLM" in r and ".load()" in r)
    assert "local_model_cache" in bake and "device='cpu'" in bake and "LocalEmbedder" in bake
    assert "llm.source == 'converted'" in bake
    # the final stage looks the entry up the way the service does, so a cache miss fails the build
    assert any("LocalLLM" in r and ".folder" in r for word, r in final_stage() if word == "RUN")


def test_runtime_requirements_section_exists():
    """The image installs the `# --- service` section of requirements.txt: it must exist and name the server."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    start = lines.index("# --- service")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("# --- "))
    names = {re.split(r"[\[<>=]", line)[0] for line in lines[start + 1 : end] if line and not line.startswith("#")}
    assert {"fastapi", "uvicorn", "prometheus-client", "python-json-logger"} <= names
    assert "sed -n '/^# --- service/,/^# --- /p' requirements.txt" in DOCKERFILE.read_text()
