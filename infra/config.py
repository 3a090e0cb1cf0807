"""Every configuration read of the Pulumi program: typed, validated, with per-stack defaults.

Values come from `Pulumi.<stack>.yaml` (`agent-workspace:<key>`, plus `gcp:project` / `gcp:region`); a key the
stack file leaves out takes the default of the stack's environment (`dev` or `prod`) below. Nothing else in
`infra/` calls `pulumi.Config()`.
"""

import re
from dataclasses import dataclass
from typing import Any

import pulumi

# The agent is built and benchmarked for one accelerator: Cloud Run's NVIDIA L4 (24 GB).
GPU_ACCELERATOR = "nvidia-l4"
GPU_MIN_CPU = 4  # Cloud Run requires at least 4 vCPU for an L4 instance
GPU_MIN_MEMORY_GIB = 16  # ... and at least 16 GiB of memory
GPU_CPU_CHOICES = ("4", "6", "8")
GPU_MAX_STARTUP_S = 1800  # startup probe budget (failureThreshold x periodSeconds) allowed for GPU services
PROBE_PERIOD_S = 10
PLACEHOLDER_IMAGE = "us-docker.pkg.dev/cloudrun/container/hello"  # until CI sets agentImage / dashboardImage
INGRESS = {"all": "INGRESS_TRAFFIC_ALL", "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY"}
REDIS_TIERS = ("BASIC", "STANDARD_HA")

# Secret Manager secrets each service mounts: env var name (the name its app reads) -> secret id (suffixed with the
# stack). Values are never in Pulumi: `gcloud secrets versions add`. tests/test_env_contract.py checks the names.
AGENT_SECRETS = {
    "OPENAI_API_KEY": "openai-api-key",
    "PORTKEY_API_KEY": "portkey-api-key",
    "SERVICE_API_KEYS": "service-api-keys",  # the admin keys the agent accepts, comma-separated
    "SERVICE_TOKEN_SECRET": "service-token-secret",  # signs the user tokens the agent mints and verifies
}
# The dashboard's own admin key (one of SERVICE_API_KEYS), read by dashboard/lib/api.ts as SERVICE_API_KEY; its secret
# keeps the id it always had, so a deployed stack keeps the version an operator added.
DASHBOARD_SECRETS = {"SERVICE_API_KEY": "dashboard-api-key"}

IAP_API = "iap.googleapis.com"  # its service agent invokes the dashboard for the operators IAP let through
# Who may pass Identity-Aware Proxy to the dashboard: IAM principals of these kinds (never allUsers and the like).
OPERATOR_KINDS = ("user", "group", "domain", "serviceAccount", "principal", "principalSet")
# Stack keys that no longer exist, and what replaced them: a stale one in a stack file must not look like it works.
RETIRED_KEYS = {
    "agentPublic": "the agent always lets its app authenticate callers (Cloud Run's invoker check is off)",
    "dashboardPublic": "the dashboard is always behind Identity-Aware Proxy: list who may pass in `operators`",
}

DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "deployBranch": "develop",
        "deletionProtection": False,
        "servicesEnabled": True,
        "agentCpu": "4",
        "agentMemory": "16Gi",
        "agentMinInstances": 0,
        "agentMaxInstances": 1,
        "agentConcurrency": 4,
        "agentRequestTimeoutS": 900,
        "agentStartupTimeoutS": 600,
        "agentIngress": "all",
        "gpuZonalRedundancy": False,
        "dashboardCpu": "1",
        "dashboardMemory": "512Mi",
        "dashboardMinInstances": 0,
        "dashboardMaxInstances": 2,
        "dashboardConcurrency": 80,
        "dashboardIngress": "all",
        "redisTier": "BASIC",
        "redisMemoryGb": 1,
        "redisVersion": "REDIS_7_2",
        "firestoreDatabase": "(default)",
        "vertexEnabled": False,
        "embeddingDimensions": 384,
        "vertexMinReplicas": 1,
        "vertexMaxReplicas": 1,
        "subnetCidr": "10.8.0.0/24",
    },
    "prod": {
        "deployBranch": "main",
        "deletionProtection": True,
        "servicesEnabled": True,
        "agentCpu": "8",
        "agentMemory": "32Gi",
        "agentMinInstances": 1,
        "agentMaxInstances": 3,
        "agentConcurrency": 8,
        "agentRequestTimeoutS": 900,
        "agentStartupTimeoutS": 900,
        "agentIngress": "internal",
        "gpuZonalRedundancy": True,
        "dashboardCpu": "1",
        "dashboardMemory": "1Gi",
        "dashboardMinInstances": 1,
        "dashboardMaxInstances": 4,
        "dashboardConcurrency": 80,
        "dashboardIngress": "all",
        "redisTier": "STANDARD_HA",
        "redisMemoryGb": 5,
        "redisVersion": "REDIS_7_2",
        "firestoreDatabase": "(default)",
        "vertexEnabled": True,
        "embeddingDimensions": 384,
        "vertexMinReplicas": 1,
        "vertexMaxReplicas": 2,
        "subnetCidr": "10.8.0.0/24",
    },
}

# What the GitHub Actions deployer may do: everything this program manages, nothing else.
DEPLOYER_ROLES = (
    "roles/run.admin",
    "roles/artifactregistry.admin",
    "roles/secretmanager.admin",
    "roles/redis.admin",
    "roles/datastore.owner",
    "roles/aiplatform.admin",
    "roles/compute.networkAdmin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/serviceusage.serviceUsageAdmin",
    "roles/iap.admin",  # who may pass IAP to the dashboard
)


@dataclass(frozen=True)
class ServiceSettings:
    """One Cloud Run service."""

    image: str
    cpu: str
    memory: str
    min_instances: int
    max_instances: int
    concurrency: int  # requests one instance serves at once (streams stay open, so keep it low on the GPU)
    ingress: str  # INGRESS_TRAFFIC_ALL | INGRESS_TRAFFIC_INTERNAL_ONLY
    port: int
    timeout_s: int
    domain: str | None  # optional custom domain mapped to the service


@dataclass(frozen=True)
class RedisSettings:
    tier: str
    memory_gb: int
    version: str


@dataclass(frozen=True)
class VertexSettings:
    enabled: bool
    min_replicas: int
    max_replicas: int


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one stack."""

    stack: str
    environment: str  # dev | prod: which defaults apply
    project: str
    region: str
    github_repository: str  # owner/name: the only repository whose workflows may use the WIF provider
    deploy_branch: str  # the branch whose pushes may deploy this stack
    deletion_protection: bool
    services_enabled: bool  # False at bootstrap, until the secrets have versions
    agent: ServiceSettings
    gpu_zonal_redundancy: bool
    agent_startup_timeout_s: int
    dashboard: ServiceSettings
    operators: tuple[str, ...]  # IAM principals IAP lets through to the dashboard (user:..., group:...)
    redis: RedisSettings
    firestore_database: str
    firestore_location: str
    embedding_dimensions: int  # the agent's embedder (all-MiniLM-L6-v2: 384); every vector index uses it
    vertex: VertexSettings
    subnet_cidr: str
    state_bucket: str | None  # Pulumi state bucket the deployer needs (gs:// backend), if any
    secrets_kms_key: str | None  # Pulumi secrets provider key the deployer needs (gcpkms://), if any
    deployer_roles: tuple[str, ...]

    def name(self, base: str) -> str:
        """`base` suffixed with the stack, so dev and prod can share one project."""
        return f"{base}-{self.stack}"

    @property
    def apis(self) -> tuple[str, ...]:
        """Google APIs this stack needs."""
        apis = [
            "artifactregistry.googleapis.com",
            "cloudresourcemanager.googleapis.com",
            "compute.googleapis.com",
            "firestore.googleapis.com",
            "iam.googleapis.com",
            "iamcredentials.googleapis.com",
            IAP_API,
            "redis.googleapis.com",
            "run.googleapis.com",
            "secretmanager.googleapis.com",
            "sts.googleapis.com",
        ]
        if self.vertex.enabled:
            apis.append("aiplatform.googleapis.com")
        return tuple(apis)

    @property
    def startup_failure_threshold(self) -> int:
        """Startup probe failures allowed: the startup budget in probe periods."""
        return self.agent_startup_timeout_s // PROBE_PERIOD_S


def _gib(memory: str) -> float:
    """'16Gi' / '512Mi' -> GiB."""
    m = re.fullmatch(r"(\d+)(Gi|Mi)", memory)
    if not m:
        raise ValueError(f"memory must look like 16Gi or 512Mi, got {memory!r}")
    return int(m[1]) / (1 if m[2] == "Gi" else 1024)


class _Reader:
    """Reads `agent-workspace:<key>` with the environment's default; fails on a key with neither."""

    def __init__(self, environment: str):
        self.cfg = pulumi.Config()
        self.defaults = DEFAULTS[environment]

    def _default(self, key: str) -> Any:
        if key not in self.defaults:
            raise ValueError(f"missing required config agent-workspace:{key}")
        return self.defaults[key]

    def text(self, key: str) -> str:
        v = self.cfg.get(key)
        return v if v is not None else self._default(key)

    def optional(self, key: str) -> str | None:
        return self.cfg.get(key) or None

    def number(self, key: str) -> int:
        v = self.cfg.get_int(key)
        return v if v is not None else self._default(key)

    def flag(self, key: str) -> bool:
        v = self.cfg.get_bool(key)
        return v if v is not None else self._default(key)

    def strings(self, key: str) -> list[str]:
        """A YAML list of strings; missing: empty."""
        how = f"a list of strings (pulumi config set --path '{key}[0]' ...)"
        try:
            v = self.cfg.get_object(key)
        except pulumi.config.ConfigTypeError as e:
            raise ValueError(f"agent-workspace:{key} must be {how}: {e}") from e
        if v is None:
            return []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ValueError(f"agent-workspace:{key} must be {how}, got {v!r}")
        return v


def _service(r: _Reader, prefix: str, image_key: str, port: int, timeout_s: int) -> ServiceSettings:
    ingress = r.text(f"{prefix}Ingress")
    if ingress not in INGRESS:
        raise ValueError(f"{prefix}Ingress must be one of {sorted(INGRESS)}, got {ingress!r}")
    s = ServiceSettings(
        image=r.optional(image_key) or PLACEHOLDER_IMAGE,
        cpu=r.text(f"{prefix}Cpu"),
        memory=r.text(f"{prefix}Memory"),
        min_instances=r.number(f"{prefix}MinInstances"),
        max_instances=r.number(f"{prefix}MaxInstances"),
        concurrency=r.number(f"{prefix}Concurrency"),
        ingress=INGRESS[ingress],
        port=port,
        timeout_s=timeout_s,
        domain=r.optional(f"{prefix}Domain"),
    )
    _gib(s.memory)
    if not 0 <= s.min_instances <= s.max_instances or s.max_instances < 1:
        raise ValueError(f"{prefix}: need 0 <= minInstances <= maxInstances and maxInstances >= 1")
    if s.concurrency < 1:
        raise ValueError(f"{prefix}Concurrency must be >= 1")
    return s


def _operators(r: _Reader, services_enabled: bool) -> tuple[str, ...]:
    """The dashboard's operators: IAM principals, at least one while the services exist."""
    operators = tuple(dict.fromkeys(o.strip() for o in r.strings("operators")))
    for o in operators:
        kind, _, ident = o.partition(":")
        if kind not in OPERATOR_KINDS or not ident:
            raise ValueError(f"operators: {o!r} is not an IAM principal of a kind in {OPERATOR_KINDS}")
    if services_enabled and not operators:
        raise ValueError(
            "operators: list who may open the dashboard (e.g. [group:agent-operators@example.com]); "
            "without one, Identity-Aware Proxy lets no one through"
        )
    return operators


def load() -> Settings:
    """Read and validate the current stack's configuration."""
    stack = pulumi.get_stack()
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,15}", stack):
        # it suffixes service account ids (<= 30 chars, e.g. dashboard-run-<stack>) and other resource ids
        raise ValueError(f"stack name {stack!r}: use 2-16 lowercase letters, digits or hyphens, starting with a letter")
    environment = pulumi.Config().get("environment") or stack
    if environment not in DEFAULTS:
        raise ValueError(f"stack {stack!r}: set agent-workspace:environment to one of {sorted(DEFAULTS)}")
    r = _Reader(environment)
    for key, why in RETIRED_KEYS.items():
        if r.cfg.get(key) is not None:
            raise ValueError(f"agent-workspace:{key} is gone: {why}; remove it from the stack file")
    gcp = pulumi.Config("gcp")
    services_enabled = r.flag("servicesEnabled")

    agent = _service(r, "agent", "agentImage", port=8080, timeout_s=r.number("agentRequestTimeoutS"))
    if agent.cpu not in GPU_CPU_CHOICES or int(agent.cpu) < GPU_MIN_CPU:
        raise ValueError(
            f"agentCpu: an {GPU_ACCELERATOR} instance needs one of {GPU_CPU_CHOICES} vCPU, got {agent.cpu}"
        )
    if _gib(agent.memory) < GPU_MIN_MEMORY_GIB:
        raise ValueError(
            f"agentMemory: an {GPU_ACCELERATOR} instance needs >= {GPU_MIN_MEMORY_GIB}Gi, got {agent.memory}"
        )
    startup = r.number("agentStartupTimeoutS")
    if not PROBE_PERIOD_S <= startup <= GPU_MAX_STARTUP_S:
        raise ValueError(f"agentStartupTimeoutS must be in [{PROBE_PERIOD_S}, {GPU_MAX_STARTUP_S}], got {startup}")

    repo = r.text("githubRepository")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        raise ValueError(f"githubRepository must be owner/name, got {repo!r}")
    redis_tier = r.text("redisTier")
    if redis_tier not in REDIS_TIERS:
        raise ValueError(f"redisTier must be one of {REDIS_TIERS}, got {redis_tier!r}")
    region = gcp.require("region")
    vertex = VertexSettings(
        enabled=r.flag("vertexEnabled"),
        min_replicas=r.number("vertexMinReplicas"),
        max_replicas=r.number("vertexMaxReplicas"),
    )
    if not 1 <= vertex.min_replicas <= vertex.max_replicas:
        raise ValueError("vertex: need 1 <= vertexMinReplicas <= vertexMaxReplicas")

    return Settings(
        stack=stack,
        environment=environment,
        project=gcp.require("project"),
        region=region,
        github_repository=repo,
        deploy_branch=r.text("deployBranch"),
        deletion_protection=r.flag("deletionProtection"),
        services_enabled=services_enabled,
        agent=agent,
        gpu_zonal_redundancy=r.flag("gpuZonalRedundancy"),
        agent_startup_timeout_s=startup,
        dashboard=_service(r, "dashboard", "dashboardImage", port=3000, timeout_s=300),
        operators=_operators(r, services_enabled),
        redis=RedisSettings(tier=redis_tier, memory_gb=r.number("redisMemoryGb"), version=r.text("redisVersion")),
        firestore_database=r.text("firestoreDatabase"),
        firestore_location=r.optional("firestoreLocation") or region,
        embedding_dimensions=r.number("embeddingDimensions"),
        vertex=vertex,
        subnet_cidr=r.text("subnetCidr"),
        state_bucket=r.optional("stateBucket"),
        secrets_kms_key=r.optional("secretsKmsKey"),
        deployer_roles=DEPLOYER_ROLES,
    )
