// A live line chart (uPlot) over a Series: redrawn when the series' length changes, sized to
// its container. The numbers beside it are the accessible version: every chart has a text
// summary of its latest values (summary prop), since a canvas says nothing to a screen reader.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from './series';

const COLORS = ['#2563eb', '#d97706', '#059669', '#dc2626'];

/** The time axis: from the first sample (or a minute before the last, if later) to the last (or now). */
function xRange(min: number | null, max: number | null): uPlot.Range.MinMax {
  const hi = max ?? Date.now() / 1000;
  return [Math.min(min ?? hi, hi - 60), hi + 1];
}

export function Chart(props: { series: Series; version: number; label: string; summary: string; format: (v: number) => string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { series, format } = props;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 180,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      // At least the last minute: no sample or one sample has no time span (uPlot would show
      // 1970 or years), and a few seconds of samples should not stretch over the whole width.
      scales: { x: { time: true, range: (_u, min, max) => xRange(min, max) }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
      axes: [{ stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } }, { stroke: 'currentColor', size: 80, values: (_u, ticks) => ticks.map((v) => format(v)), grid: { stroke: 'rgba(128,128,128,0.2)' } }],
      series: [{}, ...series.names.map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length], width: 2, value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)) }))],
    };
    const u = new uPlot(opts, [series.t, ...series.values] as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [series]);

  useEffect(() => {
    plot.current?.setData([series.t, ...series.values] as uPlot.AlignedData);
  }, [props.version, series]);

  return (
    <figure class="chart">
      <figcaption>{props.label}</figcaption>
      <div ref={box} role="img" aria-label={`${props.label}: ${props.summary}`} />
      <p class="chart-summary" aria-live="off">{series.t.length < 2 ? 'Collecting samples…' : props.summary}</p>
    </figure>
  );
}
