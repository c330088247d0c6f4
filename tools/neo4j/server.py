"""Fetch Neo4j 5.26 from Maven Central and run it on 127.0.0.1, for tests and development.

    python tools/neo4j/server.py start    # fetch jars once, start, wait for Bolt, print the URI
    python tools/neo4j/server.py stop
    python tools/neo4j/server.py status

The server keeps its files under ``var/neo4j/`` (git-ignored; another folder
with ``TECHGEO_NEO4J_VAR``, the jars stay in ``var/neo4j/lib``). Its settings
(port 17687, user neo4j, password ``techgeo-test``) can be changed with
``TECHGEO_NEO4J_PORT`` and ``TECHGEO_NEO4J_PASSWORD``.

The password reaches the server on its standard input, never on its command
line or in its environment (both are readable in ``/proc`` and, for the
command line, in ``ps``), and is never printed. The server refuses
``LOAD CSV`` from ``file:`` URLs and loads only the procedures in
``Launcher.java``'s allowlist.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VAR = Path(os.environ.get("TECHGEO_NEO4J_VAR") or ROOT / "var" / "neo4j")
LIB = ROOT / "var" / "neo4j" / "lib"
PORT = int(os.environ.get("TECHGEO_NEO4J_PORT", "17687"))
PASSWORD = os.environ.get("TECHGEO_NEO4J_PASSWORD", "techgeo-test")
URI = f"bolt://127.0.0.1:{PORT}"
JVM_FLAGS = [
    "-Xms4g",
    "-XX:+UseParallelGC",
    "-Xmx4g",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
]


def fetch() -> None:
    """Copy the Neo4j jars from Maven Central into var/neo4j/lib, once."""
    if LIB.is_dir() and any(LIB.glob("neo4j-kernel-*.jar")):
        return
    if shutil.which("mvn") is None:
        sys.exit("Maven (mvn) is needed to fetch Neo4j: apt-get install maven")
    LIB.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(HERE / "pom.xml"), "dependency:copy-dependencies", f"-DoutputDirectory={LIB}"],
        check=True,
    )


def listening() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", PORT)) == 0


def start(timeout: float = 180.0) -> str:
    """Start the server unless it is already listening; return its Bolt URI."""
    if listening():
        return URI
    fetch()
    VAR.mkdir(parents=True, exist_ok=True)
    # The server's environment is ours without the passwords: /proc/PID/environ would show them.
    env = {k: v for k, v in os.environ.items() if k not in ("TECHGEO_NEO4J_PASSWORD", "NEO4J_PASSWORD")}
    # A fresh log per start: READY must come from this server, after its password is set.
    with open(VAR / "server.log", "wb") as log:
        proc = subprocess.Popen(
            ["java", *JVM_FLAGS, "-cp", f"{LIB}/*", str(HERE / "Launcher.java"), str(VAR / "home"), str(PORT)],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    assert proc.stdin is not None
    proc.stdin.write(PASSWORD.encode("utf-8") + b"\n")  # read once by Launcher.java, then closed
    proc.stdin.close()
    (VAR / "server.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"Neo4j exited with code {proc.returncode}; see {VAR / 'server.log'}")
        if b"READY" in (VAR / "server.log").read_bytes() and listening():
            return URI
        time.sleep(0.5)
    stop()
    sys.exit(f"Neo4j did not start within {timeout:.0f} s; see {VAR / 'server.log'}")


def stop() -> None:
    """Stop the server started by :func:`start`, if any."""
    pid_file = VAR / "server.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
        for _ in range(60):
            os.kill(pid, 0)
            time.sleep(0.5)
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    pid_file.unlink(missing_ok=True)


def main() -> None:
    cmd = sys.argv[1] if len(sys.argv) > 1 else "status"
    if cmd == "start":
        print(start())
        print(f"export NEO4J_URI={URI} NEO4J_USER=neo4j")
        print("and NEO4J_PASSWORD=<the one in TECHGEO_NEO4J_PASSWORD, default techgeo-test>")
    elif cmd == "stop":
        stop()
    elif cmd == "status":
        print(f"{URI} {'listening' if listening() else 'not running'}")
    else:
        sys.exit("usage: server.py start|stop|status")


if __name__ == "__main__":
    main()
