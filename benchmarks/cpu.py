"""The CPU a benchmark runs on: its name, and the features that decide its
bfloat16 and int8 figures (a figure holds only on a CPU with the same ones).

    >>> describe()
    'AMD EPYC, 2 cores; has avx2 fma; lacks avx512f avx512_bf16 avx512_vnni amx_bf16 amx_int8'
"""

import os
import platform

# The `/proc/cpuinfo` flags that change which kernels the runtimes pick:
# float32 vectors (avx2, fma, avx512f), bfloat16 dot products in vector
# registers (avx512_bf16) or matrix tiles (amx_bf16), int8 dot products
# (avx512_vnni, amx_int8). Without the bfloat16 ones, bfloat16 is converted
# to float32 and back around every kernel.
FEATURES = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8")


def features():
    """`{feature: present}` for `FEATURES`; empty where `/proc/cpuinfo` is absent."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line.split(":", 1)[1].split() for line in f if line.startswith("flags"))
    except (OSError, StopIteration):
        return {}
    return {feature: feature in flags for feature in FEATURES}


def name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def describe():
    """The CPU's name, core count and which of `FEATURES` it has, on one line."""
    found = features()
    description = f"{name()}, {os.cpu_count()} cores"
    if found:
        has = " ".join(f for f, present in found.items() if present) or "none"
        lacks = " ".join(f for f, present in found.items() if not present) or "none"
        description += f"; has {has}; lacks {lacks}"
    return description
