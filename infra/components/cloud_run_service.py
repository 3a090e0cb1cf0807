"""A Cloud Run (v2 API) service: one container, its own service account, secrets as env vars, optional GPU.

Nothing here can grant `allUsers` anything. A service is reached one of two ways (`access`):

- `Iap`: Identity-Aware Proxy enabled on the service itself (`iap_enabled`; pulumi-gcp 10.2's example of it sets
  no launch stage, where its examples of preview fields set `BETA`). It guards every ingress path, the run.app
  URL included, with no load balancer, certificate or serverless NEG to run (IAP on a load balancer's backend
  guards only the balancer: the run.app URL stays open unless ingress is cut to internal-and-LB). Only `accessors`
  (`roles/iap.httpsResourceAccessor`) get through, signed in with Google; IAP then invokes the service as its
  service agent, the one principal with `run.invoker`. Cloud Run's IAM check stays on, so if IAP were ever
  switched off the service would answer no one rather than everyone.
- `AppAuth`: Cloud Run's invoker check is off (`invoker_iam_disabled`), so callers without a Google identity
  (API clients with bearer keys or user tokens) reach the app, which authenticates every request itself. Ingress
  still decides who can reach the URL at all. No IAM binding opens it, so it holds under Domain Restricted
  Sharing; it fails under the `run.managed.requireInvokerIam` organisation policy, by design.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_gcp import cloudrun, cloudrunv2, iap

from ._options import child_options


@dataclass
class Gpu:
    accelerator: str  # e.g. nvidia-l4
    count: int = 1
    zonal_redundancy: bool = True  # False: cheaper, needs less quota, no capacity reserved for a zone outage


@dataclass
class VpcEgress:
    network: pulumi.Input[str]
    subnetwork: pulumi.Input[str]
    egress: str  # PRIVATE_RANGES_ONLY (reach private IPs, internet directly) | ALL_TRAFFIC


@dataclass
class Iap:
    """Identity-Aware Proxy in front of the service: only `accessors`, signed in with Google, get through."""

    accessors: Sequence[str]  # IAM principals (user:..., group:...): the only holders of iap.httpsResourceAccessor
    service_agent: pulumi.Input[str]  # the project's IAP service agent as an IAM member: it invokes the service


@dataclass
class AppAuth:
    """No Cloud Run IAM check: whoever ingress lets reach the URL gets to the app, which must authenticate them."""


@dataclass
class CloudRunServiceArgs:
    project: str
    region: str
    service_name: str
    image: pulumi.Input[str]
    service_account: pulumi.Input[str]  # email of the identity the container runs as
    port: int
    cpu: str
    memory: str
    min_instances: int
    max_instances: int
    concurrency: int
    timeout_s: int
    ingress: str  # INGRESS_TRAFFIC_ALL | INGRESS_TRAFFIC_INTERNAL_ONLY
    access: Iap | AppAuth  # who gets past Cloud Run to the container (module docstring)
    deletion_protection: bool
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # plain, non-secret values
    secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # env name -> Secret Manager secret id
    gpu: Gpu | None = None
    cpu_always_allocated: bool = False  # instance-based billing, no CPU throttling between requests
    startup_probe_path: str | None = None
    probe_period_s: int = 10
    startup_failure_threshold: int = 24
    vpc: VpcEgress | None = None
    domain: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


class CloudRunService(pulumi.ComponentResource):
    """`cloudrunv2.Service` plus its access bindings (IAP accessors, IAP's invoker) and optional domain mapping.

    Secrets are only ever `secret_key_ref`s (version `latest`): the value is read by Cloud Run at instance start,
    never placed in the revision, in Pulumi state or in git.
    """

    def __init__(self, name: str, args: CloudRunServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:CloudRunService", name, None, opts)
        child = child_options(self, opts)
        if isinstance(args.access, Iap) and not args.access.accessors:
            raise ValueError(f"{name}: IAP with no accessors lets no one through")
        clash = set(args.env) & set(args.secret_env)
        if clash:
            raise ValueError(f"{name}: env vars both plain and secret: {sorted(clash)}")
        envs = [cloudrunv2.ServiceTemplateContainerEnvArgs(name=k, value=v) for k, v in sorted(args.env.items())]
        envs += [
            cloudrunv2.ServiceTemplateContainerEnvArgs(
                name=k,
                value_source=cloudrunv2.ServiceTemplateContainerEnvValueSourceArgs(
                    secret_key_ref=cloudrunv2.ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs(
                        secret=secret, version="latest"
                    )
                ),
            )
            for k, secret in sorted(args.secret_env.items())
        ]
        limits = {"cpu": args.cpu, "memory": args.memory}
        if args.gpu:
            limits["nvidia.com/gpu"] = str(args.gpu.count)
        startup_probe = None
        if args.startup_probe_path:
            startup_probe = cloudrunv2.ServiceTemplateContainerStartupProbeArgs(
                http_get=cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetArgs(
                    path=args.startup_probe_path, port=args.port
                ),
                period_seconds=args.probe_period_s,
                timeout_seconds=min(5, args.probe_period_s),
                failure_threshold=args.startup_failure_threshold,
            )
        vpc_access = None
        if args.vpc:
            vpc_access = cloudrunv2.ServiceTemplateVpcAccessArgs(
                network_interfaces=[
                    cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArgs(
                        network=args.vpc.network, subnetwork=args.vpc.subnetwork
                    )
                ],
                egress=args.vpc.egress,
            )
        self.service = cloudrunv2.Service(
            f"{name}-service",
            project=args.project,
            location=args.region,
            name=args.service_name,
            ingress=args.ingress,
            iap_enabled=isinstance(args.access, Iap),
            invoker_iam_disabled=isinstance(args.access, AppAuth),
            deletion_protection=args.deletion_protection,
            labels=dict(args.labels),
            template=cloudrunv2.ServiceTemplateArgs(
                service_account=args.service_account,
                execution_environment="EXECUTION_ENVIRONMENT_GEN2",
                max_instance_request_concurrency=args.concurrency,
                timeout=f"{args.timeout_s}s",
                scaling=cloudrunv2.ServiceTemplateScalingArgs(
                    min_instance_count=args.min_instances, max_instance_count=args.max_instances
                ),
                node_selector=(
                    cloudrunv2.ServiceTemplateNodeSelectorArgs(accelerator=args.gpu.accelerator) if args.gpu else None
                ),
                gpu_zonal_redundancy_disabled=(not args.gpu.zonal_redundancy) if args.gpu else None,
                vpc_access=vpc_access,
                labels=dict(args.labels),
                containers=[
                    cloudrunv2.ServiceTemplateContainerArgs(
                        image=args.image,
                        ports=cloudrunv2.ServiceTemplateContainerPortsArgs(container_port=args.port),
                        envs=envs,
                        resources=cloudrunv2.ServiceTemplateContainerResourcesArgs(
                            limits=limits,
                            cpu_idle=not args.cpu_always_allocated,
                            startup_cpu_boost=True,
                        ),
                        startup_probe=startup_probe,
                    )
                ],
            ),
            opts=child_options(self, opts, custom_timeouts=pulumi.CustomTimeouts(create="30m", update="30m")),
        )
        if isinstance(args.access, Iap):
            self.iap_invoker = cloudrunv2.ServiceIamMember(
                f"{name}-iap-invoker",
                project=args.project,
                location=args.region,
                name=self.service.name,
                role="roles/run.invoker",
                member=args.access.service_agent,
                opts=child,
            )
            # Authoritative for this one role on this one service: an accessor added by hand in the console is
            # removed by the next `pulumi up`, so the stack's `operators` list is the whole truth.
            self.iap_accessors = iap.WebCloudRunServiceIamBinding(
                f"{name}-iap-accessors",
                project=args.project,
                location=args.region,
                cloud_run_service_name=self.service.name,
                role="roles/iap.httpsResourceAccessor",
                members=sorted(args.access.accessors),
                opts=child,
            )
        if args.domain:
            # Cloud Run v2 has no domain-mapping resource; the v1 one maps a verified domain to any service by name.
            self.domain_mapping = cloudrun.DomainMapping(
                f"{name}-domain",
                project=args.project,
                location=args.region,
                name=args.domain,
                metadata=cloudrun.DomainMappingMetadataArgs(namespace=args.project),
                spec=cloudrun.DomainMappingSpecArgs(route_name=self.service.name),
                opts=child,
            )
        self.uri = self.service.uri
        self.register_outputs({"uri": self.uri})
