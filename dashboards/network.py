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


# ------------------------------------------------------- the interactive view

BAND_NAMES = ("under £10k a year", "£10k-£500k a year", "£500k-£10m a year", "over £10m a year")

#: Tie changes between two months worth marking (strength units, 0-1).
FORMED, DAMAGED = "formed", "damaged"
CHANGE_COLOURS = {"formed": "#2f855a", "broken": "#c53030", "damaged": "#dd6b20"}
DAMAGE_DROP = 0.05  # a fall in one month this large is damage (defection), not ordinary decay


def _iter_contracts(model) -> list:
    contracts = getattr(model, "contracts", [])
    contracts = contracts.values() if isinstance(contracts, dict) else contracts
    return [c for c in contracts if getattr(c, "active", True)]


def partnership_groups(model) -> list:
    """Active partnerships of two or more charities (what ``partnerships_active`` counts)."""
    return [p for p in model.partnerships if getattr(p, "active", True) and len(p.members) >= 2]


def place_name(model, place: int) -> str:
    prisons = set(int(i) for i in getattr(model, "prisons", []))
    return f"Prison {sorted(prisons).index(place) + 1}" if place in prisons else f"Place {place + 1}"


def charity_card(model, org_id: int) -> dict:
    """What a commissioner wants to know about one charity, from the model's public state."""
    s = model.sector
    i = int(org_id)
    domains = list(getattr(model, "domains", []))
    specialisms = [domains[d].replace("_", " ") for d in np.flatnonzero(s.specialisms[i])] if domains else []
    places = [place_name(model, int(p)) for p in np.flatnonzero(s.presence[i])]
    groups = [p for p in partnership_groups(model) if i in p.members]
    partnerships = [f"Partnership {p.pid} ({len(p.members)} charities, {'lead' if p.lead == i else 'partner'}"
                    f"{', ' + p.form.replace('_', ' ') if getattr(p, 'form', '') else ''})" for p in groups]
    contracts = []
    for c in _iter_contracts(model):
        holder = getattr(c, "holder", None)
        share = getattr(c, "shares", {}).get(i)
        if share is None and not (holder is not None and i in holder.members):
            continue
        who = getattr(c.commissioner, "spec", None)
        name = who.name if who is not None else "a commissioner"
        kind = "grant" if getattr(c.commissioner, "grant", False) else "contract"
        amount = f"£{share:,.0f} a month to this charity" if share else "no share of the money"
        contracts.append(f"{name} {kind} (months {c.start}-{c.end}; {amount})")
    band = int(s.band[i])
    return {
        "org_id": i,
        "name": f"Charity {i}",
        "operating": bool(s.alive[i]),
        "size": BAND_NAMES[band] if 0 <= band < len(BAND_NAMES) else "unknown",
        "specialisms": specialisms,
        "places": places,
        "partnerships": partnerships,
        "contracts": contracts,
        "reserves": float(s.reserves[i]),
        "income": float(s.income[i]),
    }


def card_lines(card: dict) -> list[tuple[str, str]]:
    """The card as (heading, text) rows for the page and the hover label."""
    return [
        ("Status", "operating" if card["operating"] else "closed"),
        ("Size", card["size"]),
        ("Specialisms", ", ".join(card["specialisms"]) or "none"),
        ("Places", ", ".join(card["places"]) or "none"),
        ("Partnerships", "; ".join(card["partnerships"]) or "none"),
        ("Contracts and grants", "; ".join(card["contracts"]) or "none"),
        ("Reserves", f"£{card['reserves']:,.0f}"),
        ("Income this month", f"£{card['income']:,.0f}"),
    ]


def tie_changes(previous: pd.DataFrame | None, edges: pd.DataFrame, layer: str) -> pd.DataFrame:
    """Ties formed, broken or damaged in ``layer`` since the previous month.

    Returns rows of source, target, change ("formed", "broken", "damaged") and the strengths before and after.
    """
    cols = ["source", "target", "change", "before", "after"]
    if previous is None or layer not in edges:
        return pd.DataFrame(columns=cols)

    def strengths(frame: pd.DataFrame) -> dict[tuple[int, int], float]:
        if frame is None or not len(frame):
            return {}
        return {(int(min(a, b)), int(max(a, b))): float(w) for a, b, w in
                zip(frame["source"], frame["target"], frame[layer])}

    before, after = strengths(previous), strengths(edges)
    rows = []
    for pair in set(before) | set(after):
        b, a = before.get(pair, 0.0), after.get(pair, 0.0)
        if b <= MIN_DRAWN_STRENGTH < a:
            rows.append((*pair, "formed", b, a))
        elif a <= MIN_DRAWN_STRENGTH < b:
            rows.append((*pair, "broken", b, a))
        elif b - a >= DAMAGE_DROP:
            rows.append((*pair, "damaged", b, a))
    return pd.DataFrame(rows, columns=cols)


def commissioner_positions(names: list[str], pos: dict[int, np.ndarray]) -> dict[str, np.ndarray]:
    """Commissioners on a row above the charities, evenly spread (stable across months)."""
    if pos:
        xy = np.array(list(pos.values()))
        top, left, right = xy[:, 1].max(), xy[:, 0].min(), xy[:, 0].max()
    else:
        top, left, right = 1.0, -1.0, 1.0
    n = len(names)
    xs = np.linspace(left, right, n + 2)[1:-1] if n else []
    return {name: np.array([x, top + 0.35]) for name, x in zip(names, xs)}


def group_positions(xy: dict[int, np.ndarray], groups: list) -> dict[int, np.ndarray]:
    """Display positions: each partnership's members on a ring around the group's centre in the layout.

    The layout pulls partners close together, which makes a partnership of seven a single blob; spread on a
    ring (in member order, so nobody jumps between months) every member can be seen, hovered and clicked.
    A charity in several partnerships sits with its first.
    """
    out = dict(xy)
    placed: set[int] = set()
    for p in groups:
        members = [int(m) for m in p.members if int(m) in xy and int(m) not in placed]
        if len(members) < 2:
            continue
        centre = np.mean([xy[m] for m in members], axis=0)
        radius = 0.06 + 0.025 * len(members)
        for k, m in enumerate(sorted(members)):
            angle = 2 * np.pi * k / len(members)
            out[m] = centre + radius * np.array([np.cos(angle), np.sin(angle)])
        placed.update(members)
    return out


def _circle(centre: np.ndarray, radius: float, n: int = 40) -> tuple[list[float], list[float]]:
    t = np.linspace(0, 2 * np.pi, n)
    return list(centre[0] + radius * np.cos(t)), list(centre[1] + radius * np.sin(t))


def network_figure(model, pos: dict[int, np.ndarray], layer: str, month: int,
                   previous_edges: pd.DataFrame | None = None, snapshot: dict | None = None,
                   height: int = 560):
    """The partnership network as an interactive Plotly figure.

    Returns ``(figure, points)``: ``points[(trace, point)]`` is the charity id behind each clickable marker,
    so a click on the page opens that charity's card.
    """
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}")
    snap = snapshot or model.network_snapshot()
    nodes, edges = snap["nodes"], snap["edges"]
    fig = _Spec()
    points: dict[tuple[int, int], int] = {}
    xy = group_positions({int(i): pos.get(int(i), np.zeros(2)) for i in nodes["org_id"]}, partnership_groups(model))

    # partnerships as groups: a shaded circle around each partnership's members
    groups = partnership_groups(model)
    for p in groups:
        members = [m for m in p.members if m in xy]
        if not members:
            continue
        pts = np.array([xy[m] for m in members])
        centre = pts.mean(axis=0)
        radius = float(np.max(np.linalg.norm(pts - centre, axis=1))) + 0.06
        cx, cy = _circle(centre, radius)
        colour = partnership_colour(p.pid)
        fig.add_trace(_scatter(x=cx, y=cy, mode="lines", fill="toself", fillcolor=_rgba(colour, 0.15),
                                 line=dict(color=colour, width=1.5), hoverinfo="text",
                                 text=f"Partnership {p.pid}: {len(members)} charities, lead Charity {p.lead}",
                                 name=f"Partnership {p.pid} ({len(members)} charities)", legendgroup="partnerships",
                                 legendgrouptitle_text="Partnerships" if p is groups[0] else None))

    # ties in the chosen layer, in three width classes
    if len(edges):
        strength = edges[layer].to_numpy(float)
        # thin and light: a partnership of sixteen has 120 ties, which must not hide its members
        for lo, hi, width, name in ((MIN_DRAWN_STRENGTH, 0.2, 0.6, "weak tie (under 0.2)"),
                                    (0.2, 0.5, 1.4, "moderate tie (0.2-0.5)"), (0.5, 1.01, 2.6, "strong tie (0.5 or more)")):
            keep = (strength > lo) & (strength <= hi)
            x, y = [], []
            for s, t in zip(edges["source"].to_numpy()[keep], edges["target"].to_numpy()[keep]):
                if int(s) in xy and int(t) in xy:
                    x += [xy[int(s)][0], xy[int(t)][0], None]
                    y += [xy[int(s)][1], xy[int(t)][1], None]
            fig.add_trace(_scatter(x=x, y=y, mode="lines", line=dict(color="#4a5568", width=width),
                                     opacity=0.3, hoverinfo="skip", name=name, legendgroup="ties",
                                     legendgrouptitle_text=f"{layer.capitalize()} ties" if width < 1 else None))

    # ties that changed since the last month
    changes = tie_changes(previous_edges, edges, layer)
    for change, dash, text in (("formed", "solid", "tie formed this month"), ("broken", "dot", "tie broken this month"),
                               ("damaged", "dash", "tie damaged this month")):
        part = changes[changes["change"] == change] if len(changes) else changes
        x, y = [], []
        for s, t in zip(part["source"], part["target"]):
            if int(s) in xy and int(t) in xy:
                x += [xy[int(s)][0], xy[int(t)][0], None]
                y += [xy[int(s)][1], xy[int(t)][1], None]
        fig.add_trace(_scatter(x=x or [None], y=y or [None], mode="lines", hoverinfo="skip",
                                 line=dict(color=CHANGE_COLOURS[change], width=3, dash=dash),
                                 name=f"{text} ({len(part)})", legendgroup="changes",
                                 legendgrouptitle_text="Since last month" if change == "formed" else None))

    # commissioners, with lines to the lead of each partnership holding their contracts
    commissioners = list(getattr(model, "commissioners", []))
    names = [c.spec.name for c in commissioners]
    cpos = commissioner_positions(names, pos)
    contracts = _iter_contracts(model)
    x, y = [], []
    held: dict[str, list[str]] = {n: [] for n in names}
    for c in contracts:
        name = c.commissioner.spec.name
        holder = c.holder
        lead = getattr(holder, "lead", None)
        if name in cpos and lead is not None and int(lead) in xy:
            x += [cpos[name][0], xy[int(lead)][0], None]
            y += [cpos[name][1], xy[int(lead)][1], None]
        members = len(getattr(holder, "members", []))
        held.setdefault(name, []).append(f"{'grant' if c.commissioner.grant else 'contract'} held by Charity {lead}"
                                         f"{f' and {members - 1} partners' if members > 1 else ''}, to month {c.end}")
    fig.add_trace(_scatter(x=x or [None], y=y or [None], mode="lines", hoverinfo="skip", name="contract or grant",
                             line=dict(color="#1a202c", width=1.2, dash="dot"), legendgroup="commissioners",
                             legendgrouptitle_text="Commissioners"))
    if names:
        fig.add_trace(_scatter(
            x=[cpos[n][0] for n in names], y=[cpos[n][1] for n in names], mode="markers+text",
            marker=dict(symbol="square", size=16, color="#1a202c"), text=names, textposition="top center",
            textfont=dict(size=12), name="commissioner", legendgroup="commissioners", hoverinfo="text",
            hovertext=[f"<b>{n}</b> ({c.spec.kind.replace('_', ' ')}, {'grants' if c.grant else 'contracts'})<br>"
                       + ("<br>".join(held.get(n, [])) or "holds no contract or grant now")
                       for n, c in zip(names, commissioners)]))

    # charities: one trace per status so the legend reads; each marker is clickable
    kind = nodes["kind"].astype(str).to_numpy()
    active = nodes["active"].astype(bool).to_numpy()
    pid = nodes["partnership_id"].to_numpy()
    income = nodes["income"].to_numpy(float) if "income" in nodes else np.ones(len(nodes))
    size = 8 + 3 * np.clip(np.log10(np.maximum(income, 1.0)) - 3.0, 0, 6)
    ids = nodes["org_id"].to_numpy()
    bands = nodes["band"].to_numpy() if "band" in nodes else np.zeros(len(nodes), int)
    for label_text, mask, style in (
            ("in a partnership", (kind == "charity") & active & (pid >= 0), "partner"),
            ("no partnership", (kind == "charity") & active & (pid < 0), "alone"),
            ("closed", (kind == "charity") & ~active, "closed")):
        sel = np.flatnonzero(mask)
        trace_index = len(fig.data)
        for j, k in enumerate(sel):
            points[(trace_index, j)] = int(ids[k])
        colours = [partnership_colour(int(pid[k])) for k in sel] if style == "partner" else (
            NO_PARTNERSHIP if style == "alone" else "rgba(0,0,0,0)")
        hover = [f"<b>Charity {int(ids[k])}</b><br>{BAND_NAMES[int(bands[k])] if 0 <= int(bands[k]) < 4 else ''}<br>"
                 f"{'partnership ' + str(int(pid[k])) if pid[k] >= 0 else 'no partnership'}"
                 f"{'' if active[k] else ' (closed)'}<br><i>click for its card</i>" for k in sel]
        fig.add_trace(_scatter(
            x=[xy[int(ids[k])][0] for k in sel], y=[xy[int(ids[k])][1] for k in sel], mode="markers",
            marker=dict(size=size[sel], color=colours, line=dict(color="#718096" if style == "closed" else "white",
                                                                  width=1.2)),
            hoverinfo="text", hovertext=hover, name=f"charity, {label_text}", legendgroup="charities",
            legendgrouptitle_text="Charities" if style == "partner" else None))

    operating = int(((kind == "charity") & active).sum())
    closed = int(((kind == "charity") & ~active).sum())
    title = (f"{layer.capitalize()} relationships, month {month}: {operating} "
             f"{'charity' if operating == 1 else 'charities'} operating, {len(groups)} "
             f"{'partnership' if len(groups) == 1 else 'partnerships'}, {closed} closed")
    fig.update_layout(
        title=dict(text=title, font=dict(size=15), x=0.01, xanchor="left"),
        height=height, margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="white", paper_bgcolor="white",
        hovermode="closest", clickmode="event", dragmode="pan", uirevision="network",
        legend=dict(font=dict(size=12), groupclick="toggleitem", itemsizing="constant", tracegroupgap=6),
        xaxis=dict(visible=False, scaleanchor="y"), yaxis=dict(visible=False),
    )
    from .figures import plotly_figure  # noqa: PLC0415

    return plotly_figure({"data": fig.data, "layout": fig.layout}), points


class _Spec:
    """A figure as plain data (traces and layout), turned into a Plotly figure once, without validation."""

    def __init__(self):
        self.data: list[dict] = []
        self.layout: dict = {}

    def add_trace(self, trace: dict) -> None:
        self.data.append(trace)

    def update_layout(self, **kwargs) -> None:
        self.layout.update(kwargs)


def _scatter(**kwargs) -> dict:
    title = kwargs.pop("legendgrouptitle_text", None)
    if title:
        kwargs["legendgrouptitle"] = {"text": title, "font": {"size": 12}}
    return {"type": "scatter", **kwargs}


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
