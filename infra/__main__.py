"""agent-workspace on Google Cloud: composes the components of `components/` from `config.py`, and exports."""

import pulumi

import config
from components import (
    AppAuth,
    ArtifactRegistry,
    ArtifactRegistryArgs,
    CloudRunService,
    CloudRunServiceArgs,
    FirestoreDatabase,
    FirestoreDatabaseArgs,
    GithubIdentity,
    GithubIdentityArgs,
    Gpu,
    Iap,
    Network,
    NetworkArgs,
    ProjectApis,
    ProjectApisArgs,
    RedisCache,
    RedisCacheArgs,
    SecretStore,
    SecretStoreArgs,
    ServiceIdentity,
    ServiceIdentityArgs,
    VectorSearch,
    VectorSearchArgs,
    VpcEgress,
)

cfg = config.load()
project = cfg.project
labels = {"app": "agent-workspace", "stack": cfg.stack}

apis = ProjectApis("apis", ProjectApisArgs(project=project, services=cfg.apis, service_agents=[config.IAP_API]))
after_apis = pulumi.ResourceOptions(depends_on=[apis])

network = Network(
    "network",
    NetworkArgs(project=project, region=cfg.region, network_name=cfg.name("agent-vpc"), subnet_cidr=cfg.subnet_cidr),
    after_apis,
)
registry = ArtifactRegistry(
    "registry",
    ArtifactRegistryArgs(project=project, region=cfg.region, repository_id=cfg.name("agent-workspace")),
    after_apis,
)

agent_roles = [
    "roles/datastore.user",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/cloudtrace.agent",
]
if cfg.vertex.enabled:
    agent_roles.append("roles/aiplatform.user")
agent_identity = ServiceIdentity(
    "agent-identity",
    ServiceIdentityArgs(
        project=project, account_id=cfg.name("agent-run"), display_name="agent (Cloud Run)", roles=agent_roles
    ),
    after_apis,
)
dashboard_identity = ServiceIdentity(
    "dashboard-identity",
    ServiceIdentityArgs(
        project=project,
        account_id=cfg.name("dashboard-run"),
        display_name="dashboard (Cloud Run)",
        roles=["roles/logging.logWriter", "roles/monitoring.metricWriter"],
    ),
    after_apis,
)

secrets = SecretStore(
    "secrets",
    SecretStoreArgs(
        project=project,
        readers={
            **{secret: [agent_identity.member] for secret in config.AGENT_SECRETS.values()},
            **{secret: [dashboard_identity.member] for secret in config.DASHBOARD_SECRETS.values()},
        },
        suffix=cfg.stack,
    ),
    after_apis,
)

redis_cache = RedisCache(
    "redis",
    RedisCacheArgs(
        project=project,
        region=cfg.region,
        instance_name=cfg.name("agent-memory"),
        network=network.network.id,
        tier=cfg.redis.tier,
        memory_gb=cfg.redis.memory_gb,
        version=cfg.redis.version,
    ),
    after_apis,
)
firestore_db = FirestoreDatabase(
    "firestore",
    FirestoreDatabaseArgs(
        project=project,
        database=cfg.firestore_database,
        location=cfg.firestore_location,
        deletion_protection=cfg.deletion_protection,
        vector_dimensions=cfg.embedding_dimensions,
    ),
    after_apis,
)
vector = (
    VectorSearch(
        "vector",
        VectorSearchArgs(
            project=project,
            region=cfg.region,
            display_name=cfg.name("agent-memory"),
            deployed_index_id=f"agent_memory_{cfg.stack}".replace("-", "_"),
            dimensions=cfg.embedding_dimensions,
            min_replicas=cfg.vertex.min_replicas,
            max_replicas=cfg.vertex.max_replicas,
        ),
        after_apis,
    )
    if cfg.vertex.enabled
    else None
)

github = GithubIdentity(
    "github",
    GithubIdentityArgs(
        project=project,
        pool_id=cfg.name("github"),
        pusher_account_id=cfg.name("gh-pusher"),
        deployer_account_id=cfg.name("gh-deployer"),
        repository=cfg.github_repository,
        deploy_branch=cfg.deploy_branch,
        deployer_roles=cfg.deployer_roles,
        image_repository=registry.repository,
        runtime_accounts=[agent_identity.account, dashboard_identity.account],
        state_bucket=cfg.state_bucket,
        secrets_kms_key=cfg.secrets_kms_key,
    ),
    after_apis,
)

agent_env: dict[str, pulumi.Input[str]] = {
    "ENVIRONMENT": cfg.environment,
    "GOOGLE_CLOUD_PROJECT": project,
    "REDIS_URL": redis_cache.url,
    "FIRESTORE_DATABASE": firestore_db.name,
}
if vector:
    agent_env |= {
        "VERTEX_INDEX": vector.index_name,
        "VERTEX_INDEX_ENDPOINT": vector.endpoint_name,
        "VERTEX_DEPLOYED_INDEX_ID": vector.deployed_index_id,
        "VERTEX_PUBLIC_ENDPOINT_DOMAIN": vector.public_endpoint_domain,
    }

if cfg.services_enabled:
    # Cloud Run reads secrets when an instance starts: the accessor bindings must exist first.
    after_secrets = pulumi.ResourceOptions(depends_on=[apis, secrets])
    agent = CloudRunService(
        "agent",
        CloudRunServiceArgs(
            project=project,
            region=cfg.region,
            service_name=cfg.name("agent"),
            image=cfg.agent.image,
            service_account=agent_identity.email,
            port=cfg.agent.port,
            cpu=cfg.agent.cpu,
            memory=cfg.agent.memory,
            min_instances=cfg.agent.min_instances,
            max_instances=cfg.agent.max_instances,
            concurrency=cfg.agent.concurrency,
            timeout_s=cfg.agent.timeout_s,
            ingress=cfg.agent.ingress,
            # API clients hold bearer keys or user tokens, not Google identities: the app authenticates them.
            access=AppAuth(),
            deletion_protection=cfg.deletion_protection,
            env=agent_env,
            secret_env={env: secrets.secret_id(secret) for env, secret in config.AGENT_SECRETS.items()},
            gpu=Gpu(accelerator=config.GPU_ACCELERATOR, count=1, zonal_redundancy=cfg.gpu_zonal_redundancy),
            cpu_always_allocated=True,
            startup_probe_path="/readyz",
            probe_period_s=config.PROBE_PERIOD_S,
            startup_failure_threshold=cfg.startup_failure_threshold,
            vpc=VpcEgress(network.network.id, network.subnetwork.id, egress="PRIVATE_RANGES_ONLY"),
            domain=cfg.agent.domain,
            labels=labels,
        ),
        after_secrets,
    )
    # An internal-only agent is reachable from the VPC: the dashboard then sends all its egress through it.
    agent_internal = cfg.agent.ingress == config.INGRESS["internal"]
    dashboard = CloudRunService(
        "dashboard",
        CloudRunServiceArgs(
            project=project,
            region=cfg.region,
            service_name=cfg.name("dashboard"),
            image=cfg.dashboard.image,
            service_account=dashboard_identity.email,
            port=cfg.dashboard.port,
            cpu=cfg.dashboard.cpu,
            memory=cfg.dashboard.memory,
            min_instances=cfg.dashboard.min_instances,
            max_instances=cfg.dashboard.max_instances,
            concurrency=cfg.dashboard.concurrency,
            timeout_s=cfg.dashboard.timeout_s,
            ingress=cfg.dashboard.ingress,
            # An operator console with no login of its own, holding an admin key: only the stack's operators,
            # signed in with Google, get through.
            access=Iap(accessors=cfg.operators, service_agent=apis.agent_member(config.IAP_API)),
            deletion_protection=cfg.deletion_protection,
            env={"API_BASE_URL": agent.uri},
            secret_env={env: secrets.secret_id(secret) for env, secret in config.DASHBOARD_SECRETS.items()},
            vpc=(
                VpcEgress(network.network.id, network.subnetwork.id, egress="ALL_TRAFFIC") if agent_internal else None
            ),
            domain=cfg.dashboard.domain,
            labels=labels,
        ),
        after_secrets,
    )
    pulumi.export("agentUrl", agent.uri)
    pulumi.export("dashboardUrl", dashboard.uri)

pulumi.export("imageRepository", registry.url)
pulumi.export("agentImage", cfg.agent.image)
pulumi.export("dashboardImage", cfg.dashboard.image)
pulumi.export("workloadIdentityProvider", github.provider_name)
pulumi.export("imagePusherServiceAccount", github.pusher.email)
pulumi.export("deployerServiceAccount", github.deployer.email)
pulumi.export("agentServiceAccount", agent_identity.email)
pulumi.export("dashboardServiceAccount", dashboard_identity.email)
pulumi.export("redisUrl", redis_cache.url)
pulumi.export("firestoreDatabase", firestore_db.name)
pulumi.export("secretIds", {name: secret.secret_id for name, secret in secrets.secrets.items()})
pulumi.export("dashboardOperators", list(cfg.operators))
if vector:
    pulumi.export("vertexIndexEndpoint", vector.endpoint_name)
