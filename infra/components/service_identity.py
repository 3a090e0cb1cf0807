"""A runtime service account per Cloud Run service, with only the project roles that service needs."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import projects, serviceaccount

from ._options import child_options


@dataclass
class ServiceIdentityArgs:
    project: str
    account_id: str  # 6-30 chars: lowercase letters, digits, hyphens
    display_name: str
    roles: Sequence[str]  # project-level roles; per-resource grants (secrets) are made where the resource is


class ServiceIdentity(pulumi.ComponentResource):
    """One service account and its project role bindings (additive `IAMMember`s, never authoritative policies)."""

    def __init__(self, name: str, args: ServiceIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:ServiceIdentity", name, None, opts)
        child = child_options(self, opts)
        self.account = serviceaccount.Account(
            f"{name}-sa",
            project=args.project,
            account_id=args.account_id,
            display_name=args.display_name,
            opts=child,
        )
        self.email = self.account.email
        self.member = self.account.member  # serviceAccount:EMAIL
        self.bindings = [
            projects.IAMMember(
                f"{name}-{role.removeprefix('roles/').replace('.', '-')}",
                project=args.project,
                role=role,
                member=self.member,
                opts=child,
            )
            for role in args.roles
        ]
        self.register_outputs({"email": self.email})
