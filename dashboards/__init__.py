"""The commissioners' dashboard (Solara) and the logic behind it.

``app.py`` is the page; ``levers`` maps the commissioner's controls onto
scenario keys, ``comparison`` runs and reads a comparison with the baseline,
``network`` and ``figures`` draw what the page shows, ``texts`` holds the
words. Only ``app.py`` imports Solara.
"""
