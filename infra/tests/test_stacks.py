"""The dev and prod stacks, as declared by infra/__main__.py under Pulumi mocks (see infra_mocks.py).

Each assertion is about a property that matters in production: the GPU, where secrets come from, who may
use the WIF provider, who can reach what, and that dev and prod differ exactly as their stack files say.
"""

import json
import re

import pytest

import config
from infra_mocks import (
    PROJECT_NUMBER,
    SERVICE,
    Deployment,
    agent,
    container,
    dashboard,
    deploy,
    envs,
    plain_env,
    secret_env,
    stack_config,
)

INVOKER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
IAP_ACCESS = "gcp:iap/webCloudRunServiceIamBinding:WebCloudRunServiceIamBinding"
SERVICE_AGENT = "gcp:projects/serviceIdentity:ServiceIdentity"
DOMAIN = "gcp:cloudrun/domainMapping:DomainMapping"
SECRET = "gcp:secretmanager/secret:Secret"
SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
SECRET_READER = "gcp:secretmanager/secretIamMember:SecretIamMember"
ACCOUNT = "gcp:serviceaccount/account:Account"
ACCOUNT_IAM = "gcp:serviceaccount/iAMMember:IAMMember"
PROJECT_IAM = "gcp:projects/iAMMember:IAMMember"
REPO_IAM = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
POOL = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
REDIS = "gcp:redis/instance:Instance"
FIRESTORE = "gcp:firestore/database:Database"
INDEX = "gcp:vertex/aiIndex:AiIndex"
ENDPOINT = "gcp:vertex/aiIndexEndpoint:AiIndexEndpoint"
DEPLOYED_INDEX = "gcp:vertex/aiIndexEndpointDeployedIndex:AiIndexEndpointDeployedIndex"
API = "gcp:projects/service:Service"
NETWORK = "gcp:compute/network:Network"
SUBNET = "gcp:compute/subnetwork:Subnetwork"


def cfg(d: Deployment, key: str):
    """The stack's value for agent-workspace:`key`: its YAML, else the environment's default."""
    raw = d.config.get(f"agent-workspace:{key}")
    default = config.DEFAULTS[d.stack][key]
    if raw is None:
        return default
    return {"true": True, "false": False}[raw] if isinstance(default, bool) else type(default)(raw)


def operators(d: Deployment) -> list[str]:
    """The stack's `operators` list (a YAML list: Pulumi hands the program its JSON)."""
    return json.loads(d.config.get("agent-workspace:operators", "[]"))


def gib(memory: str) -> float:
    n, unit = re.fullmatch(r"(\d+)(Gi|Mi)", memory).groups()
    return int(n) / (1 if unit == "Gi" else 1024)


# --- the GPU -------------------------------------------------------------------------------------------------


def test_agent_runs_on_one_nvidia_l4_with_the_cpu_and_memory_it_requires(deployment):
    t = agent(deployment).inputs["template"]
    res = container(agent(deployment))["resources"]
    assert t["nodeSelector"] == {"accelerator": "nvidia-l4"}
    assert res["limits"]["nvidia.com/gpu"] == "1"
    assert res["limits"]["cpu"] == cfg(deployment, "agentCpu") and int(res["limits"]["cpu"]) >= 4
    assert res["limits"]["memory"] == cfg(deployment, "agentMemory") and gib(res["limits"]["memory"]) >= 16
    assert res["cpuIdle"] is False, "GPU instances need always-allocated CPU (no throttling between requests)"
    assert res["startupCpuBoost"] is True
    assert t["gpuZonalRedundancyDisabled"] is (not cfg(deployment, "gpuZonalRedundancy"))
    assert t["executionEnvironment"] == "EXECUTION_ENVIRONMENT_GEN2"


def test_only_the_agent_gets_a_gpu(deployment):
    t = dashboard(deployment).inputs["template"]
    assert "nodeSelector" not in t and "gpuZonalRedundancyDisabled" not in t
    assert "nvidia.com/gpu" not in container(dashboard(deployment))["resources"]["limits"]
    assert container(dashboard(deployment))["resources"]["cpuIdle"] is True  # request-based billing


def test_agent_waits_for_readyz_and_keeps_concurrency_low_for_streaming(deployment):
    t = agent(deployment).inputs["template"]
    probe = container(agent(deployment))["startupProbe"]
    assert probe["httpGet"] == {"path": "/readyz", "port": 8080}
    assert container(agent(deployment))["ports"] == {"containerPort": 8080}
    assert probe["failureThreshold"] * probe["periodSeconds"] == cfg(deployment, "agentStartupTimeoutS")
    assert probe["failureThreshold"] * probe["periodSeconds"] <= config.GPU_MAX_STARTUP_S
    assert probe["timeoutSeconds"] <= probe["periodSeconds"]
    assert t["maxInstanceRequestConcurrency"] == cfg(deployment, "agentConcurrency") <= 16
    assert t["timeout"] == f"{cfg(deployment, 'agentRequestTimeoutS')}s"


def test_scaling_follows_the_stack_config(deployment):
    for svc, prefix in ((agent(deployment), "agent"), (dashboard(deployment), "dashboard")):
        scaling = svc.inputs["template"]["scaling"]
        assert scaling["minInstanceCount"] == cfg(deployment, f"{prefix}MinInstances")
        assert scaling["maxInstanceCount"] == cfg(deployment, f"{prefix}MaxInstances")


def test_dev_and_prod_differ_as_configured(dev, prod):
    def observed(d: Deployment) -> dict:
        a, res = agent(d).inputs, container(agent(d))["resources"]["limits"]
        r = d.one(REDIS, "redis-instance").inputs
        return {
            "agentMinInstances": a["template"]["scaling"]["minInstanceCount"],
            "agentMaxInstances": a["template"]["scaling"]["maxInstanceCount"],
            "agentCpu": res["cpu"],
            "agentMemory": res["memory"],
            "gpuZonalRedundancy": not a["template"]["gpuZonalRedundancyDisabled"],
            "agentIngress": {v: k for k, v in config.INGRESS.items()}[a["ingress"]],
            "operators": d.one(IAP_ACCESS, "dashboard-iap-accessors").inputs["members"],
            "redisTier": r["tier"],
            "redisMemoryGb": r["memorySizeGb"],
            "vertexEnabled": len(d.all(INDEX)) == 1,
            "deletionProtection": a["deletionProtection"],
        }

    dev_seen, prod_seen = observed(dev), observed(prod)

    def want(d: Deployment, key: str):
        return sorted(operators(d)) if key == "operators" else cfg(d, key)

    for key in dev_seen:
        assert dev_seen[key] == want(dev, key), key
        assert prod_seen[key] == want(prod, key), key
        assert dev_seen[key] != prod_seen[key], f"{key} is the same in dev and prod"
    assert dev_seen["agentMinInstances"] == 0, "dev scales to zero"
    assert dev.config["gcp:project"] != prod.config["gcp:project"]


# --- secrets ---------------------------------------------------------------------------------------------------


def test_secrets_are_secret_manager_references_never_plain_values(deployment):
    secret_ids = {s.inputs["secretId"] for s in deployment.all(SECRET)}
    assert deployment.all(SECRET_VERSION) == [], "secret values are added with gcloud, never held by Pulumi"
    for svc, names in ((agent(deployment), config.AGENT_SECRETS), (dashboard(deployment), config.DASHBOARD_SECRETS)):
        refs = secret_env(svc)
        assert set(refs) == set(names)
        for name, secret in names.items():
            e = envs(svc)[name]
            assert "value" not in e, f"{name} must not be a plain env value"
            assert e["valueSource"]["secretKeyRef"]["version"] == "latest"
            assert refs[name] in secret_ids and refs[name] == f"{secret}-{deployment.stack}"
    expected = {"ENVIRONMENT", "GOOGLE_CLOUD_PROJECT", "REDIS_URL", "FIRESTORE_DATABASE"}
    if cfg(deployment, "vertexEnabled"):
        expected |= {
            "VERTEX_INDEX",
            "VERTEX_INDEX_ENDPOINT",
            "VERTEX_DEPLOYED_INDEX_ID",
            "VERTEX_PUBLIC_ENDPOINT_DOMAIN",
        }
    assert set(plain_env(agent(deployment))) == expected
    assert set(plain_env(dashboard(deployment))) == {"API_BASE_URL"}


def test_each_secret_is_readable_only_by_the_service_that_mounts_it(deployment):
    readers: dict[str, set[str]] = {}
    for b in deployment.all(SECRET_READER):
        assert b.inputs["role"] == "roles/secretmanager.secretAccessor"
        readers.setdefault(b.inputs["secretId"], set()).add(b.inputs["member"])
    mounted = {}
    for svc in (agent(deployment), dashboard(deployment)):
        for secret in secret_env(svc).values():
            mounted[secret] = {f"serviceAccount:{svc.inputs['template']['serviceAccount']}"}
    assert readers == mounted
    granted = {b.inputs["role"] for b in deployment.all(PROJECT_IAM)}
    assert not granted & {"roles/secretmanager.secretAccessor", "roles/owner", "roles/editor"}


# --- identities ------------------------------------------------------------------------------------------------


def test_every_service_runs_as_its_own_service_account(deployment):
    emails = {a.state["email"]: a for a in deployment.all(ACCOUNT)}
    used = [s.inputs["template"]["serviceAccount"] for s in deployment.all(SERVICE)]
    assert len(used) == 2 and len(set(used)) == 2
    for email in used:
        assert email in emails, "a service runs as an account this program created"
        assert "-compute@developer" not in email
    assert deployment.exports["agentServiceAccount"] == agent(deployment).inputs["template"]["serviceAccount"]
    assert deployment.exports["dashboardServiceAccount"] == dashboard(deployment).inputs["template"]["serviceAccount"]


def test_runtime_accounts_hold_only_the_roles_their_service_needs(deployment):
    roles: dict[str, set[str]] = {}
    for b in deployment.all(PROJECT_IAM):
        roles.setdefault(b.inputs["member"].removeprefix("serviceAccount:"), set()).add(b.inputs["role"])
    base = {"roles/logging.logWriter", "roles/monitoring.metricWriter"}
    vertex = {"roles/aiplatform.user"} if cfg(deployment, "vertexEnabled") else set()
    agent_roles = base | {"roles/datastore.user", "roles/cloudtrace.agent"} | vertex
    assert roles[deployment.exports["agentServiceAccount"]] == agent_roles
    assert roles[deployment.exports["dashboardServiceAccount"]] == base
    assert deployment.exports["imagePusherServiceAccount"] not in roles, "the pusher has no project-wide role"
    assert roles[deployment.exports["deployerServiceAccount"]] == set(config.DEPLOYER_ROLES)


def test_wif_provider_trusts_only_this_repository(deployment):
    repo = deployment.config["agent-workspace:githubRepository"]
    p = deployment.one(PROVIDER, "github-provider").inputs
    assert p["oidc"] == {"issuerUri": "https://token.actions.githubusercontent.com"}
    assert p["attributeCondition"] == f"assertion.repository == '{repo}'"
    assert p["attributeMapping"]["attribute.repository"] == "assertion.repository"
    assert p["attributeMapping"]["attribute.ref"] == "assertion.ref"
    assert deployment.exports["workloadIdentityProvider"] == deployment.one(PROVIDER, "github-provider").state["name"]


def test_only_the_deploy_branch_can_impersonate_the_ci_accounts(deployment):
    pool = deployment.one(POOL, "github-pool").state["name"]
    branch = cfg(deployment, "deployBranch")
    wif = [b for b in deployment.all(ACCOUNT_IAM) if b.inputs["role"] == "roles/iam.workloadIdentityUser"]
    targets = {b.inputs["serviceAccountId"].rsplit("/", 1)[1] for b in wif}
    assert targets == {deployment.exports["imagePusherServiceAccount"], deployment.exports["deployerServiceAccount"]}
    for b in wif:
        assert b.inputs["member"] == f"principalSet://iam.googleapis.com/{pool}/attribute.ref/refs/heads/{branch}"
    assert branch == {"dev": "develop", "prod": "main"}[deployment.stack]


def test_the_pusher_can_only_write_images_to_this_stacks_repository(deployment):
    (b,) = deployment.all(REPO_IAM)
    repo = deployment.one("gcp:artifactregistry/repository:Repository", "registry-docker")
    assert b.inputs["repository"] == repo.state["name"] and b.inputs["role"] == "roles/artifactregistry.writer"
    assert b.inputs["member"] == f"serviceAccount:{deployment.exports['imagePusherServiceAccount']}"
    actas = {
        b.inputs["serviceAccountId"].rsplit("/", 1)[1]
        for b in deployment.all(ACCOUNT_IAM)
        if b.inputs["role"] == "roles/iam.serviceAccountUser"
    }
    assert actas == {deployment.exports["agentServiceAccount"], deployment.exports["dashboardServiceAccount"]}


# --- who can reach what --------------------------------------------------------------------------------------


PUBLIC = ("allUsers", "allAuthenticatedUsers")


def _public_grants(value, path="") -> list[str]:
    """Paths in a resource's inputs naming allUsers / allAuthenticatedUsers (also inside a policy's JSON text)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _public_grants(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _public_grants(v, f"{path}[{i}]")]
    return [path] if isinstance(value, str) and any(p in value for p in PUBLIC) else []


def test_no_service_and_no_resource_is_open_to_all_users(deployment):
    """Under mocks (the provider contract, not GCP): no IAM member, binding or policy names allUsers."""
    grants = [f"{r.name}{p}" for r in deployment.resources for p in _public_grants(r.inputs)]
    assert grants == [], "nothing is opened to allUsers / allAuthenticatedUsers"
    assert all(i.inputs["role"] == "roles/run.invoker" for i in deployment.all(INVOKER))
    assert [r.typ for r in deployment.resources if r.typ.endswith("IamPolicy")] == [], "no authoritative policies"


def test_the_dashboard_is_behind_iap_and_only_the_operators_pass(deployment):
    """IAP on the dashboard itself, accessors exactly the stack's operators, invoked by IAP's agent alone.

    Pulumi mocks check what is declared (`iap_enabled`, the IAM bindings); that Google then asks operators to
    sign in, and turns others away, is IAP's part and is not exercised here.
    """
    d = dashboard(deployment).inputs
    assert d["iapEnabled"] is True
    assert not d.get("invokerIamDisabled"), "Cloud Run's IAM check stays on behind IAP"
    assert d["ingress"] == config.INGRESS[cfg(deployment, "dashboardIngress")]
    (access,) = [r for r in deployment.resources if r.typ.startswith("gcp:iap/")]
    assert access.typ == IAP_ACCESS, "one authoritative binding: accessors added by hand are removed"
    assert access.inputs["cloudRunServiceName"] == d["name"] == f"dashboard-{deployment.stack}"
    assert (access.inputs["location"], access.inputs["project"]) == (d["location"], d["project"])
    assert access.inputs["role"] == "roles/iap.httpsResourceAccessor"
    assert access.inputs["members"] == sorted(operators(deployment)) and access.inputs["members"]
    (iap_agent,) = deployment.all(SERVICE_AGENT)
    assert iap_agent.inputs["service"] == "iap.googleapis.com"
    assert iap_agent.state["email"] == f"service-{PROJECT_NUMBER}@gcp-sa-iap.iam.gserviceaccount.com"
    (invoker,) = deployment.all(INVOKER)
    assert (invoker.inputs["name"], invoker.inputs["member"]) == (d["name"], iap_agent.state["member"])
    assert "iap.googleapis.com" in {a.inputs["service"] for a in deployment.all(API)}
    assert "roles/iap.admin" in config.DEPLOYER_ROLES  # the deployer sets the accessors


def test_the_agent_leaves_authentication_to_its_app(deployment):
    """API clients hold bearer keys or user tokens, not Google identities: no IAM check, no IAM grant."""
    a = agent(deployment).inputs
    assert a["invokerIamDisabled"] is True and a["iapEnabled"] is False
    assert [i for i in deployment.all(INVOKER) if i.inputs["name"] == a["name"]] == []
    assert a["ingress"] == config.INGRESS[cfg(deployment, "agentIngress")]
    assert "SERVICE_API_KEYS" in secret_env(agent(deployment)), "the app's keys come from Secret Manager"


def test_prod_agent_is_internal_and_the_dashboard_reaches_it_through_the_vpc(prod, dev):
    assert agent(prod).inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    subnet = prod.one(SUBNET, "network-subnet")
    vpc = dashboard(prod).inputs["template"]["vpcAccess"]
    assert vpc["egress"] == "ALL_TRAFFIC"  # requests to run.app then leave through the VPC and count as internal
    assert vpc["networkInterfaces"] == agent(prod).inputs["template"]["vpcAccess"]["networkInterfaces"]
    assert vpc["networkInterfaces"][0]["subnetwork"].endswith(f"/subnetworks/{subnet.inputs['name']}")
    assert subnet.inputs["privateIpGoogleAccess"] is True
    assert plain_env(dashboard(prod))["API_BASE_URL"] == prod.exports["agentUrl"]
    # dev's agent is open to the developer (API keys still required), so its dashboard needs no VPC
    assert agent(dev).inputs["ingress"] == "INGRESS_TRAFFIC_ALL"
    assert "vpcAccess" not in dashboard(dev).inputs["template"]
    assert plain_env(dashboard(dev))["API_BASE_URL"] == dev.exports["agentUrl"]


# --- memory engines ---------------------------------------------------------------------------------------------


def test_redis_is_an_lru_cache_on_the_private_network(deployment):
    r = deployment.one(REDIS, "redis-instance")
    network = deployment.one(NETWORK, "network-vpc").inputs["name"]
    assert r.inputs["redisConfigs"] == {"maxmemory-policy": "volatile-lru"}  # the outbox's keys are never evicted
    assert r.inputs["persistenceConfig"] == {"persistenceMode": "RDB", "rdbSnapshotPeriod": "ONE_HOUR"}
    assert r.inputs["authorizedNetwork"].endswith(f"/networks/{network}")
    assert r.inputs["connectMode"] == "DIRECT_PEERING"
    assert (r.inputs["tier"], r.inputs["memorySizeGb"]) == (
        cfg(deployment, "redisTier"),
        cfg(deployment, "redisMemoryGb"),
    )
    assert plain_env(agent(deployment))["REDIS_URL"] == f"redis://{r.state['host']}:{r.state['port']}/0"
    vpc = agent(deployment).inputs["template"]["vpcAccess"]
    assert vpc["egress"] == "PRIVATE_RANGES_ONLY"  # Redis privately, OpenAI / Portkey directly
    assert vpc["networkInterfaces"][0]["network"] == r.inputs["authorizedNetwork"]


def test_firestore_is_a_native_mode_database(deployment):
    db = deployment.one(FIRESTORE, "firestore-db").inputs
    assert db["type"] == "FIRESTORE_NATIVE"
    assert plain_env(agent(deployment))["FIRESTORE_DATABASE"] == db["name"] == cfg(deployment, "firestoreDatabase")
    location = deployment.config.get("agent-workspace:firestoreLocation", deployment.config["gcp:region"])
    assert db["locationId"] == location
    protected = cfg(deployment, "deletionProtection")
    assert db["deleteProtectionState"] == ("DELETE_PROTECTION_ENABLED" if protected else "DELETE_PROTECTION_DISABLED")
    assert plain_env(agent(deployment))["GOOGLE_CLOUD_PROJECT"] == deployment.config["gcp:project"]


def test_firestore_has_the_vector_index_the_long_term_fallback_searches(deployment):
    """FirestoreVectorStore runs find_nearest on users/{u}/memories.embedding: that needs this exact index."""
    (index,) = deployment.all("gcp:firestore/index:Index")
    assert (index.inputs["collection"], index.inputs["queryScope"]) == ("memories", "COLLECTION")
    (field,) = index.inputs["fields"]
    assert field["fieldPath"] == "embedding"
    assert field["vectorConfig"]["dimension"] == cfg(deployment, "embeddingDimensions")


def test_vertex_vector_search_follows_the_stack_flag(deployment):
    env = plain_env(agent(deployment))
    apis = {a.inputs["service"] for a in deployment.all(API)}
    if not cfg(deployment, "vertexEnabled"):
        assert deployment.all(INDEX) == deployment.all(ENDPOINT) == deployment.all(DEPLOYED_INDEX) == []
        assert not any(k.startswith("VERTEX_") for k in env) and "aiplatform.googleapis.com" not in apis
        return
    index, endpoint = deployment.one(INDEX, "vector-index"), deployment.one(ENDPOINT, "vector-endpoint")
    deployed = deployment.one(DEPLOYED_INDEX, "vector-deployed").inputs
    assert index.inputs["indexUpdateMethod"] == "STREAM_UPDATE"
    assert index.inputs["metadata"]["config"]["dimensions"] == cfg(deployment, "embeddingDimensions")
    assert env["VERTEX_INDEX"] == deployed["index"] and env["VERTEX_INDEX_ENDPOINT"] == deployed["indexEndpoint"]
    assert env["VERTEX_DEPLOYED_INDEX_ID"] == deployed["deployedIndexId"]
    assert env["VERTEX_PUBLIC_ENDPOINT_DOMAIN"] == endpoint.state["publicEndpointDomainName"]
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", deployed["deployedIndexId"])
    assert (deployed["index"], deployed["indexEndpoint"]) == (index.id, endpoint.id)
    assert endpoint.inputs["publicEndpointEnabled"] is True  # IAM-authenticated; no VPC peering needed
    assert deployed["automaticResources"] == {
        "minReplicaCount": cfg(deployment, "vertexMinReplicas"),
        "maxReplicaCount": cfg(deployment, "vertexMaxReplicas"),
    }
    assert "aiplatform.googleapis.com" in apis


def test_required_apis_are_enabled_and_stay_enabled_on_destroy(deployment):
    apis = {a.inputs["service"]: a.inputs for a in deployment.all(API)}
    for api in (
        "run",
        "artifactregistry",
        "secretmanager",
        "redis",
        "firestore",
        "compute",
        "iam",
        "iamcredentials",
        "sts",
    ):
        assert f"{api}.googleapis.com" in apis
    assert all(a["disableOnDestroy"] is False for a in apis.values())


def test_nothing_is_created_before_the_apis_it_needs_are_enabled(deployment):
    apis = {a.name for a in deployment.all(API)}
    cloud = [r for r in deployment.resources if r.typ.startswith("gcp:") and r.typ != API]
    assert len(cloud) > 30
    for r in cloud:
        assert apis <= r.depends_on, f"{r.name} may be created before the APIs are enabled"


def test_services_start_only_after_their_secrets_can_be_read(deployment):
    readers = {b.name for b in deployment.all(SECRET_READER)}
    for svc in (agent(deployment), dashboard(deployment)):
        assert readers <= svc.depends_on


def test_exports(deployment):
    e, s = deployment.exports, deployment.stack
    project, region = deployment.config["gcp:project"], deployment.config["gcp:region"]
    assert e["imageRepository"] == f"{region}-docker.pkg.dev/{project}/agent-workspace-{s}"
    assert e["agentUrl"] == agent(deployment).state["uri"] and e["dashboardUrl"] == dashboard(deployment).state["uri"]
    assert e["agentImage"] == container(agent(deployment))["image"] == config.PLACEHOLDER_IMAGE
    for key in (
        "imagePusherServiceAccount",
        "deployerServiceAccount",
        "agentServiceAccount",
        "dashboardServiceAccount",
    ):
        assert e[key].endswith(f"@{project}.iam.gserviceaccount.com")
    assert set(e["secretIds"]) == set(config.AGENT_SECRETS.values()) | set(config.DASHBOARD_SECRETS.values())
    assert e["dashboardOperators"] == operators(deployment)


# --- variants: bootstrap, images, domains, bad config ---------------------------------------------------------


def test_services_can_wait_until_the_secrets_have_values():
    d = deploy("dev", {"agent-workspace:servicesEnabled": "false"})
    assert d.all(SERVICE) == [] and "agentUrl" not in d.exports
    assert len(d.all(SECRET)) == 5 and len(d.all(SECRET_READER)) == 5
    assert d.exports["workloadIdentityProvider"]


def test_ci_supplies_the_images():
    image = "us-central1-docker.pkg.dev/p/agent-workspace-prod/agent@sha256:" + "a" * 64
    d = deploy("prod", {"agent-workspace:agentImage": image, "agent-workspace:dashboardImage": image + "-d"})
    assert container(agent(d))["image"] == image and d.exports["agentImage"] == image
    assert container(dashboard(d))["image"] == image + "-d"


def test_the_deployer_gets_the_pulumi_state_backend_when_configured(dev):
    bucket, key = "gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
    assert dev.all(bucket) == dev.all(key) == []
    kms_key = "projects/admin/locations/global/keyRings/pulumi/cryptoKeys/state"
    d = deploy("dev", {"agent-workspace:stateBucket": "admin-pulumi-state", "agent-workspace:secretsKmsKey": kms_key})
    deployer = f"serviceAccount:{d.exports['deployerServiceAccount']}"
    (b,), (k,) = d.all(bucket), d.all(key)
    assert (b.inputs["bucket"], b.inputs["role"], b.inputs["member"]) == (
        "admin-pulumi-state",
        "roles/storage.objectAdmin",
        deployer,
    )
    assert (k.inputs["cryptoKeyId"], k.inputs["role"], k.inputs["member"]) == (
        kms_key,
        "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        deployer,
    )


def test_custom_domain_is_optional_and_maps_to_its_service(dev):
    assert dev.all(DOMAIN) == []
    d = deploy("prod", {"agent-workspace:dashboardDomain": "agent.example.com"})
    (m,) = d.all(DOMAIN)
    assert m.inputs["name"] == "agent.example.com"
    assert m.inputs["spec"]["routeName"] == "dashboard-prod"
    assert m.inputs["metadata"]["namespace"] == d.config["gcp:project"]


def test_a_stack_file_with_only_the_essentials_gets_its_environments_defaults():
    essentials = {
        "gcp:project": "p",
        "gcp:region": "europe-west4",
        "agent-workspace:githubRepository": "me/repo",
        "agent-workspace:environment": "prod",
        "agent-workspace:operators": '["group:ops@example.com"]',  # no default: the stack says who operates it
    }
    d = deploy("prod-eu", config=essentials)
    a = agent(d).inputs["template"]
    assert a["scaling"]["minInstanceCount"] == config.DEFAULTS["prod"]["agentMinInstances"]
    assert container(agent(d))["resources"]["limits"]["memory"] == config.DEFAULTS["prod"]["agentMemory"]
    assert agent(d).inputs["name"] == "agent-prod-eu"
    assert d.one(REDIS, "redis-instance").inputs["tier"] == config.DEFAULTS["prod"]["redisTier"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"agent-workspace:agentCpu": "2"}, "agentCpu"),
        ({"agent-workspace:agentMemory": "8Gi"}, "agentMemory"),
        ({"agent-workspace:agentStartupTimeoutS": "3600"}, "agentStartupTimeoutS"),
        ({"agent-workspace:agentMinInstances": "3", "agent-workspace:agentMaxInstances": "2"}, "minInstances"),
        ({"agent-workspace:agentIngress": "everyone"}, "agentIngress"),
        ({"agent-workspace:githubRepository": "not a repo"}, "githubRepository"),
        ({"agent-workspace:redisTier": "HUGE"}, "redisTier"),
        ({"agent-workspace:operators": '["allUsers"]'}, "operators"),
        ({"agent-workspace:operators": '["allAuthenticatedUsers"]'}, "operators"),
        ({"agent-workspace:operators": '["alice@example.com"]'}, "operators"),
        ({"agent-workspace:operators": '["user:"]'}, "operators"),
        ({"agent-workspace:operators": '"group:ops@example.com"'}, "operators must be a list"),
        ({"agent-workspace:operators": "group:ops@example.com"}, "operators must be a list"),
        ({"agent-workspace:operators": "[]"}, "Proxy lets no one through"),
        ({"agent-workspace:dashboardPublic": "true"}, "dashboardPublic is gone"),
        ({"agent-workspace:agentPublic": "false"}, "agentPublic is gone"),
    ],
)
def test_bad_config_is_refused(override, message):
    with pytest.raises(ValueError, match=message):
        deploy("dev", override)


def test_the_operators_list_alone_decides_who_passes_iap():
    people = ["user:alice@example.com", "group:oncall@example.com", "user:alice@example.com"]
    d = deploy("prod", {"agent-workspace:operators": json.dumps(people)})
    assert d.one(IAP_ACCESS, "dashboard-iap-accessors").inputs["members"] == [
        "group:oncall@example.com",
        "user:alice@example.com",
    ]
    # before the services exist (bootstrap) there is no dashboard to guard, so no operator is needed yet
    d = deploy("dev", {"agent-workspace:servicesEnabled": "false", "agent-workspace:operators": "[]"})
    assert d.all(IAP_ACCESS) == [] and d.all(SERVICE) == []


def test_a_stack_outside_dev_and_prod_must_name_its_environment():
    with pytest.raises(ValueError, match="environment"):
        deploy("feature-x", config=stack_config("dev"))


def test_stack_names_must_fit_the_resource_ids_they_suffix():
    with pytest.raises(ValueError, match="stack name"):
        deploy("personal-sandbox-x", config={**stack_config("dev"), "agent-workspace:environment": "dev"})
