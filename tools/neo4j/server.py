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
JVM_FLAGS = [  # the heap (-Xms, -Xmx) is each Server's
    "-XX:+UseParallelGC",
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


class Server:
    """One Neo4j server on 127.0.0.1: its Bolt port, its folder under ``var/`` and its heap.

    The module-level :func:`start`, :func:`stop` and :func:`listening` work on the default server; the
    tests run a second one (another port and folder) that holds the core graph for the whole session.
    """

    def __init__(self, port: int = PORT, var: Path = VAR, heap: str = "4g"):
        self.port, self.var, self.heap = port, var, heap
        self.uri = f"bolt://127.0.0.1:{port}"

    def listening(self) -> bool:
        with socket.socket() as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def start(self, timeout: float = 180.0) -> str:
        """Start the server unless it is already listening; return its Bolt URI."""
        if self.listening():
            return self.uri
        fetch()
        self.var.mkdir(parents=True, exist_ok=True)
        # The server's environment is ours without the passwords: /proc/PID/environ would show them.
        env = {k: v for k, v in os.environ.items() if k not in ("TECHGEO_NEO4J_PASSWORD", "NEO4J_PASSWORD")}
        flags = [f"-Xms{self.heap}", f"-Xmx{self.heap}", *JVM_FLAGS]
        log_path = self.var / "server.log"
        # A fresh log per start: READY must come from this server, after its password is set.
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [
                    "java",
                    *flags,
                    "-cp",
                    f"{LIB}/*",
                    str(HERE / "Launcher.java"),
                    str(self.var / "home"),
                    str(self.port),
                ],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        assert proc.stdin is not None
        proc.stdin.write(PASSWORD.encode("utf-8") + b"\n")  # read once by Launcher.java, then closed
        proc.stdin.close()
        (self.var / "server.pid").write_text(str(proc.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                sys.exit(f"Neo4j exited with code {proc.returncode}; see {log_path}")
            if b"READY" in log_path.read_bytes() and self.listening():
                return self.uri
            time.sleep(0.5)
        self.stop()
        sys.exit(f"Neo4j did not start within {timeout:.0f} s; see {log_path}")

    def stop(self) -> None:
        """Stop the server started by :meth:`start`, if any."""
        pid_file = self.var / "server.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
            for _ in range(120):
                if _exited(pid):
                    break
                time.sleep(0.25)
            else:
                os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        pid_file.unlink(missing_ok=True)


def _exited(pid: int) -> bool:
    """True once ``pid`` has exited. A server this process started stays a zombie until it is reaped (and
    ``kill(pid, 0)`` still finds a zombie), so reap it; another process's server is looked up."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    except ChildProcessError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


DEFAULT = Server()


def listening() -> bool:
    return DEFAULT.listening()


def start(timeout: float = 180.0) -> str:
    """Start the default server unless it is already listening; return its Bolt URI."""
    return DEFAULT.start(timeout)


def stop() -> None:
    """Stop the default server started by :func:`start`, if any."""
    DEFAULT.stop()


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
