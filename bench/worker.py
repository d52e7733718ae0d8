"""Starting and stopping Celery worker subprocesses for a bench phase, and their peak memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from .common import log

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/bench-logs"))


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Worker:
    """``celery -A bench.workerapp worker`` (prefork, given concurrency) as a child process."""

    def __init__(self, concurrency: int = 2, backend: str = "celery",
                 extra_env: dict[str, str] | None = None) -> None:
        self.concurrency = concurrency
        self.name = f"bench-{uuid.uuid4().hex[:8]}@localhost"
        self.env = {**os.environ, "BENCH_BACKEND": backend, **(extra_env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> Worker:
        from .workerapp import app

        cmd = [sys.executable, "-m", "celery", "-A", "bench.workerapp", "worker",
               "-P", "prefork", "-c", str(self.concurrency), "-n", self.name, "-l", "warning",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{self.name.split('@')[0]}.log"
        with self.log_path.open("wb") as out:  # the banner and warnings stay out of the tables
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"worker exited with {self.proc.returncode}")
                if app.control.ping(destination=[self.name], timeout=0.5):
                    return self
            raise RuntimeError("worker did not answer a ping in time")
        except BaseException:
            self.stop()  # never leave a worker behind to consume the next phase's tasks
            raise

    def peak_rss_mib(self) -> tuple[float, float]:
        """(largest single process, whole worker) peak resident memory in MiB."""
        if self.proc is None:
            return 0.0, 0.0
        peaks = [_peak_kib(pid) for pid in [self.proc.pid, *_children(self.proc.pid)]]
        return max(peaks) / 1024, sum(peaks) / 1024

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # warm shutdown: finish current tasks
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            log(f"worker {self.proc.pid} did not stop; killing its process group")
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the pool children too
            self.proc.wait()

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def purge() -> None:
    """Drop messages left in the broker by an earlier phase; refuse to go on if some other
    worker listens on the bench broker (it would take a share of the tasks measured)."""
    from .workerapp import app

    others = app.control.ping(timeout=1.0)
    if others:
        raise SystemExit(f"Other Celery workers answer on the bench broker: {others}. "
                         "Stop them (or set BENCH_REDIS_URL to another database) first.")
    app.control.purge()
