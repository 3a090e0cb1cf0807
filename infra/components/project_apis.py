"""The Google APIs a stack needs, enabled in its project."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import projects

from ._options import child_options


@dataclass
class ProjectApisArgs:
    project: str
    services: Sequence[str]  # e.g. run.googleapis.com


class ProjectApis(pulumi.ComponentResource):
    """Enables each API once; other components depend on this one so they wait for it."""

    def __init__(self, name: str, args: ProjectApisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agent-workspace:infra:ProjectApis", name, None, opts)
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
        self.register_outputs({"services": [s.service for s in self.services]})
