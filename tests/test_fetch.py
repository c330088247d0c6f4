"""``python -m graph fetch`` against a local HTTP server that serves the shared OFAC files.

A good download is checked by the loader, swapped in and recorded; a truncated
download, a changed layout and a server error each fail with one line and
leave the previous files exactly as they were."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from loaders import ofac_sdn
from loaders.base import Context
from tests.conftest import ROOT, SHARED_DATA

SOURCE = ofac_sdn.SOURCE.id
FILES = ofac_sdn.FILES


class Mirror:
    """What the test server answers for each path: bytes, a truncated body, or an HTTP status."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.truncate: set[str] = set()
        self.status: dict[str, int] = {}
        self.hits: list[str] = []


@pytest.fixture()
def mirror() -> Iterator[tuple[Mirror, str]]:
    state = Mirror()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.lstrip("/")
            state.hits.append(path)
            if path in state.status:
                self.send_error(state.status[path])
                return
            body = state.bodies.get(path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # A truncated download: the announced length, then half of it and a closed connection.
            self.wfile.write(body[: len(body) // 2] if path in state.truncate else body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def serve_current_set(state: Mirror) -> None:
    """The shared 2019 set, served at the paths of the current set (``ofac-sdn/sdn.csv`` …)."""
    for name in FILES:
        state.bodies[f"{ofac_sdn.CURRENT}/{name}"] = (SHARED_DATA / ofac_sdn.WATCHMAN / name).read_bytes()


def fetch(raw: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TECHGEO_RAW_DIRS=f"{raw}:{SHARED_DATA}")
    return subprocess.run(
        [sys.executable, "-m", "graph", "fetch", *args, "--from", url, "--timeout", "30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def raw(tmp_path: Path) -> Path:
    return tmp_path / "raw"


def test_a_good_download_is_checked_swapped_in_and_recorded(mirror: tuple[Mirror, str], raw: Path) -> None:
    state, url = mirror
    serve_current_set(state)
    res = fetch(raw, url, SOURCE)
    assert res.returncode == 0, res.stderr
    assert sorted(state.hits) == sorted(f"{ofac_sdn.CURRENT}/{n}" for n in FILES)
    manifest = json.loads((raw / ofac_sdn.CURRENT / "MANIFEST.json").read_text())
    for name in FILES:
        body = state.bodies[f"{ofac_sdn.CURRENT}/{name}"]
        assert (raw / ofac_sdn.CURRENT / name).read_bytes() == body
        entry = manifest[name]
        assert entry["url"] == f"{url}/{ofac_sdn.CURRENT}/{name}" and entry["bytes"] == len(body)
        assert entry["sha256"] == hashlib.sha256(body).hexdigest() and entry["fetched_at"]
        assert f"fetched {SOURCE}: {ofac_sdn.CURRENT}/{name}: {len(body):,} bytes" in res.stdout
    assert "bytes" in res.stderr  # the progress lines
    assert not list(raw.rglob("*.part"))
    listing = subprocess.run(
        [sys.executable, "-m", "graph", "fetch", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, TECHGEO_RAW_DIRS=f"{raw}:{SHARED_DATA}"),
        timeout=120,
    )
    line = next(x for x in listing.stdout.splitlines() if f" {ofac_sdn.CURRENT}/sdn.csv " in x)
    assert "fetched 20" in line and "0 days" in line
    # The build reads the fetched set as the current snapshot, dated the day it was fetched.
    ctx = Context(ofac_sdn.SOURCE, [raw, SHARED_DATA])
    ofac_sdn.load(ctx)
    assert ctx.report.files[f"{ofac_sdn.CURRENT}/sdn.csv"]["snapshot"] == entry["fetched_at"][:10]


@pytest.mark.parametrize("failure", ["truncated", "changed layout", "server error", "not found"])
def test_a_failed_download_keeps_the_previous_files(mirror: tuple[Mirror, str], raw: Path, failure: str) -> None:
    state, url = mirror
    serve_current_set(state)
    assert fetch(raw, url, SOURCE).returncode == 0
    before = tree(raw)
    new = {k: v.replace(b"BANCO NACIONAL DE CUBA", b"BANCO NUEVO") for k, v in state.bodies.items()}
    state.bodies = new
    target = f"{ofac_sdn.CURRENT}/sdn.csv"
    if failure == "truncated":
        state.truncate.add(target)
        expected = "got "
    elif failure == "changed layout":
        lines = new[target].decode("utf-8").splitlines()
        new[target] = "\n".join(x.rsplit(",", 2)[0] for x in lines).encode()
        expected = "does not have the layout the loader reads"
    elif failure == "server error":
        state.status[target] = 503
        expected = "after 3 attempts (HTTP 503"
    else:
        state.status[target] = 404
        expected = "answered HTTP 404"
    res = fetch(raw, url, SOURCE)
    assert res.returncode == 1, res.stdout + res.stderr
    failed = [x for x in res.stdout.splitlines() if x.startswith("failed ")]
    assert failed and all("the previous file is kept" in x for x in failed), res.stdout
    assert any(expected in x for x in failed), res.stdout
    assert tree(raw) == before  # nothing replaced, no .part left, the manifest unchanged
    if failure == "server error":
        assert state.hits.count(target) == 1 + 3  # the first good fetch, then three attempts


def test_a_first_failed_download_writes_nothing(mirror: tuple[Mirror, str], raw: Path) -> None:
    state, url = mirror
    serve_current_set(state)
    state.status[f"{ofac_sdn.CURRENT}/alt.csv"] = 400
    res = fetch(raw, url, SOURCE)
    assert res.returncode == 1
    assert "nothing was written" in res.stdout
    assert not [p for p in raw.rglob("*") if p.is_file()]


def test_an_unknown_source_is_one_line(mirror: tuple[Mirror, str], raw: Path) -> None:
    res = fetch(raw, mirror[1], "src-nope")
    assert res.returncode != 0 and res.stderr.strip().count("\n") == 0
    assert "unknown source(s) src-nope" in res.stderr and "fetch --list" in res.stderr


def test_a_bulk_source_is_checked_by_its_loader_too(mirror: tuple[Mirror, str], raw: Path) -> None:
    """GLEIF's golden copy: a bulk source (graph.bulk), whose rows the loader keeps as columns, not records."""
    import io
    import zipfile

    from loaders import gleif

    state, url = mirror
    fixtures = ROOT / "tests" / "fixtures" / gleif.FOLDER
    for relative in gleif.SOURCE.downloads:
        body = io.BytesIO()
        with zipfile.ZipFile(body, "w") as archive:
            name = Path(relative).name.removesuffix(".zip")
            archive.writestr(name.replace("golden-copy", "golden-copy-20261204"), (fixtures / name).read_bytes())
        state.bodies[relative] = body.getvalue()
    res = fetch(raw, url, gleif.SOURCE.id)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (raw / gleif.FOLDER).glob("*.zip")) == sorted(
        Path(r).name for r in gleif.SOURCE.downloads
    )
