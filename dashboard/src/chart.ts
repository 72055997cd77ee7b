import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const palette = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#be185d"];

export interface Series {
  name: string;
  values: number[];
}

/**
 * A chart of series over days. The series' totals are also written as data attributes on the container
 * (data-series-NAME), so that what the chart was given can be checked against the admin API.
 */
export function dayChart(id: string, days: string[], series: Series[], unit: string, stacked = false, yRange?: [number, number]): HTMLElement {
  const box = document.createElement("div");
  box.className = "chart";
  box.dataset.chart = id;
  for (const s of series) {
    box.setAttribute("data-series-" + s.name.replace(/[^A-Za-z0-9]/g, "_").toLowerCase(), String(s.values.reduce((a, b) => a + b, 0)));
  }
  const xs = days.map((d) => Date.parse(d + "T00:00:00Z") / 1000);
  const sums = days.map((_, i) => series.reduce((a, s) => a + (s.values[i] ?? 0), 0));
  const data: uPlot.AlignedData = [
    xs,
    ...series.map((s, k) =>
      stacked ? s.values.map((_, i) => series.slice(k).reduce((a, t) => a + (t.values[i] ?? 0), 0) / (sums[i] || 1)) : s.values,
    ),
  ];
  const opts: uPlot.Options = {
    width: 640,
    height: 240,
    scales: { x: { time: true }, y: stacked ? { range: [0, 1] } : yRange ? { range: yRange } : {} },
    axes: [{}, { label: unit, values: (_u, ticks) => ticks.map((t) => (stacked ? Math.round(t * 100) + "%" : String(t))) }],
    series: [
      {},
      ...series.map((s, k) => ({
        label: s.name,
        stroke: palette[k % palette.length],
        fill: stacked ? palette[k % palette.length] + "55" : undefined,
        width: 2,
      })),
    ],
  };
  // uPlot measures its container: build it once the box is in the document.
  queueMicrotask(() => new uPlot(opts, data, box));
  return box;
}
