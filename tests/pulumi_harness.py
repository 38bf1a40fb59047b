"""Pulumi mocks harness: records every registered resource, with its raw wire form to check secrets.

Mocks run no engine: these tests prove component logic (which resources, on which provider, with which
labels), never deployment. The engine tests do that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime.mocks import MockMonitor

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    provider: str | None
    custom: bool
    raw: struct_pb2.Struct | None = None

    def is_secret(self, key: str) -> bool:
        assert self.raw is not None
        value = self.raw.fields[key]
        return value.struct_value.fields[SIG_KEY].string_value == SECRET_SIG


@dataclass
class Recorder(pulumi.runtime.Mocks):
    resources: list[Registered] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(Registered(args.typ, args.name, args.inputs, args.provider, bool(args.custom)))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def named(self, name: str) -> Registered:
        return next(r for r in self.resources if r.name == name)


def run_program(
    program: Callable[[], Any], *, stack: str = "test", monkeypatch: Any = None, recorder: Recorder | None = None
) -> Recorder:
    """Run ``program`` under mocks and wait for every registration; return what was registered."""
    recorder = recorder if recorder is not None else Recorder()
    raw: dict[str, struct_pb2.Struct] = {}
    original = MockMonitor.RegisterResource

    def spy(self: MockMonitor, request: Any) -> Any:
        raw[request.name] = request.object
        return original(self, request)

    if monkeypatch is not None:
        monkeypatch.setattr(MockMonitor, "RegisterResource", spy)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(recorder, project="edgefed", stack=stack, preview=False)

    @pulumi.runtime.test
    def body() -> Any:
        return program()

    body()
    for item in recorder.resources:
        item.raw = raw.get(item.name)
    return recorder
