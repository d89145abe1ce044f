"""The network view: one seeded layout per run, updated incrementally, and its drawing."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from dashboards import network


def snapshot(n: int, edges: list[tuple[int, int, float, float]], partnership=None, active=None):
    nodes = pd.DataFrame({
        "org_id": np.arange(n), "name": [f"Charity {i}" for i in range(n)], "kind": "charity",
        "partnership_id": partnership if partnership is not None else -np.ones(n, int),
        "active": active if active is not None else np.ones(n, bool), "income": np.full(n, 50_000.0),
    })
    return nodes, pd.DataFrame(edges, columns=["source", "target", "managerial", "frontline"])


def random_edges(rng, n, m):
    pairs = {tuple(sorted(rng.choice(n, 2, replace=False))) for _ in range(m)}
    return [(int(a), int(b), float(rng.random()), float(rng.random())) for a, b in pairs]


def test_layout_is_seeded_and_computed_once():
    nodes, edges = snapshot(30, [(0, 1, 0.5, 0.5), (1, 2, 0.3, 0.8)])
    a, b = network.NetworkLayout(seed=3), network.NetworkLayout(seed=3)
    pa, pb = a.update(nodes, edges), b.update(nodes, edges)
    assert all(np.allclose(pa[i], pb[i]) for i in range(30))
    a.update(nodes, edges)
    assert a.full_layouts == 1 and a.relaxations == 0  # same ties: positions untouched


def test_update_moves_nodes_a_little_not_a_fresh_layout():
    rng = np.random.default_rng(0)
    ties = random_edges(rng, 200, 150)
    nodes, edges = snapshot(200, ties)
    layout = network.NetworkLayout(seed=1)
    before = {k: v.copy() for k, v in layout.update(nodes, edges).items()}
    # a month later: a few ties form or fade, and a new charity joins charity 3's partnership
    nodes2, edges2 = snapshot(205, ties[10:] + random_edges(rng, 200, 10) + [(200, 3, 0.6, 0.6)])
    after = layout.update(nodes2, edges2)
    assert layout.full_layouts == 1 and layout.relaxations == 1
    moved = np.median([np.linalg.norm(after[i] - before[i]) for i in range(200)])
    fresh = network.NetworkLayout(seed=2).update(nodes2, edges2)
    jump = np.median([np.linalg.norm(fresh[i] - before[i]) for i in range(200)])
    assert moved < 0.15 and moved < jump / 3, f"existing charities moved {moved:.2f} (a fresh layout: {jump:.2f})"
    assert np.linalg.norm(after[200] - after[3]) < 0.6  # a newcomer starts beside its partner


def test_layout_is_computed_once_for_a_few_hundred_charities():
    rng = np.random.default_rng(2)
    layout = network.NetworkLayout(seed=0)
    nodes, edges = snapshot(400, random_edges(rng, 400, 600))
    layout.update(nodes, edges)
    t0 = time.perf_counter()
    for _ in range(5):
        nodes, edges = snapshot(400, random_edges(rng, 400, 600))
        layout.update(nodes, edges)
    per_month = (time.perf_counter() - t0) / 5
    assert layout.full_layouts == 1
    print(f"\nnetwork layout: {per_month:.2f} s a month for 400 charities")


def test_drawing_shows_layers_partnerships_and_closed_charities():
    nodes, edges = snapshot(6, [(0, 1, 0.9, 0.1), (2, 3, 0.2, 0.7)], partnership=np.array([0, 0, 1, 1, -1, -1]),
                            active=np.array([True, True, True, True, True, False]))
    pos = network.NetworkLayout(seed=0).update(nodes, edges)
    for layer in network.LAYERS:
        fig = network.draw_network(nodes, edges, pos, layer, month=4)
        ax = fig.axes[0]
        widths = ax.collections[0].get_linewidths()
        assert "month 4" in ax.get_title() and "1 closed" in ax.get_title() and "4 in partnerships" in ax.get_title()
        strong = 0 if layer == "managerial" else 1
        assert widths[strong] == max(widths)
        assert network.figure_png(fig).startswith(b"\x89PNG")
    assert network.partnership_colour(-1) == network.NO_PARTNERSHIP
    assert network.partnership_colour(0) != network.partnership_colour(1)
    with pytest.raises(ValueError):
        network.draw_network(nodes, edges, pos, "informal", month=0)


def test_a_charity_making_its_first_tie_leaves_the_rim():
    rng = np.random.default_rng(4)
    ties = random_edges(rng, 60, 40)
    layout = network.NetworkLayout(seed=0)
    nodes, edges = snapshot(80, ties)  # charities 60..79 have no ties: they sit on the rim
    layout.update(nodes, edges)
    anchor = ties[0][0]
    layout.update(*snapshot(80, ties + [(anchor, 75, 0.5, 0.5)]))
    pos = layout.pos
    assert np.linalg.norm(pos[75] - pos[anchor]) < 0.5
