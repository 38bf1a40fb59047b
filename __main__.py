"""The edgefed Pulumi program: one country stack per `stacks/Pulumi.<cc>.yaml`."""

from edgefed.program import run

run()
