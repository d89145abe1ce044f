"""Downloads with readable columns, rounded values and a header naming what produced them."""

from __future__ import annotations

import solara

from .. import comparison, figures, network
from ..controller import Controller
from ..session import csv_with_header, manifest, plain_error, readable_monthly


@solara.component
def ExportCard(ctl: Controller):
    ctl.view_tick.value  # noqa: B018
    s = ctl.session
    result = ctl.compare_result.value
    with solara.Card(classes=["export-card"], margin=0):
        solara.HTML(tag="h2", classes=["card-title"], unsafe_innerHTML="Export")
        solara.Text("Spreadsheets (CSV) start with lines beginning '#' naming the scenario, every lever, the seeds "
                    "and the version; shares are in %, values rounded.", classes=["lever-help"])
        if s.model is None:
            solara.Text("Nothing to export until a run has started.")
            return

        def safely(make, what: str):
            def data() -> bytes:
                try:
                    return make()
                except Exception as err:  # noqa: BLE001
                    return plain_error(f"export the {what}", err).encode()
            return data

        setup_text = ctl.setup.describe() if ctl.setup else ""
        run_csv = safely(lambda: csv_with_header(readable_monthly(s.monthly()), manifest(s, setup_text)), "run data")
        charts_png = safely(lambda: network.figure_png(figures.time_series(s.monthly(), horizon=s.horizon)), "charts")

        def network_png() -> bytes:
            with s.lock:
                snap = s.model.network_snapshot()
                pos = s.layout.update(snap["nodes"], snap["edges"])
                return network.figure_png(network.draw_network(snap["nodes"], snap["edges"], pos, ctl.layer.value,
                                                               s.month))

        stem = f"partnersim-month{s.month}"
        with solara.Row(style="flex-wrap: wrap;"):
            solara.FileDownload(run_csv, filename=f"{stem}-run.csv", label="Run data (CSV)", mime_type="text/csv")
            solara.FileDownload(safely(network_png, "network"), filename=f"{stem}-network-{ctl.layer.value}.png",
                                label="Network (PNG)", mime_type="image/png")
            solara.FileDownload(charts_png, filename=f"{stem}-charts.png", label="Charts (PNG)", mime_type="image/png")
            if result is not None:
                header = [f"comparison: your setup ({result['mine']}) against {result['other']}",
                          f"seeds: {', '.join(map(str, result['seeds']))}", f"months: {result['months']}",
                          *manifest(s, setup_text)[:1]]
                if result["mismatch"]:
                    header.append("not like for like (sizes differ): " + "; ".join(result["mismatch"]))
                comp_csv = safely(lambda: csv_with_header(
                    comparison.differences_frame(result["differences"], result["titles"]), header), "comparison")
                solara.FileDownload(comp_csv, filename="partnersim-comparison.csv", label="Comparison (CSV)",
                                    mime_type="text/csv")
                solara.FileDownload(safely(ctl.comparison_png, "comparison chart"), filename="partnersim-comparison.png",
                                    label="Comparison chart (PNG)", mime_type="image/png")
