"""Secret Manager secrets and who may read each one. Pulumi creates the secrets, never their values."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import secretmanager

from ._options import child_options


@dataclass
class SecretStoreArgs:
    project: str
    readers: Mapping[str, Sequence[pulumi.Input[str]]]  # secret name (e.g. openai-api-key) -> IAM members
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
        for slug, members in args.readers.items():
            secret = secretmanager.Secret(
                f"{name}-{slug}",
                project=args.project,
                secret_id=f"{slug}-{args.suffix}",
                replication=secretmanager.SecretReplicationArgs(auto=secretmanager.SecretReplicationAutoArgs()),
                labels={"secret": slug},
                opts=child,
            )
            self.secrets[slug] = secret
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

    def secret_id(self, name: str) -> pulumi.Output[str]:
        """The Secret Manager id of secret `name` (suffixed with the stack), to mount as an env var."""
        return self.secrets[name].secret_id
