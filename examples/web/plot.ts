// A canvas plot of tool positions: a top view (x, y) and a side view (x, z), with short trails.
// Drawn on animation frames, and only when something changed.
import type { ToolPosition } from './poses.js';

const PALETTE = ['#4cc9f0', '#f72585', '#ffd166', '#06d6a0', '#f8961e', '#b5179e', '#90be6d', '#e5e5e5'];
const TRAIL = 60;

interface Track {
  readonly color: string;
  readonly points: ToolPosition[];
}

/** The plot of every tool seen so far. */
export class PositionPlot {
  private readonly tracks = new Map<string, Track>();
  private readonly ctx: CanvasRenderingContext2D;
  private dirty = true;
  // Axis bounds grow to fit what was seen (never shrink, so the picture does not jump).
  private min = { x: Infinity, y: Infinity, z: Infinity };
  private max = { x: -Infinity, y: -Infinity, z: -Infinity };

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    const frame = () => {
      if (this.dirty) this.draw();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  /** The colour of a tool (assigned in order of appearance). */
  colorOf(tool: string): string {
    return this.track(tool).color;
  }

  /** Adds a position (drawn on the next animation frame). */
  add(p: ToolPosition): void {
    const t = this.track(p.tool);
    t.points.push(p);
    if (t.points.length > TRAIL) t.points.shift();
    for (const axis of ['x', 'y', 'z'] as const) {
      this.min[axis] = Math.min(this.min[axis], p[axis]);
      this.max[axis] = Math.max(this.max[axis], p[axis]);
    }
    this.dirty = true;
  }

  private track(tool: string): Track {
    let t = this.tracks.get(tool);
    if (!t) {
      t = { color: PALETTE[this.tracks.size % PALETTE.length]!, points: [] };
      this.tracks.set(tool, t);
    }
    return t;
  }

  private draw(): void {
    this.dirty = false;
    const { canvas, ctx } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#11151c';
    ctx.fillRect(0, 0, w, h);
    const gap = 16;
    const pw = (w - 3 * gap) / 2;
    const ph = h - 2 * gap;
    this.panel(gap, gap, pw, ph, 'x', 'y', 'top view (x, y) mm');
    this.panel(2 * gap + pw, gap, pw, ph, 'x', 'z', 'side view (x, z) mm');
  }

  private panel(left: number, top: number, width: number, height: number, a: 'x' | 'y' | 'z', b: 'x' | 'y' | 'z', title: string): void {
    const { ctx } = this;
    ctx.strokeStyle = '#2a3140';
    ctx.lineWidth = 1;
    ctx.strokeRect(left, top, width, height);
    ctx.fillStyle = '#8b95a7';
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillText(title, left + 8, top + 16);
    if (!Number.isFinite(this.min[a])) return;
    // Equal scale on both axes, with a margin; at least 50 mm across.
    const spanA = Math.max(50, this.max[a] - this.min[a]);
    const spanB = Math.max(50, this.max[b] - this.min[b]);
    const scale = Math.min((width - 40) / spanA, (height - 40) / spanB);
    const midA = (this.min[a] + this.max[a]) / 2;
    const midB = (this.min[b] + this.max[b]) / 2;
    const px = (v: number) => left + width / 2 + (v - midA) * scale;
    const py = (v: number) => top + height / 2 - (v - midB) * scale;
    for (const [tool, t] of this.tracks) {
      const pts = t.points;
      if (pts.length === 0) continue;
      ctx.strokeStyle = t.color;
      ctx.globalAlpha = 0.45;
      ctx.beginPath();
      pts.forEach((p, i) => (i === 0 ? ctx.moveTo(px(p[a]), py(p[b])) : ctx.lineTo(px(p[a]), py(p[b]))));
      ctx.stroke();
      ctx.globalAlpha = 1;
      const last = pts[pts.length - 1]!;
      ctx.fillStyle = t.color;
      ctx.beginPath();
      ctx.arc(px(last[a]), py(last[b]), 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillText(tool, px(last[a]) + 8, py(last[b]) - 8);
    }
  }
}
