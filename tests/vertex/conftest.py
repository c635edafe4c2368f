"""Fixtures for the vertex backend tests: the real SDKs against fake-gcs-server and the Vertex stand-in."""

from support.gcs_emulator import gcs_emulator, gcs_emulator_server  # noqa: F401 - fixtures
from support.vertex_standin import vertex_standin  # noqa: F401
from support.vertex_workspace import workspace  # noqa: F401
