"""PyTorch's launcher for a job in several processes: ``python -m codetune.backends.local.launch RUN_DIR
TORCHRUN_ARGS...`` is ``python -m torch.distributed.run TORCHRUN_ARGS...`` (torchrun's own parser and
launch), plus one record: when training processes fail, which ranks failed and how (exit code or
signal) go to ``ranks/exits.json``, so the job's failure names the rank that caused it without reading
torchrun's log. torchrun does the rest: it starts the processes, and when one fails or this process
gets SIGTERM (``codetune cancel``), it stops the others (SIGTERM, then SIGKILL after 30 s).
"""

from __future__ import annotations

import sys
from pathlib import Path

from codetune.backends.local.rundir import RunDir
from codetune.io import write_json


def main(argv: list[str]) -> int:
    from codetune.backends.local.worker import die_with_parent

    die_with_parent()  # the supervisor killed: torchrun goes too (and its processes with it)
    run_dir = RunDir(Path(argv[0]).resolve())
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    try:
        run(parse_args(argv[1:]))
    except ChildFailedError as failed:
        write_json(
            run_dir.rank_exits,
            {
                "failures": [
                    {
                        "rank": rank,
                        "local_rank": failure.local_rank,
                        "exitcode": failure.exitcode,
                        "signal": failure.signal_name() if failure.exitcode < 0 else None,
                        "pid": failure.pid,
                    }
                    for rank, failure in sorted(failed.failures.items())
                ]
            },
        )
        return 1
    except SignalException as stopped:  # SIGTERM/SIGINT: the processes were stopped (cancel)
        return 128 + int(stopped.sigval)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
