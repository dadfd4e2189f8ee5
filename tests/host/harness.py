"""Drive the real provider host (``python -u -m pulumi.dynamic``) over gRPC as the engine does.

The engine sends old *outputs* as ``olds`` to Diff and Update and as the properties of Read and
Delete; it sends old *inputs* as ``olds`` to Check. The helpers here follow those rules, encode
properties with the SDK's own ``rpc.serialize_properties`` and take ``__provider`` from a resource
constructed under ``pulumi.runtime.set_mocks``, so the SDK's real pickling path is used.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import attrs
import grpc
import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tests.conftest import Account

PROJECT = "host-test"
PROVIDER_KEY = "__provider"
UNKNOWN = rpc.UNKNOWN


class _CapturingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@attrs.frozen
class Registration:
    """What a program registered with the engine for one resource."""

    inputs: dict[str, Any]
    resource_id: str | None
    typ: str = ""
    name: str = ""


def run_program(
    program: Callable[[], object],
    *,
    project: str | None = None,
    config: dict[str, str] | None = None,
) -> list[Registration]:
    """Run ``program`` as a Pulumi program under mocks; return what it registered, in order.

    ``inputs`` carries ``__provider`` as the host receives it: the engine strips the secret
    wrapper before it calls the provider. ``resource_id`` is the id of a read (``get``) or of an
    engine import (``import_``). ``config`` keys are full (``project:key``).
    """
    mocks = _CapturingMocks()
    # The SDK schedules its work on the current event loop; asyncio.run() elsewhere clears it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The mock monitor runs in executor threads and gives each an event loop it never closes;
    # hand each thread a loop we can close, so no loop or socket leaks out of the test.
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def give_thread_a_loop() -> None:
        thread_loop = asyncio.new_event_loop()
        thread_loops.append(thread_loop)
        asyncio.set_event_loop(thread_loop)

    executor = concurrent.futures.ThreadPoolExecutor(4, initializer=give_thread_a_loop)
    loop.set_default_executor(executor)
    try:
        pulumi.runtime.set_mocks(mocks, project=project, preview=False)
        pulumi.runtime.set_all_config(config or {})

        @pulumi.runtime.test
        def run() -> None:
            program()  # the SDK waits for every registration before returning

        run()
    finally:
        pulumi.runtime.set_all_config({})
        pulumi.runtime.settings.reset_options()
        asyncio.set_event_loop(None)
        loop.close()
        executor.shutdown(wait=True)
        for thread_loop in thread_loops:
            thread_loop.close()
    registrations = []
    for args in mocks.resources:
        inputs = dict(args.inputs)
        blob = inputs.get(PROVIDER_KEY)
        if isinstance(blob, dict):
            inputs[PROVIDER_KEY] = rpc.unwrap_rpc_secret(blob)
        registrations.append(Registration(inputs, args.resource_id, args.typ, args.name))
    return registrations


def captured_registration(build: Callable[[], pulumi.Resource]) -> Registration:
    """Run ``build`` as a program under mocks; return the one resource it registered."""
    (registration,) = run_program(build)
    return registration


def provider_blob(build: Callable[[], pulumi.Resource]) -> str:
    """The serialized provider of the resource ``build`` constructs."""
    blob = captured_registration(build).inputs[PROVIDER_KEY]
    assert isinstance(blob, str)
    return blob


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    """Encode a property bag as the engine does (``rpc.serialize_properties``)."""
    return asyncio.run(rpc.serialize_properties(props, {}))


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Decode a property bag, keeping unknowns as the sentinel string."""
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


class HostError(Exception):
    """The host answered an RPC with a gRPC error."""

    def __init__(self, error: grpc.RpcError) -> None:
        self.code = error.code()
        self.details = error.details() or ""
        super().__init__(f"{self.code}: {self.details}")


class ProviderHost:
    """A running provider host and a gRPC stub talking to it."""

    def __init__(
        self, process: subprocess.Popen[bytes], channel: grpc.Channel, stderr: _Drain
    ) -> None:
        self.process = process
        self.channel = channel
        self.stub = provider_pb2_grpc.ResourceProviderStub(channel)
        self._stderr = stderr

    def stop(self) -> str:
        """Stop the host and return everything it wrote to stderr."""
        _stop(self.process)
        return self._stderr.text()

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=120)
        except grpc.RpcError as error:
            raise HostError(error) from None

    def configure(self, config: dict[str, Any]) -> provider_pb2.ConfigureResponse:
        """Send the stack config, with keys in ``namespace:name`` form."""
        return self._call("Configure", provider_pb2.ConfigureRequest(args=to_struct(config)))

    def check(
        self, urn: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Check new inputs; returns the checked inputs and (property, reason) failures."""
        response = self._call(
            "Check",
            provider_pb2.CheckRequest(urn=urn, olds=to_struct(olds), news=to_struct(news)),
        )
        failures = [(f.property, f.reason) for f in response.failures]
        return from_struct(response.inputs), failures

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create from checked inputs; returns the id and the outputs."""
        response = self._call(
            "Create", provider_pb2.CreateRequest(urn=urn, properties=to_struct(inputs))
        )
        return response.id, from_struct(response.properties)

    def read(
        self, urn: str, id_: str, outputs: dict[str, Any], inputs: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """Refresh: returns the id (empty when gone), the outputs and the refreshed inputs."""
        request = provider_pb2.ReadRequest(
            id=id_,
            urn=urn,
            properties=to_struct(outputs),
            inputs=to_struct(inputs or {}),
        )
        response = self._call("Read", request)
        return response.id, from_struct(response.properties), from_struct(response.inputs)

    def diff(
        self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> provider_pb2.DiffResponse:
        """Diff old outputs against new inputs."""
        return self._call(
            "Diff",
            provider_pb2.DiffRequest(id=id_, urn=urn, olds=to_struct(olds), news=to_struct(news)),
        )

    def up(self, urn: str, news: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """Check then Create, as `pulumi up` does for a new resource; Check must pass."""
        checked, failures = self.check(urn, {}, news)
        assert failures == [], failures
        id_, outputs = self.create(urn, checked)
        return id_, outputs, checked

    def update(
        self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        """Update with old outputs and new inputs; returns the new outputs."""
        response = self._call(
            "Update",
            provider_pb2.UpdateRequest(id=id_, urn=urn, olds=to_struct(olds), news=to_struct(news)),
        )
        return from_struct(response.properties)

    def delete(self, urn: str, id_: str, outputs: dict[str, Any]) -> None:
        """Delete with the old outputs."""
        self._call(
            "Delete", provider_pb2.DeleteRequest(id=id_, urn=urn, properties=to_struct(outputs))
        )


class _Drain:
    """Read a pipe in a thread, so that a chatty host never blocks on a full pipe."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._chunks: list[bytes] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            self._chunks.append(chunk)

    def text(self) -> str:
        """Everything read so far; all of it once the writer has exited."""
        self._thread.join(timeout=10)
        return b"".join(self._chunks).decode("utf-8", "replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def provider_host(env: dict[str, str] | None = None) -> Iterator[ProviderHost]:
    """Start ``python -u -m pulumi.dynamic`` as the engine does and connect to it."""
    child_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CLOUDFLARE_", "PULUMI_"))
    }
    child_env["PULUMI_PROJECT"] = PROJECT
    child_env.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    stderr = _Drain(process.stderr)
    try:
        line = process.stdout.readline().decode().strip()
        if not line.isdigit():
            _stop(process)
            raise RuntimeError(f"provider host did not print its port: {line!r} {stderr.text()}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=30)
        try:
            yield ProviderHost(process, channel, stderr)
        finally:
            channel.close()
    finally:
        _stop(process)
        stderr.text()  # let the reader finish before its pipe is closed
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def declared(world: Account, blob: str, **props: Any) -> dict[str, Any]:
    """A resource's inputs in the seeded account's group, with the serialized provider."""
    return {
        "account_id": world.account_id,
        "user_group_id": world.user_group_id,
        PROVIDER_KEY: blob,
        **props,
    }


def urn(name: str, type_: str = "pulumi-python:dynamic/cloudflare:UserGroupMember") -> str:
    """A URN of the shape the engine sends (the host does not use it)."""
    return f"urn:pulumi:test::{PROJECT}::{type_}::{name}"
