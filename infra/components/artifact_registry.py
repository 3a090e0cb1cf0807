"""The Docker repository CI pushes the agent and dashboard images to."""

from dataclasses import dataclass

import pulumi
from pulumi_gcp import artifactregistry

from ._options import child_options


@dataclass
class ArtifactRegistryArgs:
    project: str
    region: str
    repository_id: str
    keep_recent: int = 20  # newest versions kept per image, whatever their age


class ArtifactRegistry(pulumi.ComponentResource):
    """One Docker-format repository with cleanup policies, so storage does not grow with every push."""

    def __init__(self, name: str, args: ArtifactRegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:ArtifactRegistry", name, None, opts)
        self.repository = artifactregistry.Repository(
            f"{name}-docker",
            project=args.project,
            location=args.region,
            repository_id=args.repository_id,
            format="DOCKER",
            description="agent-workspace images (agent, dashboard), pushed by GitHub Actions",
            cleanup_policies=[
                artifactregistry.RepositoryCleanupPolicyArgs(
                    id="keep-recent",
                    action="KEEP",
                    most_recent_versions=artifactregistry.RepositoryCleanupPolicyMostRecentVersionsArgs(
                        keep_count=args.keep_recent
                    ),
                ),
                artifactregistry.RepositoryCleanupPolicyArgs(
                    id="delete-old-untagged",
                    action="DELETE",
                    condition=artifactregistry.RepositoryCleanupPolicyConditionArgs(
                        tag_state="UNTAGGED", older_than="1209600s"
                    ),
                ),
            ],
            opts=child_options(self, opts),
        )
        # e.g. us-central1-docker.pkg.dev/PROJECT/REPOSITORY: what images are named under
        self.url = self.repository.registry_uri
        self.register_outputs({"url": self.url})
