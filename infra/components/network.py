"""The private network: Cloud Run reaches Memorystore through Direct VPC egress into this subnet."""

from dataclasses import dataclass

import pulumi
from pulumi_gcp import compute

from ._options import child_options


@dataclass
class NetworkArgs:
    project: str
    region: str
    network_name: str
    subnet_cidr: str  # Direct VPC egress needs a /26 or larger


class Network(pulumi.ComponentResource):
    """A custom-mode VPC with one regional subnet (Private Google Access on, so internal traffic reaches run.app)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:Network", name, None, opts)
        child = child_options(self, opts)
        self.network = compute.Network(
            f"{name}-vpc",
            project=args.project,
            name=args.network_name,
            auto_create_subnetworks=False,
            opts=child,
        )
        self.subnetwork = compute.Subnetwork(
            f"{name}-subnet",
            project=args.project,
            name=f"{args.network_name}-{args.region}",
            region=args.region,
            network=self.network.id,
            ip_cidr_range=args.subnet_cidr,
            private_ip_google_access=True,
            opts=child,
        )
        self.register_outputs({"network": self.network.id, "subnetwork": self.subnetwork.id})
