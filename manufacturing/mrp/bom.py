"""Bill-of-materials structure: cycle detection and low-level codes (NumPy only, no Django).

Items are integer indices ``0..n-1``. A BOM edge ``k`` says that one unit of item ``parent[k]``
consumes ``qty_per[k] × (1 + scrap_pct[k] / 100)`` units of item ``component[k]``; only the
parent/component arrays matter here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class CycleError(ValueError):
    """The BOM contains a cycle; ``cycle`` is the path of labels, first label repeated last
    (``["A", "B", "C", "A"]`` reads ``A → B → C → A``: A contains B, B contains C, C contains A).
    """

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("BOM cycle: " + " → ".join(cycle))


def _labels_for(n_items: int, labels: Sequence[str] | None) -> Sequence[str]:
    return [str(i) for i in range(n_items)] if labels is None else labels


def _peel_levels(
    n_items: int, parent: np.ndarray, component: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Kahn's topological sort one whole level at a time.

    Returns ``(level, done)``: ``level[i]`` is the longest path (in edges) from any item without
    parents down to ``i``, i.e. the low-level code; ``done[i]`` is False for items on a cycle or
    below one (their level is meaningless).
    """
    # An item becomes ready in the pass after its last parent was processed, so the pass number
    # is max(parent level) + 1: exactly the low-level code, with no per-node recursion.
    parents_left = np.bincount(component, minlength=n_items)
    level = np.zeros(n_items, dtype=np.int64)
    done = np.zeros(n_items, dtype=bool)
    frontier = parents_left == 0
    depth = 0
    while frontier.any():
        done |= frontier
        level[frontier] = depth
        edges_out = frontier[parent]
        parents_left -= np.bincount(component[edges_out], minlength=n_items)
        frontier = (parents_left == 0) & ~done
        depth += 1
    return level, done


def find_cycle(
    parent: np.ndarray,
    component: np.ndarray,
    labels: Sequence[str],
) -> list[str] | None:
    """Find one cycle in the BOM graph (edges parent → component).

    Inputs: edge arrays ``parent`` and ``component`` (int item indices) and ``labels`` (one
    per item, e.g. SKU codes; ``len(labels)`` is the number of items).
    Output: None when the BOM is acyclic, else the cycle as labels with the first repeated at
    the end, e.g. ``["A", "B", "C", "A"]`` (A → B → C → A), starting at the lowest item index.
    """
    n_items = len(labels)
    parent = np.asarray(parent, dtype=np.int64)
    component = np.asarray(component, dtype=np.int64)
    _, done = _peel_levels(n_items, parent, component)
    if done.all():
        return None
    # Drop edges touching acyclic items, then repeatedly drop items with no child left: what
    # stays has a successor inside the set, so following successors must close a cycle.
    alive = ~done
    while True:
        keep = alive[parent] & alive[component]
        has_child = np.zeros(n_items, dtype=bool)
        has_child[parent[keep]] = True
        still = alive & has_child
        if (still == alive).all():
            break
        alive = still
    keep = alive[parent] & alive[component]
    successor = np.full(n_items, -1, dtype=np.int64)
    successor[parent[keep]] = component[keep]
    node = int(np.flatnonzero(alive)[0])
    seen: dict[int, int] = {}
    path: list[int] = []
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = int(successor[node])
    cycle = path[seen[node] :]
    start = cycle.index(min(cycle))  # a stable starting point for messages and tests
    cycle = cycle[start:] + cycle[:start]
    return [labels[i] for i in [*cycle, cycle[0]]]


def low_level_codes(
    n_items: int,
    parent: np.ndarray,
    component: np.ndarray,
    labels: Sequence[str] | None = None,
) -> np.ndarray:
    """Low-level code of every item: 0 for items that are no one's component, else
    ``max(LLC of its parents) + 1``.

    Inputs: ``n_items``; edge arrays ``parent``, ``component`` (int item indices); optional
    ``labels`` (one per item) used in the error. Output: int64 array of shape ``(n_items,)``.
    Raises ``CycleError`` (with the cycle path) when the BOM is cyclic.
    """
    parent = np.asarray(parent, dtype=np.int64)
    component = np.asarray(component, dtype=np.int64)
    level, done = _peel_levels(n_items, parent, component)
    if not done.all():
        cycle = find_cycle(parent, component, _labels_for(n_items, labels))
        assert cycle is not None
        raise CycleError(cycle)
    return level
