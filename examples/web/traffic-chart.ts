// Rate and bandwidth over time (the last two minutes), drawn with uPlot.
import uPlot from 'uplot';
import type { TrafficSample } from './devices.js';
import { formatBytes } from './devices.js';

const KEEP = 240; // samples, two per second

export class TrafficChart {
  private readonly times: number[] = [];
  private readonly rates: number[] = [];
  private readonly bytes: number[] = [];
  private readonly plot: uPlot;
  private dirty = false;
  private width = 0;
  private height = 0;

  constructor(private readonly host: HTMLElement) {
    const opts: uPlot.Options = {
      width: Math.max(200, host.clientWidth),
      height: Math.max(120, host.clientHeight),
      legend: { show: true, live: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: { x: { time: true }, msgs: { auto: true }, bytes: { auto: true } },
      axes: [
        { stroke: '#8b95a7', grid: { stroke: '#1d2330' }, ticks: { stroke: '#2a3140' } },
        { scale: 'msgs', stroke: '#4cc9f0', grid: { stroke: '#1d2330' }, ticks: { stroke: '#2a3140' }, size: 50, values: (_u, v) => v.map((x) => `${x}`) },
        { scale: 'bytes', side: 1, stroke: '#ffd166', grid: { show: false }, ticks: { stroke: '#2a3140' }, size: 70, values: (_u, v) => v.map((x) => formatBytes(x).replace('/s', '')) },
      ],
      series: [
        {},
        { label: 'messages/s', scale: 'msgs', stroke: '#4cc9f0', width: 1.5, value: (_u, v) => (v == null ? '–' : v.toFixed(0)) },
        { label: 'bandwidth', scale: 'bytes', stroke: '#ffd166', width: 1.5, value: (_u, v) => (v == null ? '–' : formatBytes(v)) },
      ],
    };
    this.plot = new uPlot(opts, [[], [], []], host);
  }

  add(s: TrafficSample): void {
    this.times.push(s.at / 1000);
    this.rates.push(s.messagesPerSecond);
    this.bytes.push(s.bytesPerSecond);
    if (this.times.length > KEEP) {
      this.times.shift();
      this.rates.shift();
      this.bytes.shift();
    }
    this.dirty = true;
  }

  /** Resizes to its box and redraws when there is something new (frame loop). */
  render(): void {
    // The legend sits below the canvas, inside the box.
    const legend = this.host.querySelector<HTMLElement>('.u-legend')?.offsetHeight ?? 0;
    const w = Math.max(200, this.host.clientWidth);
    const h = Math.max(100, this.host.clientHeight - legend - 4);
    if (w !== this.width || h !== this.height) {
      this.width = w;
      this.height = h;
      this.plot.setSize({ width: w, height: h });
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.plot.setData([this.times, this.rates, this.bytes]);
  }
}
