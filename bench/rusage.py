"""
Runs a command and writes what it cost to the file named by RUSAGE_OUT, as JSON: wall seconds,
user and system CPU seconds and peak RSS (KiB) of the command and every child it waited for.
Node cannot read a child's rusage; wait4 can. The wall clock starts at the fork, so Python's own
start is not counted. The command's output and exit code pass through.
Usage: RUSAGE_OUT=FILE python3 bench/rusage.py COMMAND [ARG...]
"""

import json
import os
import sys
import time

t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
with open(os.environ["RUSAGE_OUT"], "w", encoding="utf-8") as f:
    json.dump({"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime, "maxRssKb": ru.ru_maxrss}, f)
sys.exit(os.waitstatus_to_exitcode(status))
