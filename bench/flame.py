"""Summarise a py-spy collapsed-stack file: where the samples are, by function.

    .venv/bin/python -m bench.flame /tmp/serve.txt [--top 30] [--match services/]

Prints the functions with the most samples inclusive (anywhere on the stack) and exclusive
(on top of the stack), so a profile can be read without a browser.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

# Leaf frames of threads that wait rather than work (py-spy --nonblocking counts them too).
IDLE = (
    "EpollSelector.select",
    "aiosqlite/core.py:59)",
    "concurrent/futures/thread.py:81)",
    "Condition.wait",
    "_write_to_self",
    "_read_from_self",
)


def summarise(path: Path, match: str | None) -> tuple[int, Counter[str], Counter[str]]:
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        if stack.rsplit(";", 1)[-1].startswith(IDLE) or any(
            i in stack.rsplit(";", 1)[-1] for i in IDLE
        ):
            continue
        total += n
        frames = [f for f in stack.split(";") if not match or match in f]
        for frame in set(frames):
            inclusive[frame] += n
        if frames:
            exclusive[frames[-1]] += n
    return total, inclusive, exclusive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default=None, help="keep only frames containing this")
    args = parser.parse_args()
    total, inclusive, exclusive = summarise(args.path, args.match)
    for title, counts in (("inclusive", inclusive), ("exclusive", exclusive)):
        print(f"== {title} ({total} busy samples)")
        for frame, n in counts.most_common(args.top):
            print(f"{100 * n / total:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
