#!/usr/bin/env python3
"""Runs a command (stdout to a file) and prints "wall_seconds cpu_seconds" (user + system of the child).

On a shared machine CPU time is the fair per-core measure; wall time is printed as well.
Usage: cputime.py OUTFILE CMD [ARGS...]
"""

import resource
import subprocess
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.perf_counter()
with open(out, "wb") as f:
    subprocess.run(cmd, stdout=f, check=True)
wall = time.perf_counter() - t0
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print(f"{wall:.4f} {cpu:.4f}")
