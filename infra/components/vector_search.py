"""Long-term memory (optional): a Vertex AI Vector Search index with streaming updates, deployed to an endpoint."""

from dataclasses import dataclass

import pulumi
from pulumi_gcp import vertex

from ._options import child_options


@dataclass
class VectorSearchArgs:
    project: str
    region: str
    display_name: str
    deployed_index_id: str  # letters, digits and underscores, starting with a letter
    dimensions: int  # must match the embedding model the agent uses
    min_replicas: int
    max_replicas: int


class VectorSearch(pulumi.ComponentResource):
    """`STREAM_UPDATE` index (upserts are searchable within seconds) + public endpoint + deployed index.

    The endpoint is "public" in the Vertex sense (no VPC peering needed) but every call is IAM-authenticated;
    only the agent's service account holds `roles/aiplatform.user`.
    """

    def __init__(self, name: str, args: VectorSearchArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:VectorSearch", name, None, opts)
        child = child_options(self, opts)
        self.index = vertex.AiIndex(
            f"{name}-index",
            project=args.project,
            region=args.region,
            display_name=args.display_name,
            index_update_method="STREAM_UPDATE",
            metadata=vertex.AiIndexMetadataArgs(
                config=vertex.AiIndexMetadataConfigArgs(
                    dimensions=args.dimensions,
                    approximate_neighbors_count=50,
                    distance_measure_type="DOT_PRODUCT_DISTANCE",
                    feature_norm_type="UNIT_L2_NORM",  # normalised dot product = cosine similarity
                    shard_size="SHARD_SIZE_SMALL",
                    algorithm_config=vertex.AiIndexMetadataConfigAlgorithmConfigArgs(
                        tree_ah_config=vertex.AiIndexMetadataConfigAlgorithmConfigTreeAhConfigArgs(
                            leaf_node_embedding_count=500,
                            leaf_nodes_to_search_percent=10,
                        )
                    ),
                ),
            ),
            opts=child,
        )
        self.endpoint = vertex.AiIndexEndpoint(
            f"{name}-endpoint",
            project=args.project,
            region=args.region,
            display_name=args.display_name,
            public_endpoint_enabled=True,
            opts=child,
        )
        self.deployed_index = vertex.AiIndexEndpointDeployedIndex(
            f"{name}-deployed",
            region=args.region,
            index_endpoint=self.endpoint.id,
            index=self.index.id,
            deployed_index_id=args.deployed_index_id,
            display_name=args.display_name,
            automatic_resources=vertex.AiIndexEndpointDeployedIndexAutomaticResourcesArgs(
                min_replica_count=args.min_replicas,
                max_replica_count=args.max_replicas,
            ),
            opts=child_options(self, opts, custom_timeouts=pulumi.CustomTimeouts(create="90m")),
        )
        self.index_name = self.index.id
        self.endpoint_name = self.endpoint.id
        self.deployed_index_id = self.deployed_index.deployed_index_id
        self.public_endpoint_domain = self.endpoint.public_endpoint_domain_name
        self.register_outputs(
            {"index": self.index_name, "endpoint": self.endpoint_name, "deployed_index_id": self.deployed_index_id}
        )
