"""Interleaved timing of several contenders in one process.

Each round runs every contender's steps once, in turn, so that noise from
the machine (another process, a frequency change) falls on all of them alike;
the figures are medians over the rounds.

    >>> seconds = interleaved_seconds({"a": lambda: None, "b": lambda: None}, rounds=3, steps=2)
    >>> sorted(images_per_second(seconds, batch_size=8, steps=2))
    ['a', 'b']
"""

import time

import numpy as np


def interleaved_seconds(calls, rounds, steps):
    """`{name: [seconds of each round]}`: `steps` calls of each of `calls`
    (`{name: function of no argument}`) per round, the names in turn."""
    seconds = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(steps):
                call()
            seconds[name].append(time.perf_counter() - start)
    return seconds


def images_per_second(seconds, batch_size, steps):
    """`{name: median images/s}` of `interleaved_seconds`' rounds."""
    return {name: batch_size * steps / float(np.median(times)) for name, times in seconds.items()}
