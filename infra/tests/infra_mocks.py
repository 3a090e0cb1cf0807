"""Run the Pulumi program under `pulumi.runtime.Mocks`, once per stack, and record every resource it declares.

No Pulumi CLI, login, cloud credentials or provider binary is involved: the mocks stand in for the engine
and for Google Cloud, answering each resource registration with its inputs plus the outputs GCP would compute
(service-account emails, run.app URLs, the Redis host...), in the formats the real provider returns.
"""

import json
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings

INFRA = Path(__file__).resolve().parents[1]
if str(INFRA) not in sys.path:
    sys.path.insert(0, str(INFRA))  # __main__.py imports `config` and `components` as Pulumi would, from infra/

PROJECT_NUMBER = "123456789012"
SERVICE_AGENT_DOMAINS = {"iap.googleapis.com": "gcp-sa-iap"}  # API -> its service agent's domain (Google's list)


@dataclass
class Resource:
    typ: str  # e.g. gcp:cloudrunv2/service:Service
    name: str  # the Pulumi logical name
    id: str  # the (mocked) provider id, e.g. projects/P/locations/R/indexes/1111
    inputs: dict[str, Any]  # as the provider would receive them (camelCase keys)
    state: dict[str, Any]  # inputs plus the mocked cloud-computed outputs
    depends_on: set[str] = field(default_factory=set)  # logical names of the resources it waits for


class DependencyMonitor(pulumi.runtime.mocks.MockMonitor):
    """The mock engine, also noting which resources each registration waits for (explicit and implied)."""

    def __init__(self, mocks: "RecordingMocks"):
        super().__init__(mocks)
        self.mocks = mocks

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        for r in reversed(self.mocks.resources):
            if (r.typ, r.name) == (request.type, request.name):
                r.depends_on = {urn.rsplit("::", 1)[1] for urn in request.dependencies}
                break
        return response


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every registration and answers with GCP-shaped outputs."""

    def __init__(self):
        self.resources: list[Resource] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        i, project = args.inputs, args.inputs.get("project", "")
        region = i.get("region") or i.get("location", "")
        outputs: dict[str, Any] = {}
        rid = f"{args.name}-id"  # resources whose id the program never reads
        match args.typ:
            case "gcp:serviceaccount/account:Account":
                email = f"{i['accountId']}@{project}.iam.gserviceaccount.com"
                rid = f"projects/{project}/serviceAccounts/{email}"
                outputs = {"email": email, "name": rid, "member": f"serviceAccount:{email}"}
            case "gcp:cloudrunv2/service:Service":
                outputs = {"uri": f"https://{i['name']}-{PROJECT_NUMBER}.{region}.run.app"}
                rid = f"projects/{project}/locations/{region}/services/{i['name']}"
            case "gcp:projects/serviceIdentity:ServiceIdentity":
                email = f"service-{PROJECT_NUMBER}@{SERVICE_AGENT_DOMAINS[i['service']]}.iam.gserviceaccount.com"
                outputs = {"email": email, "member": f"serviceAccount:{email}"}
            case "gcp:redis/instance:Instance":
                outputs = {"host": "10.20.0.3", "port": 6379}
            case "gcp:iam/workloadIdentityPool:WorkloadIdentityPool":
                rid = f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/{i['workloadIdentityPoolId']}"
                outputs = {"name": rid}
            case "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
                pool = f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/{i['workloadIdentityPoolId']}"
                rid = f"{pool}/providers/{i['workloadIdentityPoolProviderId']}"
                outputs = {"name": rid}
            case "gcp:secretmanager/secret:Secret":
                rid = f"projects/{project}/secrets/{i['secretId']}"
                outputs = {"name": f"projects/{PROJECT_NUMBER}/secrets/{i['secretId']}"}
            case "gcp:artifactregistry/repository:Repository":
                rid = f"projects/{project}/locations/{region}/repositories/{i['repositoryId']}"
                outputs = {
                    "name": i["repositoryId"],
                    "registryUri": f"{region}-docker.pkg.dev/{project}/{i['repositoryId']}",
                }
            case "gcp:compute/network:Network":
                rid = f"projects/{project}/global/networks/{i['name']}"
            case "gcp:compute/subnetwork:Subnetwork":
                rid = f"projects/{project}/regions/{region}/subnetworks/{i['name']}"
            case "gcp:vertex/aiIndex:AiIndex":
                rid = f"projects/{project}/locations/{region}/indexes/1111"
            case "gcp:vertex/aiIndexEndpoint:AiIndexEndpoint":
                rid = f"projects/{project}/locations/{region}/indexEndpoints/2222"
                outputs = {"publicEndpointDomainName": f"2222.{region}-{PROJECT_NUMBER}.vdb.vertexai.goog"}
        state = {**i, **outputs}
        self.resources.append(Resource(args.typ, args.name, rid, i, state))
        return rid, state

    def call(self, args: pulumi.runtime.MockCallArgs):
        raise AssertionError(f"the program must not call data sources (called {args.token})")


@dataclass
class Deployment:
    """What one run of the program declared."""

    stack: str
    config: dict[str, str]
    resources: list[Resource]
    exports: dict[str, Any] = field(default_factory=dict)

    def all(self, typ: str) -> list[Resource]:
        """Every resource of type token `typ`."""
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, name: str) -> Resource:
        """The resource of type `typ` with logical name `name`."""
        found = [r for r in self.all(typ) if r.name == name]
        assert len(found) == 1, f"expected one {typ} named {name}, found {[r.name for r in self.all(typ)]}"
        return found[0]


def stack_config(stack: str) -> dict[str, str]:
    """The `config:` block of `Pulumi.<stack>.yaml`, as the strings Pulumi passes to the program."""
    raw = yaml.safe_load((INFRA / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


def deploy(stack: str, overrides: dict[str, str] | None = None, *, config: dict[str, str] | None = None) -> Deployment:
    """Run infra/__main__.py as stack `stack` under mocks and return what it declared.

    Config: `Pulumi.<stack>.yaml` (or `config` instead of it) updated with `overrides`.
    """
    config = {**(stack_config(stack) if config is None else config), **(overrides or {})}
    settings.ROOT.set(None)  # a fresh root Stack resource per run
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(
        mocks, project="agent-workspace", stack=stack, preview=False, monitor=DependencyMonitor(mocks)
    )
    pulumi.runtime.set_all_config(config)
    deployment = Deployment(stack, config, mocks.resources)

    @pulumi.runtime.test
    def program():
        runpy.run_path(str(INFRA / "__main__.py"), run_name="__main__")
        return pulumi.Output.from_input(settings.get_root_resource().outputs).apply(deployment.exports.update)

    program()
    return deployment


# --- views of the two Cloud Run services, as the tests read them ---------------------------------------------------

SERVICE = "gcp:cloudrunv2/service:Service"


def agent(d: Deployment):
    return d.one(SERVICE, "agent-service")


def dashboard(d: Deployment):
    return d.one(SERVICE, "dashboard-service")


def container(service) -> dict:
    (c,) = service.inputs["template"]["containers"]
    return c


def envs(service) -> dict[str, dict]:
    return {e["name"]: e for e in container(service)["envs"]}


def plain_env(service) -> dict[str, str]:
    return {k: e["value"] for k, e in envs(service).items() if "valueSource" not in e}


def secret_env(service) -> dict[str, str]:
    return {k: e["valueSource"]["secretKeyRef"]["secret"] for k, e in envs(service).items() if "valueSource" in e}
