"""A Cloud Run (v2 API) service: one container, its own service account, secrets as env vars, optional GPU."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_gcp import cloudrun, cloudrunv2

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
    public: bool  # grant run.invoker to allUsers (authentication is then the app's job)
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
    """`cloudrunv2.Service` plus its invoker binding and optional domain mapping.

    Secrets are only ever `secret_key_ref`s (version `latest`): the value is read by Cloud Run at instance start,
    never placed in the revision, in Pulumi state or in git.
    """

    def __init__(self, name: str, args: CloudRunServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:CloudRunService", name, None, opts)
        child = child_options(self, opts)
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
        if args.public:
            self.invoker = cloudrunv2.ServiceIamMember(
                f"{name}-public-invoker",
                project=args.project,
                location=args.region,
                name=self.service.name,
                role="roles/run.invoker",
                member="allUsers",
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
