"""Workload Identity Federation for GitHub Actions: keyless, short-lived credentials for this repository only."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import artifactregistry, iam, kms, projects, serviceaccount, storage

from ._options import child_options

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


@dataclass
class GithubIdentityArgs:
    project: str
    pool_id: str  # 4-32 chars; a deleted pool's id stays reserved for 30 days
    pusher_account_id: str
    deployer_account_id: str
    repository: str  # owner/name
    deploy_branch: str  # only workflow runs on this branch may push images or deploy this stack
    deployer_roles: Sequence[str]  # project roles `pulumi up` needs
    image_repository: artifactregistry.Repository  # the pusher may write here and nowhere else
    runtime_accounts: Sequence[serviceaccount.Account]  # the deployer may deploy Cloud Run services as these
    state_bucket: str | None = None  # gs:// state backend bucket name, when Pulumi state lives in GCS
    secrets_kms_key: str | None = None  # KMS key id of the gcpkms:// secrets provider, when used


class GithubIdentity(pulumi.ComponentResource):
    """Pool + OIDC provider accepting only tokens from `repository`, and two service accounts behind it.

    - image pusher: `artifactregistry.writer` on the image repository only (the build jobs);
    - deployer: what `pulumi up` needs (the deploy jobs).
    Both can be impersonated only by workflow runs of `repository` on `deploy_branch` (the `ref` claim), so a
    pull request's workflow can run tests but can neither push images nor deploy.
    """

    def __init__(self, name: str, args: GithubIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:GithubIdentity", name, None, opts)
        child = child_options(self, opts)
        self.pool = iam.WorkloadIdentityPool(
            f"{name}-pool",
            project=args.project,
            workload_identity_pool_id=args.pool_id,
            display_name="GitHub Actions",
            description=f"GitHub Actions workflows of {args.repository}",
            opts=child,
        )
        self.provider = iam.WorkloadIdentityPoolProvider(
            f"{name}-provider",
            project=args.project,
            workload_identity_pool_id=self.pool.workload_identity_pool_id,
            workload_identity_pool_provider_id="github-actions",
            display_name="GitHub Actions OIDC",
            attribute_mapping={
                "google.subject": "assertion.sub",
                "attribute.repository": "assertion.repository",
                "attribute.ref": "assertion.ref",
                "attribute.actor": "assertion.actor",
            },
            # Tokens from any other repository are rejected at the token exchange, before any IAM check.
            attribute_condition=f"assertion.repository == '{args.repository}'",
            oidc=iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=GITHUB_ISSUER),
            opts=child,
        )
        branch_principals = pulumi.Output.concat(
            "principalSet://iam.googleapis.com/", self.pool.name, f"/attribute.ref/refs/heads/{args.deploy_branch}"
        )

        self.pusher = serviceaccount.Account(
            f"{name}-pusher",
            project=args.project,
            account_id=args.pusher_account_id,
            display_name="GitHub Actions image pusher",
            opts=child,
        )
        self.deployer = serviceaccount.Account(
            f"{name}-deployer",
            project=args.project,
            account_id=args.deployer_account_id,
            display_name="GitHub Actions deployer (pulumi up)",
            opts=child,
        )
        pusher_member, deployer_member = self.pusher.member, self.deployer.member
        self.bindings: list[pulumi.CustomResource] = []
        for role_name, account in (("pusher", self.pusher), ("deployer", self.deployer)):
            self.bindings.append(
                serviceaccount.IAMMember(
                    f"{name}-{role_name}-wif",
                    service_account_id=account.name,
                    role="roles/iam.workloadIdentityUser",
                    member=branch_principals,
                    opts=child,
                )
            )
        self.bindings.append(
            artifactregistry.RepositoryIamMember(
                f"{name}-pusher-writer",
                project=args.project,
                location=args.image_repository.location,
                repository=args.image_repository.name,
                role="roles/artifactregistry.writer",
                member=pusher_member,
                opts=child,
            )
        )
        self.bindings += [
            projects.IAMMember(
                f"{name}-deployer-{role.removeprefix('roles/').replace('.', '-')}",
                project=args.project,
                role=role,
                member=deployer_member,
                opts=child,
            )
            for role in args.deployer_roles
        ]
        # actAs: deploying a Cloud Run revision that runs as a service account requires permission to use it.
        self.bindings += [
            serviceaccount.IAMMember(
                f"{name}-deployer-actas-{i}",
                service_account_id=account.name,
                role="roles/iam.serviceAccountUser",
                member=deployer_member,
                opts=child,
            )
            for i, account in enumerate(args.runtime_accounts)
        ]
        if args.state_bucket:
            self.bindings.append(
                storage.BucketIAMMember(
                    f"{name}-deployer-state",
                    bucket=args.state_bucket,
                    role="roles/storage.objectAdmin",
                    member=deployer_member,
                    opts=child,
                )
            )
        if args.secrets_kms_key:
            self.bindings.append(
                kms.CryptoKeyIAMMember(
                    f"{name}-deployer-kms",
                    crypto_key_id=args.secrets_kms_key,
                    role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
                    member=deployer_member,
                    opts=child,
                )
            )
        self.provider_name = self.provider.name  # what google-github-actions/auth takes as workload_identity_provider
        self.register_outputs(
            {
                "provider": self.provider_name,
                "pusher": self.pusher.email,
                "deployer": self.deployer.email,
            }
        )
