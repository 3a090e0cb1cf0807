"""Resource options shared by the components."""

import pulumi


def child_options(parent: pulumi.Resource, opts: pulumi.ResourceOptions | None, **kwargs) -> pulumi.ResourceOptions:
    """Options for a component's children: parented to it, and waiting for what the component was told to wait for.

    Pulumi does not make a component's children wait for the component's own `depends_on`; without this, a
    child could be created before, say, the API it needs is enabled.
    """
    return pulumi.ResourceOptions(parent=parent, depends_on=opts.depends_on if opts else None, **kwargs)
