"""Run one command; print its wall seconds and peak memory in MB.

Usage: `python -m benchmarks.ingest_one CMD...`.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - started
print(f"{seconds:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}")
