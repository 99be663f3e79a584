"""Run one command; print its wall seconds, peak memory in MB, then the command's own last line.

Usage: `python -m benchmarks.ingest_one CMD...`.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

started = time.perf_counter()
done = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True)
seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
last_line = (done.stdout.strip().splitlines() or [""])[-1]
print(f"{seconds:.3f} {peak_mb:.0f} {last_line}")
