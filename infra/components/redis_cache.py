"""Short-term memory: Memorystore for Redis, LRU eviction, reachable only from the private network."""

from dataclasses import dataclass

import pulumi
from pulumi_gcp import redis

from ._options import child_options


@dataclass
class RedisCacheArgs:
    project: str
    region: str
    instance_name: str
    network: pulumi.Input[str]  # VPC id the instance peers with; Cloud Run reaches it by Direct VPC egress
    tier: str  # BASIC (dev) | STANDARD_HA (prod: replica + automatic failover)
    memory_gb: int
    version: str


class RedisCache(pulumi.ComponentResource):
    """A Memorystore instance configured as a cache: `allkeys-lru`, so a full cache evicts instead of failing writes."""

    def __init__(self, name: str, args: RedisCacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:RedisCache", name, None, opts)
        self.instance = redis.Instance(
            f"{name}-instance",
            project=args.project,
            region=args.region,
            name=args.instance_name,
            tier=args.tier,
            memory_size_gb=args.memory_gb,
            redis_version=args.version,
            authorized_network=args.network,
            connect_mode="DIRECT_PEERING",  # private IP in the peered network; Memorystore has no public endpoint
            redis_configs={"maxmemory-policy": "allkeys-lru"},
            opts=child_options(self, opts),
        )
        self.url = pulumi.Output.concat("redis://", self.instance.host, ":", self.instance.port.apply(str), "/0")
        self.register_outputs({"url": self.url})
