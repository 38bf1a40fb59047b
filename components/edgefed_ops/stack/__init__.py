"""Stacks under the real engine: workspaces, the state backend, operations, deploys and policy checks."""
