"""Short-term memory and the mid-term outbox: Memorystore for Redis, reachable only from the private network."""

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
    """A Memorystore instance: `volatile-lru` evicts the windows (they carry a TTL), never the outbox's keys (they do
    not); RDB snapshots every hour, so a restarted node comes back with what waited in the outbox."""

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
            redis_configs={"maxmemory-policy": "volatile-lru"},
            persistence_config=redis.InstancePersistenceConfigArgs(
                persistence_mode="RDB", rdb_snapshot_period="ONE_HOUR"
            ),
            opts=child_options(self, opts),
        )
        self.url = pulumi.Output.concat("redis://", self.instance.host, ":", self.instance.port.apply(str), "/0")
        self.register_outputs({"url": self.url})
