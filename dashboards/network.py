"""The partnership network view: a seeded layout, updated incrementally, and its drawing.

A fresh spring layout every month would make charities jump about and cost
O(n^2 x iterations) each step. Instead the layout is computed once (seeded)
when a run starts; afterwards new charities are placed beside their partners
and, only when the ties change, the whole layout relaxes for a few
iterations from where it is.
"""

from __future__ import annotations

import io

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

LAYERS: tuple[str, ...] = ("managerial", "frontline")

#: Ties weaker than this are not drawn (they are still in the data).
MIN_DRAWN_STRENGTH = 0.02

_PALETTE = [  # tab20 without its greys, so grey can mean "no partnership"
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5",
]
NO_PARTNERSHIP = "#b0b0b0"
CLOSED = "#d0d0d0"


def partnership_colour(partnership_id: int) -> str:
    """A stable colour per partnership; grey for charities in none."""
    return NO_PARTNERSHIP if partnership_id < 0 else _PALETTE[int(partnership_id) % len(_PALETTE)]


class NetworkLayout:
    """Positions of organisations, kept from month to month.

    Args:
        seed: seeds the first layout and the placement of newcomers.
        first_iterations: iterations of the first (full) spring layout.
        relax_iterations: iterations when ties change afterwards.
        step: share of the way each charity moves towards its relaxed position in one month
            (damped, so the picture changes smoothly rather than jumping).
    """

    def __init__(self, seed: int = 0, first_iterations: int = 60, relax_iterations: int = 20, step: float = 0.6):
        self.seed = seed
        self.step = step
        self.first_iterations = first_iterations
        self.relax_iterations = relax_iterations
        self.rng = np.random.default_rng(seed)
        self.pos: dict[int, np.ndarray] = {}
        self._signature: tuple | None = None
        self._isolated: set[int] = set()
        self.full_layouts = 0  # how many full layouts were computed (one per run)
        self.relaxations = 0

    def graph(self, nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.Graph:
        """Ties of either layer, plus weak links that pull a partnership's members together."""
        g = nx.Graph()
        g.add_nodes_from(int(i) for i in nodes["org_id"])
        if len(edges):
            strength = np.maximum(edges["managerial"].to_numpy(float), edges["frontline"].to_numpy(float))
            for s, t, w in zip(edges["source"].to_numpy(), edges["target"].to_numpy(), strength):
                if w > MIN_DRAWN_STRENGTH:
                    g.add_edge(int(s), int(t), weight=float(w))
        members = nodes[(nodes["partnership_id"] >= 0) & nodes["active"].astype(bool)]
        for _, group in members.groupby("partnership_id"):
            ids = [int(i) for i in group["org_id"]]
            for other in ids[1:]:
                if not g.has_edge(ids[0], other):
                    g.add_edge(ids[0], other, weight=0.5)
        return g

    def update(self, nodes: pd.DataFrame, edges: pd.DataFrame) -> dict[int, np.ndarray]:
        """Positions for this month's network (computed once, then adjusted)."""
        g = self.graph(nodes, edges)
        n = max(g.number_of_nodes(), 1)
        k = 1.5 / np.sqrt(n)  # spread that keeps a few hundred charities legible
        if not self.pos:
            init = {v: self.rng.uniform(-1, 1, 2) for v in g.nodes}
            self.pos = nx.spring_layout(g, pos=init, k=k, iterations=self.first_iterations, seed=self.seed)
            self.full_layouts += 1
            self._signature = self._sign(g)
            self._isolated = {v for v in g.nodes if g.degree(v) == 0}
            return self.pos
        # a newcomer, or a charity making its first tie, moves beside its partners rather than
        # drawing long lines from the rim, where the unconnected charities sit
        joining = [v for v in g.nodes if v not in self.pos or (v in self._isolated and g.degree(v) > 0)]
        for v in joining:
            near = [self.pos[u] for u in g.neighbors(v) if u in self.pos and u not in joining]
            centre = np.mean(near, axis=0) if near else self.pos.get(v, self.rng.uniform(-1, 1, 2))
            self.pos[v] = centre + self.rng.normal(0, 0.05, 2)
        self._isolated = {v for v in g.nodes if g.degree(v) == 0}
        signature = self._sign(g)
        if signature != self._signature:
            relaxed = nx.spring_layout(g, pos={v: self.pos[v] for v in g.nodes}, k=k,
                                       iterations=self.relax_iterations, seed=self.seed)
            for v, target in relaxed.items():
                self.pos[v] = self.pos[v] + self.step * (target - self.pos[v])
            self.relaxations += 1
            self._signature = signature
        return self.pos

    @staticmethod
    def _sign(g: nx.Graph) -> tuple:
        return (g.number_of_nodes(), frozenset(map(frozenset, g.edges())))


def draw_network(nodes: pd.DataFrame, edges: pd.DataFrame, pos: dict[int, np.ndarray], layer: str,
                 month: int, figsize: tuple[float, float] = (6.4, 5.2)) -> Figure:
    """Charities coloured by partnership, ties as lines whose width is the tie's strength in ``layer``.

    Closed charities are hollow grey circles; commissioners are black squares.
    """
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}")
    fig = Figure(figsize=figsize, dpi=100)
    ax = fig.add_axes((0.01, 0.09, 0.98, 0.85))
    ax.set_axis_off()
    ids = nodes["org_id"].to_numpy()
    xy = np.array([pos.get(int(i), (0.0, 0.0)) for i in ids]).reshape(-1, 2)
    index = {int(i): j for j, i in enumerate(ids)}
    if len(edges):
        strength = edges[layer].to_numpy(float)
        keep = strength > MIN_DRAWN_STRENGTH
        segs, widths = [], []
        for s, t, w in zip(edges["source"].to_numpy()[keep], edges["target"].to_numpy()[keep], strength[keep]):
            if int(s) in index and int(t) in index:
                segs.append((xy[index[int(s)]], xy[index[int(t)]]))
                widths.append(0.3 + 3.2 * w)
        if segs:
            ax.add_collection(LineCollection(segs, linewidths=widths, colors="#4a5568", alpha=0.45, zorder=1))
    kind = nodes["kind"].astype(str).to_numpy()
    active = nodes["active"].astype(bool).to_numpy()
    income = nodes["income"].to_numpy(float) if "income" in nodes else np.ones(len(nodes))
    size = 18 + 10 * np.clip(np.log10(np.maximum(income, 1.0)) - 3.5, 0, 6)
    charity = kind == "charity"
    live = charity & active
    colours = [partnership_colour(p) for p in nodes["partnership_id"].to_numpy()[live]]
    ax.scatter(xy[live, 0], xy[live, 1], s=size[live], c=colours, edgecolors="white", linewidths=0.4, zorder=3)
    closed = charity & ~active
    if closed.any():
        ax.scatter(xy[closed, 0], xy[closed, 1], s=size[closed], facecolors="none", edgecolors="#9a9a9a",
                   linewidths=0.8, zorder=2)
    funders = kind != "charity"
    if funders.any():
        ax.scatter(xy[funders, 0], xy[funders, 1], s=70, marker="s", c="#111111", zorder=4)
    partnered = int((nodes["partnership_id"].to_numpy()[live] >= 0).sum())
    ax.set_title(f"{layer.capitalize()} relationships, month {month}: {int(live.sum())} charities operating, "
                 f"{partnered} in partnerships, {int(closed.sum())} closed", fontsize=9)
    handles = [
        Line2D([], [], marker="o", ls="", color=_PALETTE[0], label="in a partnership (one colour each)"),
        Line2D([], [], marker="o", ls="", color=NO_PARTNERSHIP, label="no partnership"),
        Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor="#9a9a9a", label="closed"),
        Line2D([], [], color="#4a5568", lw=2.5, label="thicker line = stronger tie"),
    ]
    if funders.any():
        handles.append(Line2D([], [], marker="s", ls="", color="#111111", label="commissioner"))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=7, frameon=False)
    if len(xy):
        pad = 0.08
        ax.set_xlim(xy[:, 0].min() - pad, xy[:, 0].max() + pad)
        ax.set_ylim(xy[:, 1].min() - pad, xy[:, 1].max() + pad)
    return fig


#: Resolution of figures on the page, and of exported PNGs.
SCREEN_DPI, EXPORT_DPI = 80, 120


def figure_png(fig: Figure, dpi: int = EXPORT_DPI) -> bytes:
    """A figure as PNG bytes (the page draws at SCREEN_DPI, exports at EXPORT_DPI)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
