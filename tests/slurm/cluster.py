"""A single-node SLURM cluster on localhost for tests, started and stopped by PID.

Runs as root without systemd: munged, slurmctld and slurmd are started directly with
their state, sockets, logs and pid files in one temporary folder, and exactly the
daemons started here are stopped. The one file written outside that folder is
``/etc/slurm/slurm.conf``, SLURM's default location: Snakemake's jobstep executor
clears ``SLURM_CONF`` before its nested ``srun``, so a configuration anywhere else is
not found inside jobs. The file is written only where none exists and removed on stop.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
DEFAULT_CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# assaypipe test cluster: written and removed by tests/slurm/cluster.py\n"


@dataclass
class Cluster:
    root: Path
    conf: Path
    env: dict[str, str]
    pids: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the daemons this cluster started (by PID), newest first; remove its config."""
        try:
            self._stop_daemons()
        finally:
            if self.conf.is_file() and self.conf.read_text().startswith(MARKER):
                self.conf.unlink()

    def _stop_daemons(self) -> None:
        for name in reversed(list(self.pids)):
            pid = self.pids[name]
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(50):
                if not _alive(pid):
                    break
                time.sleep(0.1)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.pids.clear()

    def logs(self) -> str:
        parts = []
        for path in sorted(self.root.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)


def _alive(pid: int) -> bool:
    # A daemon whose parent is gone may stay a zombie where nothing reaps it: that is dead.
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def missing_tools() -> list[str]:
    tools = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol"]
    return [tool for tool in tools if shutil.which(tool) is None]


def _read_pid(path: Path, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text().strip():
            return int(path.read_text().split()[0])
        time.sleep(0.1)
    raise RuntimeError(f"{path.name} did not appear within {timeout} s")


class ClusterUnavailableError(RuntimeError):
    """This machine cannot host the test cluster (a foreign SLURM configuration exists)."""


def start(
    root: Path, cpus: int | None = None, timeout: float = 60.0, conf: Path = DEFAULT_CONF
) -> Cluster:
    """Start munged, slurmctld and slurmd under ``root``; wait until the node is idle."""
    if conf.exists() and not conf.read_text().startswith(MARKER):
        raise ClusterUnavailableError(f"{conf} exists and is not ours; not touching a real cluster")
    conf.parent.mkdir(parents=True, exist_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("state", "spool", "munge"):
        (root / sub).mkdir(exist_ok=True)
    os.chmod(root / "munge", 0o700)
    cpus = cpus or os.cpu_count() or 1
    host = socket.gethostname().split(".")[0]
    memory = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**2 * 0.8)
    munge_socket = root / "munge" / "munge.socket"
    key = root / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    os.chmod(key, 0o400)

    conf.write_text(
        MARKER
        + "\n".join(
            [
                "ClusterName=assaypipe-test",
                f"SlurmctldHost={host}(127.0.0.1)",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                "CredType=cred/munge",
                f"AuthInfo=socket={munge_socket}",
                f"StateSaveLocation={root / 'state'}",
                f"SlurmdSpoolDir={root / 'spool'}",
                f"SlurmctldPidFile={root / 'slurmctld.pid'}",
                f"SlurmdPidFile={root / 'slurmd.pid'}",
                f"SlurmctldLogFile={root / 'slurmctld.log'}",
                f"SlurmdLogFile={root / 'slurmd.log'}",
                "SlurmctldPort=6817",
                "SlurmdPort=6818",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "MpiDefault=none",
                "SchedulerType=sched/backfill",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core_Memory",
                "ReturnToService=2",
                # Finished jobs stay visible to squeue, the status command without slurmdbd.
                "MinJobAge=300",
                # A job asking more than the node has fails at once instead of pending forever.
                "EnforcePartLimits=ALL",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                f"NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN",
                f"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP",
                "",
            ]
        )
    )
    env = {**os.environ, "SLURM_CONF": str(conf)}
    cluster = Cluster(root=root, conf=conf, env=env)
    try:
        subprocess.run(
            [
                "munged",
                "--force",
                f"--key-file={key}",
                f"--socket={munge_socket}",
                f"--pid-file={root / 'munged.pid'}",
                f"--log-file={root / 'munged.log'}",
                f"--seed-file={root / 'munge' / 'munged.seed'}",
            ],
            check=True,
            env=env,
        )
        cluster.pids["munged"] = _read_pid(root / "munged.pid", timeout)
        subprocess.run(["slurmctld", "-f", str(conf)], check=True, env=env)
        cluster.pids["slurmctld"] = _read_pid(root / "slurmctld.pid", timeout)
        subprocess.run(["slurmd", "-f", str(conf)], check=True, env=env)
        cluster.pids["slurmd"] = _read_pid(root / "slurmd.pid", timeout)
        _wait_idle(env, timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _wait_idle(env: dict[str, str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        result = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=env, check=False
        )
        state = result.stdout.strip()
        if state == "idle":
            return
        time.sleep(0.5)
    raise RuntimeError(f"the SLURM node did not become idle within {timeout} s (state {state!r})")
