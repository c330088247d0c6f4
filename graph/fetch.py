"""``python -m graph fetch``: bring the official current files of each source into ``data/raw/``.

For each file a source declares in ``SOURCE.downloads`` (file relative to a
raw-data folder → URL of the official download), fetch:

1. downloads it to a ``.part`` file beside its place, with a progress line,
   retries with back-off and a time limit;
2. checks the layout by running the source's own loader on the new file
   (with the source's other files as they are), so a truncated download, an
   error page or a changed layout is caught before anything is replaced;
3. swaps the new file in with an atomic rename, and records its URL, date,
   size and sha256 in ``MANIFEST.json`` beside it.

A failed or partial download leaves the previous file in place. The build
never downloads: it reads what is there, and skips a source whose files are
absent, naming this command. ``--from URL`` fetches the same relative paths
from a mirror instead of the official addresses (an internal mirror, or a
test server).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from graph.errors import GraphError, LoaderError
from loaders.base import Context

MANIFEST = "MANIFEST.json"
CHUNK = 1 << 16


@dataclass
class Fetched:
    """What one file's fetch did."""

    source: str
    file: str
    url: str
    ok: bool
    message: str
    bytes: int = 0
    sha256: str = ""


def by_id(loaders: Sequence[ModuleType]) -> dict[str, ModuleType]:
    """The loaders that can fetch, by source id."""
    return {m.SOURCE.id: m for m in loaders if m.SOURCE.downloads}


def fetch(
    loaders: Sequence[ModuleType],
    wanted: Sequence[str],
    raw_dir: Path,
    raw_dirs: Sequence[Path],
    mirror: str | None = None,
    timeout: float = 120.0,
    retries: int = 3,
    progress: Callable[[str], None] = lambda m: None,
) -> list[Fetched]:
    """Fetch every file of the ``wanted`` sources (all that can fetch when empty) into ``raw_dir``."""
    known = by_id(loaders)
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise GraphError(f"unknown source(s) {', '.join(unknown)}; `python -m graph fetch --list` shows the sources")
    out: list[Fetched] = []
    for source_id in wanted or list(known):
        out += _fetch_source(known[source_id], raw_dir, raw_dirs, mirror, timeout, retries, progress)
    return out


def _fetch_source(
    module: ModuleType,
    raw_dir: Path,
    raw_dirs: Sequence[Path],
    mirror: str | None,
    timeout: float,
    retries: int,
    progress: Callable[[str], None],
) -> list[Fetched]:
    """Download every file of one source, check them together with its loader, and swap them in together."""
    source = module.SOURCE.id
    got: list[tuple[Path, Path, Fetched]] = []  # (part, target, result)
    try:
        for relative, url in module.SOURCE.downloads.items():
            url = mirror.rstrip("/") + "/" + relative if mirror else url
            target = raw_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(target.name + ".part")
            got.append((part, target, Fetched(source, relative, url, False, "")))
            size, digest = _download(url, part, timeout, retries, lambda m, r=relative: progress(f"{source}: {r}: {m}"))
            got[-1][2].bytes, got[-1][2].sha256 = size, digest
        _check_layout(module, [(part, f.file) for part, _, f in got], raw_dirs)
    except (GraphError, OSError) as exc:
        for part, target, f in got:
            part.unlink(missing_ok=True)
            kept = "the previous file is kept" if target.exists() else "nothing was written"
            f.message = f"{exc}; {kept}"
        return [f for _, _, f in got]
    for part, target, f in got:
        os.replace(part, target)
        _record(target, f.file, f.url, f.bytes, f.sha256)
        f.ok, f.message = True, f"{f.bytes:,} bytes, sha256 {f.sha256[:12]}…"
    return [f for _, _, f in got]


def _download(url: str, part: Path, timeout: float, retries: int, progress: Callable[[str], None]) -> tuple[int, str]:
    """Download ``url`` to ``part``; its size and sha256. Retries transient failures with back-off."""
    last: Exception | None = None
    for attempt in range(1, retries + 1):
        try:
            return _download_once(url, part, timeout, progress)
        except urllib.error.HTTPError as exc:
            last = exc
            if exc.code < 500 and exc.code != 429:
                raise GraphError(f"{url} answered HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, _Truncated) as exc:
            last = exc
        if attempt < retries:
            wait = 2 ** (attempt - 1)
            progress(f"attempt {attempt} failed ({_reason(last)}); retrying in {wait} s")
            time.sleep(wait)
    raise GraphError(f"could not download {url} after {retries} attempts ({_reason(last)})")


class _Truncated(Exception):
    """The connection ended before the length the server announced."""


def _reason(exc: Exception | None) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _download_once(url: str, part: Path, timeout: float, progress: Callable[[str], None]) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"User-Agent": "techgeo-graph fetch (+https://github.com/)"})
    deadline = time.monotonic() + timeout
    digest = hashlib.sha256()
    size = 0
    with urllib.request.urlopen(request, timeout=min(timeout, 60.0)) as response, open(part, "wb") as out:
        expected = int(response.headers.get("Content-Length") or 0)
        shown = 0.0
        while chunk := response.read(CHUNK):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError(f"not finished within {timeout:g} s")
            if time.monotonic() - shown > 1.0:
                shown = time.monotonic()
                progress(f"{size:,} of {expected:,} bytes" if expected else f"{size:,} bytes")
    if expected and size != expected:
        raise _Truncated(f"got {size:,} of {expected:,} bytes")
    progress(f"{size:,} bytes")
    return size, digest.hexdigest()


def _check_layout(module: ModuleType, parts: list[tuple[Path, str]], raw_dirs: Sequence[Path]) -> None:
    """Run the source's loader on the new files (its other files as they are); raise when it refuses them."""
    with tempfile.TemporaryDirectory(prefix="techgeo-fetch-") as tmp:
        for part, relative in parts:
            staged = Path(tmp) / relative
            staged.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(part, staged)
        ctx = Context(module.SOURCE, [Path(tmp), *raw_dirs])
        try:
            module.load(ctx)
        except LoaderError as exc:
            raise GraphError(f"the downloaded file does not have the layout the loader reads: {exc}") from exc
        if not ctx.report.nodes and not ctx.report.edges:  # counts bulk rows too (graph.bulk)
            raise GraphError("the downloaded file holds no records the loader can read")


def _record(target: Path, relative: str, url: str, size: int, digest: str) -> None:
    manifest_file = target.parent / MANIFEST
    manifest = _manifest(manifest_file)
    manifest[target.name] = {
        "file": relative,
        "url": url,
        "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "bytes": size,
        "sha256": digest,
    }
    tmp = manifest_file.with_name(MANIFEST + ".part")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, manifest_file)


def _manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def inventory(loaders: Sequence[ModuleType], raw_dirs: Sequence[Path]) -> list[dict[str, Any]]:
    """Every source and each file it reads: where it is (or that it is absent), its size, age and origin."""
    now = dt.datetime.now(dt.UTC)
    rows = []
    for module in loaders:
        source = module.SOURCE
        for relative in dict.fromkeys([*source.files, *source.downloads]):
            found = next((d / relative for d in raw_dirs if (d / relative).is_file()), None)
            row: dict[str, Any] = {"source": source.id, "file": relative, "present": found is not None}
            if found is not None:
                stat = found.stat()
                entry = _manifest(found.parent / MANIFEST).get(found.name, {})
                when = dt.datetime.fromisoformat(entry["fetched_at"]) if "fetched_at" in entry else None
                when = when or dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)
                row |= {
                    "path": str(found),
                    "bytes": stat.st_size,
                    "fetched_at": entry.get("fetched_at"),
                    "age_days": (now - when).days,
                    "url": entry.get("url") or source.downloads.get(relative, ""),
                }
            else:
                row["url"] = source.downloads.get(relative, "")
            rows.append(row)
    return rows


def print_inventory(rows: list[dict[str, Any]], stream: Any = sys.stdout) -> None:
    """``fetch --list`` as a person reads it."""
    for r in rows:
        if r["present"]:
            origin = f"fetched {r['fetched_at']}" if r.get("fetched_at") else "shipped or copied"
            print(
                f"{r['source']:34} {r['file']:58} {r['bytes']:>12,} B  {r['age_days']:>5} days  {origin}", file=stream
            )
        else:
            how = "fetch it" if r["url"] else "no download known: see data/README.md"
            print(f"{r['source']:34} {r['file']:58} {'absent':>12}    {'':>10}  {how}", file=stream)
