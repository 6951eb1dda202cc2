"""What closing one link cuts off: bridges of the network graph, in one pass.

A link is a **bridge** when removing it splits the network. Closing a bridge cuts off the
side that holds no source (reservoir or tank): every junction there is unserved, whatever
a solver reports for it (EPANET's pressure-driven demand still shows about a tenth of the
demand of a junction cut off from every source as delivered). Closing any other link cuts
nothing off: the water finds another way, or not enough of it, which only a hydraulic
simulation tells.

Without sources (an inventory without a hydraulic model), closing a bridge cuts off the
*smaller* side, measured by a weight (length of mains, demand).

The analysis runs in time proportional to the size of the network (networkx bridges, then a
tree of the 2-edge-connected pieces): the junctions cut off by each bridge are a contiguous
slice of one node ordering (``CutOff.nodes_of``), so no list of nodes is kept per bridge.

>>> cut = cut_off([0, 1, 2], [1, 2, 3], n_nodes=4, sources=[0])
>>> cut.bridge.tolist(), sorted(cut.nodes_of(2).tolist())
([True, True, True], [3])
>>> cut.weight_cut(np.array([0.0, 1.0, 1.0, 1.0])).tolist()
[3.0, 2.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx
import numpy as np


@dataclass
class CutOff:
    """Per link: whether it is a bridge and which nodes its closure cuts off.

    Attributes
    ----------
    bridge : ndarray of bool (links,)
        The link is a bridge of the open network.
    order : ndarray of int (nodes,)
        A permutation of the nodes; the nodes cut off by link ``k`` are
        ``order[start[k]:stop[k]]`` (empty for links that are not bridges).
    start, stop : ndarray of int (links,)
    unfed : ndarray of bool (nodes,)
        Nodes without any path to a source with every link open (already unserved).
    """

    bridge: np.ndarray
    order: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    unfed: np.ndarray

    def nodes_of(self, link: int) -> np.ndarray:
        """Nodes cut off by closing ``link``."""
        return self.order[self.start[link] : self.stop[link]]

    def weight_cut(self, weight: np.ndarray) -> np.ndarray:
        """Per link, the sum of ``weight`` (per node) over the nodes its closure cuts off."""
        cumulative = np.concatenate([[0.0], np.cumsum(np.asarray(weight, dtype=float)[self.order])])
        return cumulative[self.stop] - cumulative[self.start]


def cut_off(
    node_a,
    node_b,
    *,
    n_nodes: int,
    sources=None,
    open_links=None,
    side_weight=None,
) -> CutOff:
    """Bridges of the network of links ``node_a[k] - node_b[k]`` and what each cuts off.

    Parameters
    ----------
    node_a, node_b : array of int (links,)
        End nodes of each link, numbered 0 .. n_nodes - 1.
    n_nodes : int
    sources : array of int, optional
        Source nodes (reservoirs, tanks). Closing a bridge cuts off the side without one.
        Without sources, the side with the smaller ``side_weight`` is cut off.
    open_links : array of bool (links,), optional
        Links open in the model; closed ones are not part of the network. All by default.
    side_weight : array of float (nodes,), optional
        Without sources: the weight deciding which side is smaller (node count by default).
    """
    a = np.asarray(node_a, dtype=np.int64)
    b = np.asarray(node_b, dtype=np.int64)
    n_links = len(a)
    is_open = np.ones(n_links, bool) if open_links is None else np.asarray(open_links, bool)
    virtual = n_nodes  # joins every source, so that a link between two sources is no bridge
    graph = nx.Graph()
    graph.add_nodes_from(range(n_nodes + 1))
    multiplicity: dict[tuple[int, int], int] = {}
    for u, v in zip(a[is_open].tolist(), b[is_open].tolist(), strict=True):
        if u == v:
            continue
        key = (u, v) if u < v else (v, u)
        multiplicity[key] = multiplicity.get(key, 0) + 1
    graph.add_edges_from(multiplicity)
    has_sources = sources is not None and len(sources) > 0
    if has_sources:
        graph.add_edges_from((virtual, int(s)) for s in sources)
    bridges = {
        (u, v) if u < v else (v, u)
        for u, v in nx.bridges(graph)
        if virtual not in (u, v) and multiplicity.get((min(u, v), max(u, v)), 0) == 1
    }

    # Pieces that stay connected whatever single link closes (2-edge-connected), and the
    # tree the bridges make of them.
    pieces = graph.copy()
    pieces.remove_edges_from(bridges)
    piece = np.empty(n_nodes + 1, dtype=np.int64)
    for i, members in enumerate(nx.connected_components(pieces)):
        piece[list(members)] = i
    n_pieces = int(piece.max()) + 1
    tree: list[list[int]] = [[] for _ in range(n_pieces)]
    for u, v in bridges:
        tree[piece[u]].append(piece[v])
        tree[piece[v]].append(piece[u])

    node_weight = np.ones(n_nodes) if side_weight is None else np.asarray(side_weight, float)
    piece_weight = np.bincount(piece[:n_nodes], node_weight, minlength=n_pieces)
    if has_sources:
        roots = [int(piece[virtual])]
    else:
        # Rooted at its weighted centroid, every subtree of a tree holds at most half of
        # the weight: the side a bridge cuts off is then always its child's subtree.
        first, _, parent, subtree = _euler_tour(tree, piece_weight, [])
        roots = _centroids(tree, first, parent, subtree)
    enter, leave, parent, _ = _euler_tour(tree, piece_weight, roots)

    # Nodes ordered by the entry time of their piece: a subtree is a contiguous slice.
    node_enter = enter[piece[:n_nodes]]
    order = np.argsort(node_enter, kind="stable")
    sorted_enter = node_enter[order]
    start = np.zeros(n_links, dtype=np.int64)
    stop = np.zeros(n_links, dtype=np.int64)
    bridge = np.zeros(n_links, dtype=bool)
    for k in np.flatnonzero(is_open):
        u, v = int(a[k]), int(b[k])
        if (min(u, v), max(u, v)) not in bridges:
            continue
        bridge[k] = True
        pu, pv = piece[u], piece[v]
        child = pv if parent[pv] == pu else pu
        start[k] = np.searchsorted(sorted_enter, enter[child], side="left")
        stop[k] = np.searchsorted(sorted_enter, leave[child], side="right")
    if has_sources:
        unfed = ~_reached(tree, int(piece[virtual]), n_pieces)[piece[:n_nodes]]
    else:
        unfed = np.zeros(n_nodes, dtype=bool)
    return CutOff(bridge=bridge, order=order, start=start, stop=stop, unfed=unfed)


def _euler_tour(tree, piece_weight, roots):
    """Entry and exit times, parent and subtree weight of each piece (iterative DFS)."""
    n = len(tree)
    enter = np.full(n, -1, dtype=np.int64)
    leave = np.full(n, -1, dtype=np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    subtree = piece_weight.astype(float).copy()
    seen = np.zeros(n, dtype=bool)
    clock = 0
    first_roots = set(roots)
    ordered_roots = list(roots) + [i for i in range(n) if i not in first_roots]
    for root in ordered_roots:
        if seen[root]:
            continue
        enter[root] = clock
        for event, v, w in depth_first(tree, root, seen):
            if event == "tree":
                parent[w] = v
                clock += 1
                enter[w] = clock
            elif event == "done":
                leave[v] = clock
                if w >= 0:
                    subtree[w] += subtree[v]
        clock += 1
    return enter, leave, parent, subtree


def depth_first(adjacency, root: int, seen: np.ndarray) -> Iterator[tuple[str, int, int]]:
    """Walk a graph depth first from ``root``, without recursion.

    ``adjacency`` lists the neighbours of each vertex, visited in that order; ``seen`` (a
    boolean per vertex) marks the vertices reached, is updated, and is not walked again, so
    that walks from several roots can share it. Yields, in the order of the walk,
    ``("tree", v, w)`` when ``w`` is first reached from ``v``, ``("seen", v, w)`` for an
    edge from ``v`` to a vertex reached before, and ``("done", v, p)`` once every vertex
    reached from ``v`` is done (``p`` the vertex ``v`` was reached from, -1 for ``root``).

    >>> for step in depth_first([[1, 2], [0], [0]], 0, np.zeros(3, dtype=bool)):
    ...     print(*step)
    tree 0 1
    seen 1 0
    done 1 0
    tree 0 2
    seen 2 0
    done 2 0
    done 0 -1
    """
    seen[root] = True
    stack = [(root, 0)]
    while stack:
        v, i = stack[-1]
        if i < len(adjacency[v]):
            stack[-1] = (v, i + 1)
            w = adjacency[v][i]
            if seen[w]:
                yield "seen", v, w
            else:
                seen[w] = True
                stack.append((w, 0))
                yield "tree", v, w
        else:
            stack.pop()
            yield "done", v, stack[-1][0] if stack else -1


def _centroids(tree, enter, parent, subtree) -> list[int]:
    """The weighted centroid of each tree of the forest (``enter``, ``parent`` and
    ``subtree`` from any rooted traversal): the piece whose removal leaves parts of at most
    half the weight."""
    n = len(tree)
    root = np.arange(n)
    for i in np.argsort(enter, kind="stable"):  # parents before children
        if parent[i] >= 0:
            root[i] = root[parent[i]]
    total = subtree[root]
    heaviest_child = np.zeros(n)
    for i in range(n):
        if parent[i] >= 0:
            heaviest_child[parent[i]] = max(heaviest_child[parent[i]], subtree[i])
    worst = np.maximum(heaviest_child, total - subtree)
    best: dict[int, int] = {}
    for i in range(n):
        r = int(root[i])
        if r not in best or worst[i] < worst[best[r]]:
            best[r] = i
    return [best[r] for r in sorted(best)]


def _reached(tree, root: int, n: int) -> np.ndarray:
    reached = np.zeros(n, dtype=bool)
    reached[root] = True
    stack = [root]
    while stack:
        node = stack.pop()
        for nxt in tree[node]:
            if not reached[nxt]:
                reached[nxt] = True
                stack.append(nxt)
    return reached
