"""The progress bar of the operator commands: the same ``progress(percent, message)`` callback
the services give a Job, drawn with tqdm on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(*, disable: bool = False) -> Iterator[Callable[..., None]]:
    """Yield ``progress(percent, message="")`` (percent 0–100, never backwards); the bar is
    closed however the block ends."""
    bar = tqdm(total=100, unit="%", disable=disable, file=sys.stderr)

    def progress(percent: int, message: str = "") -> None:
        if message:
            bar.set_description(message)
        bar.update(max(0, min(100, int(percent)) - bar.n))

    try:
        yield progress
    finally:
        bar.close()
