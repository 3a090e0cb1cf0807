"""Mid-term memory (and the long-term fallback): a Firestore database in Native mode, with its vector index."""

from dataclasses import dataclass

import pulumi
from pulumi_gcp import firestore

from ._options import child_options


@dataclass
class FirestoreDatabaseArgs:
    project: str
    database: str  # "(default)" or a named database
    location: str  # a region, or a multi-region such as nam5 / eur3
    deletion_protection: bool
    vector_dimensions: int  # the embedder's; `find_nearest` on users/{u}/memories needs an index of exactly this size


class FirestoreDatabase(pulumi.ComponentResource):
    """Native-mode Firestore; protected from deletion (and abandoned, not deleted, by `pulumi destroy`) in prod."""

    def __init__(self, name: str, args: FirestoreDatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:FirestoreDatabase", name, None, opts)
        self.database = firestore.Database(
            f"{name}-db",
            project=args.project,
            name=args.database,
            location_id=args.location,
            type="FIRESTORE_NATIVE",
            concurrency_mode="OPTIMISTIC",
            delete_protection_state=(
                "DELETE_PROTECTION_ENABLED" if args.deletion_protection else "DELETE_PROTECTION_DISABLED"
            ),
            deletion_policy="ABANDON" if args.deletion_protection else "DELETE",
            opts=child_options(self, opts),
        )
        # FirestoreVectorStore: find_nearest over the `embedding` field of each user's `memories` collection.
        self.vector_index = firestore.Index(
            f"{name}-memories-vector",
            project=args.project,
            database=self.database.name,
            collection="memories",
            query_scope="COLLECTION",
            fields=[
                firestore.IndexFieldArgs(
                    field_path="embedding",
                    vector_config=firestore.IndexFieldVectorConfigArgs(
                        dimension=args.vector_dimensions, flat=firestore.IndexFieldVectorConfigFlatArgs()
                    ),
                )
            ],
            opts=child_options(self, opts),
        )
        self.name = self.database.name
        self.register_outputs({"name": self.name, "vector_index": self.vector_index.id})
