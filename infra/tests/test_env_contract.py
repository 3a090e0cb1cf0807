"""Every env var infra hands a Cloud Run service is one its app reads, under the name the app reads it.

Deployed, a misspelt name fails silently: the app falls back to its default and the variable is ignored (the
dashboard once got `DASHBOARD_API_KEY` while it read `SERVICE_API_KEY`, so every deployed call got 401). So the
names come from the apps themselves: the agent's from its pydantic-settings models, imported here (service
`Settings`, `agent_lib.factory.AgentSettings` with its `MemorySettings`); the dashboard's from the
`process.env.X` reads in its source.
"""

import re
import sys
from pathlib import Path

import pytest
from pydantic import AliasChoices, TypeAdapter
from pydantic_settings import BaseSettings

from infra_mocks import Deployment, agent, dashboard, envs, plain_env

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard"
sys.path.insert(0, str(ROOT / "service"))  # `app` as the service imports it (pytest.ini's pythonpath does too)

from agent_lib.factory import AgentSettings  # noqa: E402
from app.core.config import Settings  # noqa: E402

AGENT_MODELS: tuple[type[BaseSettings], ...] = (Settings, AgentSettings)
# Read by Next's standalone server itself (server.js), not by our source; Cloud Run sets PORT.
NEXT_RUNTIME_ENV = frozenset({"PORT", "HOSTNAME", "NODE_ENV", "NEXT_TELEMETRY_DISABLED"})
ENV_READ = re.compile(r"""process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\])""")


def env_names(model: type[BaseSettings]) -> dict[str, str]:
    """Env var name -> field name, as pydantic-settings matches them (prefix + alias or field name, any case)."""
    prefix = model.model_config.get("env_prefix", "")
    names = {}
    for field_name, f in model.model_fields.items():
        alias = f.validation_alias or f.alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias] if alias else [prefix + field_name]
        names |= {str(c).upper(): field_name for c in choices}
    assert not model.model_config.get("case_sensitive"), f"{model.__name__}: names below compare upper-cased"
    return names


def dashboard_reads() -> set[str]:
    """`process.env.X` in the dashboard's own code (its app, components and lib; not tests or e2e)."""
    files = [
        p
        for folder in ("app", "components", "lib")
        for p in (DASHBOARD / folder).rglob("*")
        if p.suffix in (".ts", ".tsx", ".js", ".mjs")
    ]
    files += list(DASHBOARD.glob("next.config.*"))
    assert any(p.name == "api.ts" for p in files), "dashboard/lib/api.ts not found"
    return {a or b for p in files for a, b in ENV_READ.findall(p.read_text())}


def injected(service) -> set[str]:
    return set(envs(service))


def test_the_env_name_parsers_see_what_they_must():
    """The two readers above, on the cases they exist for (a broken reader would pass every check below)."""
    assert {"SERVICE_API_KEYS", "ENVIRONMENT", "REDIS_URL", "OPENAI_API_KEY", "VERTEX_INDEX"} <= set().union(
        *(env_names(m) for m in AGENT_MODELS)
    )
    assert ENV_READ.findall("process.env.API_BASE_URL ?? process.env['SERVICE_API_KEY']") == [
        ("API_BASE_URL", ""),
        ("", "SERVICE_API_KEY"),
    ]
    assert {"API_BASE_URL", "SERVICE_API_KEY"} <= dashboard_reads()


def test_every_env_var_of_the_agent_is_a_setting_the_service_reads(deployment: Deployment):
    """Plain and Secret Manager env vars alike: each names a field of the service's or the agent's settings."""
    read = set().union(*(env_names(m) for m in AGENT_MODELS))
    unread = injected(agent(deployment)) - read
    assert unread == set(), f"infra injects {sorted(unread)} into the agent, which reads none of them"


def test_the_agents_plain_values_are_ones_its_settings_accept(deployment: Deployment):
    """e.g. ENVIRONMENT=prod must be one of the service's environments, or the service refuses to start."""
    for name, value in plain_env(agent(deployment)).items():
        for model in AGENT_MODELS:
            field = env_names(model).get(name)
            if field:
                TypeAdapter(model.model_fields[field].annotation).validate_python(value)


def test_every_env_var_of_the_dashboard_is_one_it_reads(deployment: Deployment):
    reads = dashboard_reads()
    unread = injected(dashboard(deployment)) - reads - NEXT_RUNTIME_ENV
    assert unread == set(), f"infra injects {sorted(unread)} into the dashboard, whose source reads none of them"


@pytest.mark.parametrize("name", ["API_BASE_URL", "SERVICE_API_KEY"])
def test_the_dashboard_gets_what_it_needs_to_call_the_service(deployment: Deployment, name: str):
    """The other direction, for the two it cannot work without: the service's URL and its admin key."""
    assert name in dashboard_reads()
    assert name in injected(dashboard(deployment))
