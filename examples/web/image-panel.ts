// The 2D image panel: every IMAGE device (a selector), every scalar type, window/level (auto by
// default, typed in, or dragged on the image), the pixel value under the cursor. Frames are
// converted on animation frames only, the newest per device: a 30 Hz stream costs at most one
// conversion per frame and device. The converted slices also feed the 3D view's textures.
import { fullDeviceName, type ImageMessage } from '../../src/index.js';
import { convertImage, pixelAt, SCALAR_NAMES, type ImageSlice, type WindowLevel } from './image-convert.js';
import { silence } from './freshness.js';

/** The newest frame of one IMAGE device. */
export interface ImageFrame {
  readonly device: string;
  readonly message: ImageMessage;
  readonly slice: ImageSlice;
  /** Counts conversions (the 3D view re-uploads a texture when it changes). */
  readonly version: number;
}

interface DeviceImages {
  pending: ImageMessage | undefined;
  frame: ImageFrame | undefined;
  /** Fixed window/level, or undefined for auto. */
  wl: WindowLevel | undefined;
  version: number;
}

export interface ImagePanelElements {
  readonly select: HTMLSelectElement;
  readonly canvas: HTMLCanvasElement;
  readonly auto: HTMLInputElement;
  readonly window: HTMLInputElement;
  readonly level: HTMLInputElement;
  readonly info: HTMLElement;
  readonly pixel: HTMLElement;
}

export class ImagePanel {
  private readonly devices = new Map<string, DeviceImages>();
  /** The shown image's description, without the stale notice. */
  private infoText = '';
  /** The shown image is stale (markStale). */
  private shownStale = false;
  private selected: string | undefined;
  private drawn: ImageFrame | undefined;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly listeners: ((f: ImageFrame) => void)[] = [];
  private cursor: { x: number; y: number } | undefined;
  private drag: { x: number; y: number; wl: WindowLevel } | undefined;

  constructor(
    private readonly el: ImagePanelElements,
    private readonly initialWl: WindowLevel | undefined,
    private readonly preferred: string | undefined,
  ) {
    const ctx = el.canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    el.select.addEventListener('change', () => this.select(el.select.value));
    el.auto.addEventListener('change', () => this.setWl(el.auto.checked ? undefined : this.current()?.slice.wl));
    const typed = () => {
      const w = Number(el.window.value);
      const l = Number(el.level.value);
      if (Number.isFinite(w) && w > 0 && Number.isFinite(l)) this.setWl({ window: w, level: l });
    };
    el.window.addEventListener('change', typed);
    el.level.addEventListener('change', typed);
    const canvas = el.canvas;
    canvas.addEventListener('pointermove', (ev) => {
      this.cursor = { x: ev.offsetX, y: ev.offsetY };
      if (this.drag) {
        // Drag: right widens the window, down raises the level (as in 3D Slicer).
        const f = this.current();
        const span = f ? Math.max(f.slice.max - f.slice.min, 1) : 256;
        const k = span / 300;
        this.setWl({ window: Math.max(1e-6, this.drag.wl.window + (ev.offsetX - this.drag.x) * k), level: this.drag.wl.level + (ev.offsetY - this.drag.y) * k });
      }
      this.showPixel();
    });
    canvas.addEventListener('pointerleave', () => {
      this.cursor = undefined;
      this.showPixel();
    });
    canvas.addEventListener('pointerdown', (ev) => {
      const f = this.current();
      if (!f) return;
      canvas.setPointerCapture(ev.pointerId);
      this.drag = { x: ev.offsetX, y: ev.offsetY, wl: f.slice.wl };
    });
    canvas.addEventListener('pointerup', () => (this.drag = undefined));
    canvas.addEventListener('dblclick', () => this.setWl(undefined));
  }

  /** A received IMAGE (only the newest per device is converted, on the next frame). */
  add(msg: ImageMessage): void {
    const name = fullDeviceName(msg);
    let d = this.devices.get(name);
    if (!d) {
      d = { pending: undefined, frame: undefined, wl: this.initialWl, version: 0 };
      this.devices.set(name, d);
      this.el.select.add(new Option(name || '(no name)', name));
      if (this.selected === undefined || name === this.preferred) this.select(name);
    }
    d.pending = msg;
  }

  /**
   * Shows the image stale when its device is, or live: a frozen image must not look live while
   * tracking goes on. The canvas is dimmed (class and `data-stale`) and the panel's title says
   * how old the image is. `staleAge`: how old a device's newest image is if it is stale, ms, else
   * undefined (freshness.ts, checked on every frame).
   */
  markStale(staleAge: (device: string) => number | undefined): void {
    const age = this.selected === undefined ? undefined : staleAge(this.selected);
    const shown = age !== undefined;
    const text = shown ? `no new image for ${silence(age)} · ${this.infoText}` : this.infoText;
    if (this.el.info.textContent !== text) this.el.info.textContent = text;
    if (shown !== this.shownStale) {
      this.shownStale = shown;
      this.el.canvas.classList.toggle('stale', shown);
      this.el.canvas.dataset.stale = String(shown);
      this.el.info.classList.toggle('stale', shown);
    }
  }

  /** Whether the shown image is marked stale (for the tests). */
  get stale(): boolean {
    return this.shownStale;
  }

  /** Called with every converted frame (the 3D view). */
  onFrame(listener: (f: ImageFrame) => void): void {
    this.listeners.push(listener);
  }

  /** The frame shown, for the test hooks. */
  current(): ImageFrame | undefined {
    return this.selected === undefined ? undefined : this.devices.get(this.selected)?.frame;
  }

  /** Converts what arrived since the last frame and draws the selected device. */
  render(): void {
    for (const [device, d] of this.devices) {
      const msg = d.pending;
      if (!msg) continue;
      d.pending = undefined;
      let slice: ImageSlice;
      try {
        slice = convertImage(msg.content, d.wl, d.frame?.slice.rgba);
      } catch (err) {
        this.el.info.textContent = `${device}: ${(err as Error).message}`;
        continue;
      }
      d.version++;
      d.frame = { device, message: msg, slice, version: d.version };
      for (const l of this.listeners) l(d.frame);
    }
    const f = this.current();
    if (!f || f === this.drawn) return;
    this.drawn = f;
    const { canvas } = this.el;
    const { width, height } = f.slice;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    this.ctx.putImageData(new ImageData(f.slice.rgba, width, height), 0, 0);
    const c = f.message.content;
    canvas.dataset.device = f.device;
    canvas.dataset.window = String(f.slice.wl.window);
    canvas.dataset.level = String(f.slice.wl.level);
    canvas.dataset.version = String(f.version);
    this.infoText = this.el.info.textContent = `${c.size.join('×')} ${SCALAR_NAMES[c.scalarType] ?? `type ${c.scalarType}`}×${c.numComponents} ${c.endian === 1 ? 'BE' : 'LE'}${c.size[2] > 1 ? `, slice ${f.slice.k}` : ''}, range ${fmt(f.slice.min)}…${fmt(f.slice.max)}`;
    if (document.activeElement !== this.el.window) this.el.window.value = fmt(f.slice.wl.window);
    if (document.activeElement !== this.el.level) this.el.level.value = fmt(f.slice.wl.level);
    this.el.auto.checked = this.devices.get(f.device)?.wl === undefined;
    this.showPixel();
  }

  private select(device: string): void {
    this.selected = device;
    this.el.select.value = device;
    this.drawn = undefined;
    const d = this.devices.get(device);
    if (d?.frame && !d.pending) d.pending = d.frame.message;
  }

  private setWl(wl: WindowLevel | undefined): void {
    if (this.selected === undefined) return;
    const d = this.devices.get(this.selected);
    if (!d) return;
    d.wl = wl;
    // Redraw the current frame with the new window/level even if no new frame comes.
    if (!d.pending && d.frame) d.pending = d.frame.message;
  }

  /** The value under the cursor (the canvas is scaled with object-fit: contain). */
  private showPixel(): void {
    const f = this.current();
    const cur = this.cursor;
    if (!f || !cur) {
      this.el.pixel.textContent = 'pixel: move the cursor over the image';
      return;
    }
    const { canvas } = this.el;
    const scale = Math.min(canvas.clientWidth / f.slice.width, canvas.clientHeight / f.slice.height);
    const left = (canvas.clientWidth - f.slice.width * scale) / 2;
    const top = (canvas.clientHeight - f.slice.height * scale) / 2;
    const i = Math.floor((cur.x - left) / scale);
    const j = Math.floor((cur.y - top) / scale);
    if (i < 0 || j < 0 || i >= f.slice.width || j >= f.slice.height) {
      this.el.pixel.textContent = 'pixel: outside the image';
      return;
    }
    const values = pixelAt(f.slice, i, j);
    this.el.pixel.textContent = `pixel (${i}, ${j}${f.slice.k ? `, ${f.slice.k}` : ''}) = ${values.map(fmt).join(', ')}`;
    this.el.pixel.dataset.value = values.join(',');
  }
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}
