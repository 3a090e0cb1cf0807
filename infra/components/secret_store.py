"""Secret Manager secrets and who may read each one. Pulumi creates the secrets, never their values."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import secretmanager

from ._options import child_options


@dataclass
class SecretStoreArgs:
    project: str
    readers: Mapping[str, Sequence[pulumi.Input[str]]]  # env var name (e.g. OPENAI_API_KEY) -> IAM members
    suffix: str  # the stack, so dev and prod can share a project


class SecretStore(pulumi.ComponentResource):
    """One secret per name with `secretAccessor` granted on that secret only, to exactly the listed members.

    Values are added out of band (`gcloud secrets versions add`), so they never enter Pulumi state or git;
    Cloud Run reads version `latest` when an instance starts.
    """

    def __init__(self, name: str, args: SecretStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:SecretStore", name, None, opts)
        child = child_options(self, opts)
        self.secrets: dict[str, secretmanager.Secret] = {}
        self.bindings: list[secretmanager.SecretIamMember] = []
        for env_name, members in args.readers.items():
            slug = env_name.lower().replace("_", "-")
            secret = secretmanager.Secret(
                f"{name}-{slug}",
                project=args.project,
                secret_id=f"{slug}-{args.suffix}",
                replication=secretmanager.SecretReplicationArgs(auto=secretmanager.SecretReplicationAutoArgs()),
                labels={"env-var": slug},
                opts=child,
            )
            self.secrets[env_name] = secret
            self.bindings += [
                secretmanager.SecretIamMember(
                    f"{name}-{slug}-reader-{i}",
                    project=args.project,
                    secret_id=secret.secret_id,
                    role="roles/secretmanager.secretAccessor",
                    member=member,
                    opts=child,
                )
                for i, member in enumerate(members)
            ]
        self.register_outputs({"secret_ids": {k: s.secret_id for k, s in self.secrets.items()}})

    def secret_id(self, env_name: str) -> pulumi.Output[str]:
        """The Secret Manager id to mount as env var `env_name`."""
        return self.secrets[env_name].secret_id
