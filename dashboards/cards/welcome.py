"""First-visit panel: what the tool is, what to do first, and the four case studies."""

from __future__ import annotations

from html import escape

import solara

from ..controller import Controller

CASE_STUDIES: tuple[tuple[str, str], ...] = (
    ("Fine Cell Work and RECOOP",
     "A charity teaching prisoners needlework, with no prison access of its own, and one with access but no "
     "programme: together, with no dedicated funding, they ran a service neither could alone."),
    ("Inspire (Sussex)",
     "Brighton Women's Centre led six specialist partners in one place for women under supervision. At re-tender "
     "the contract was halved, and the multi-partner model stopped being viable."),
    ("Prison Family Support Alliance",
     "Three charities (5 + 3 + 1 workers) covering 90% of women's prisons under one contract wider than any of them "
     "could cover alone; a shared case-management system kept support going when prisoners moved."),
    ("Golden Key (Bristol)",
     "Eight years of flexible lottery funding, 16 partners and a board with statutory members, working to change "
     "the system for people with multiple needs. One-year contracts would have made that much harder."),
)


@solara.component
def Welcome(ctl: Controller):
    """Open on a first visit (no setup in the address); folds away into a one-line reminder."""
    if not ctl.welcome.value:
        with solara.Row(classes=["welcome-folded"]):
            solara.Button("What is this tool?", text=True, on_click=lambda: ctl.welcome.set(True),
                          classes=["btn-welcome"])
        return
    cases = "".join(f"<li><b>{escape(t)}</b>: {escape(d)}</li>" for t, d in CASE_STUDIES)
    with solara.Card(classes=["welcome-card"], margin=0):
        solara.HTML(tag="div", unsafe_innerHTML=(
            "<h2 class='card-title'>What this tool is</h2>"
            "<p>A simulation of how charities, commissioners and the people they support interact through "
            "partnerships, contracts and re-tendering, built on the lessons of <i>Why we collaborate</i> (Clinks and "
            "the Centre for Justice Innovation, 2017). One step is one month; a run covers the scenario's years.</p>"
            "<p><b>What to do first</b>: pick a scenario on the left (for example <i>Inspire</i>), press <b>Play</b> to "
            "watch it unfold, then move a lever (say, halve the contract at re-tender) and use <b>Compare</b> to see, "
            "over many runs, what changes against the scenario as it stands. The address bar keeps your setup: copy "
            "it to share exactly what you see.</p>"
            f"<p><b>The four case studies</b></p><ul class='case-studies'>{cases}</ul>"))
        solara.Button("Got it, hide this", on_click=lambda: ctl.welcome.set(False), outlined=True,
                      classes=["btn-welcome-close"])
