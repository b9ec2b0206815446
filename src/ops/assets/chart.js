// The console's hit-rate chart (uPlot, served by Hotpath from its installed package).
(() => {
  let chart = null;
  const width = (el) => Math.max(200, el.clientWidth);

  /** Draws `history` in `el`, or updates the chart already drawn there. */
  function render(el, history) {
    const xs = history.map((p) => Date.parse(p.at) / 1000);
    const rates = history.map((p) => (p.hitRate == null ? null : p.hitRate * 100));
    const requests = history.map((p) => p.requests / 10);
    const data = [xs, rates, requests];
    if (chart) {
      chart.setData(data);
      return;
    }
    chart = new uPlot(
      {
        width: width(el),
        height: 220,
        scales: {
          x: { time: true },
          pct: { range: [0, 100] },
          rps: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        },
        series: [
          {},
          {
            label: 'Hit rate %',
            scale: 'pct',
            stroke: '#1f7a4d',
            width: 2,
            spanGaps: true,
            points: { show: true, size: 5, fill: '#1f7a4d' },
            value: (_u, v) => (v == null ? '–' : `${v.toFixed(1)}%`),
          },
          {
            label: 'Requests/s',
            scale: 'rps',
            stroke: '#8a8f98',
            width: 1,
            points: { show: true, size: 3 },
            value: (_u, v) => (v == null ? '–' : v.toFixed(1)),
          },
        ],
        axes: [
          {},
          { scale: 'pct', values: (_u, ticks) => ticks.map((t) => `${t}%`), size: 50 },
          { scale: 'rps', side: 1, grid: { show: false }, size: 50 },
        ],
      },
      data,
      el,
    );
  }

  window.HotpathChart = {
    render,
    resize: (el) => chart?.setSize({ width: width(el), height: 220 }),
    destroy: () => {
      chart?.destroy();
      chart = null;
    },
  };
})();
