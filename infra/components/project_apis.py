"""The Google APIs a stack needs, enabled in its project, and the service agents of those that act on our resources."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import projects

from ._options import child_options


@dataclass
class ProjectApisArgs:
    project: str
    services: Sequence[str]  # e.g. run.googleapis.com
    service_agents: Sequence[str] = ()  # of those, the APIs whose Google-managed service agent we grant roles to


class ProjectApis(pulumi.ComponentResource):
    """Enables each API once; other components depend on this one so they wait for it.

    A service agent (e.g. IAP's `service-PROJECT_NUMBER@gcp-sa-iap...`) exists only once Google has generated it;
    `projects.ServiceIdentity` generates it and returns its email, so IAM can name it without a data source.
    """

    def __init__(self, name: str, args: ProjectApisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:ProjectApis", name, None, opts)
        missing = set(args.service_agents) - set(args.services)
        if missing:
            raise ValueError(f"{name}: service agents of APIs not enabled: {sorted(missing)}")
        self.services = [
            projects.Service(
                f"{name}-{service.split('.')[0]}",
                project=args.project,
                service=service,
                disable_on_destroy=False,  # destroying a stack must not switch off APIs other things use
                opts=child_options(self, opts),
            )
            for service in args.services
        ]
        self.agents = {
            service: projects.ServiceIdentity(
                f"{name}-{service.split('.')[0]}-agent",
                project=args.project,
                service=service,
                opts=pulumi.ResourceOptions(parent=self, depends_on=self.services),
            )
            for service in args.service_agents
        }
        self.register_outputs({"services": [s.service for s in self.services]})

    def agent_member(self, service: str) -> pulumi.Output[str]:
        """The service agent of API `service` as an IAM member (`serviceAccount:...`)."""
        return self.agents[service].member
