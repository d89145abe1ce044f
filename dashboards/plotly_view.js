// A Plotly figure drawn in the browser from a JSON spec; clicks go back to Python.
// plotly.js is fetched once per page from the dashboard's own server (no network needed) and shared by every
// figure; Solara's page uses requirejs, so the bundle is evaluated with `define` hidden to make it set window.Plotly.
function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__partnersimPlotly) {
    window.__partnersimPlotly = fetch(url)
      .then((r) => r.text())
      .then((code) => {
        const define = window.define;
        window.define = undefined;
        try {
          (0, eval)(code);
        } finally {
          window.define = define;
        }
        return window.Plotly;
      });
  }
  return window.__partnersimPlotly;
}

export default {
  async render({ model, el }) {
    const Plotly = await loadPlotly(model.get("plotly_url"));
    const div = document.createElement("div");
    div.style.width = "100%";
    el.appendChild(div);
    const draw = () => {
      const fig = model.get("figure") || {};
      Plotly.react(div, fig.data || [], fig.layout || {}, model.get("config") || {});
    };
    draw();
    model.on("change:figure", draw);
    div.on("plotly_click", (event) => {
      const p = event && event.points && event.points[0];
      if (p) model.send({ event: "click", trace: p.curveNumber, point: p.pointNumber });
    });
    const resize = new ResizeObserver(() => {
      if (div.offsetParent !== null) Plotly.Plots.resize(div);
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      Plotly.purge(div);
    };
  },
};
