// One animation-frame loop for every panel: each registers a draw callback that does work only
// when something changed. The loop measures frames per second and the time the page spends in
// its callbacks per frame (performance.now), for the numbers in the header and for the tests.

/** What the frame loop measured over the last second. */
export interface FrameStats {
  /** Frames drawn per second. */
  readonly fps: number;
  /** Mean time in the panels' draw callbacks per frame, ms. */
  readonly drawMsPerFrame: number;
  /** Longest draw of the last second, ms. */
  readonly maxDrawMs: number;
  /** Frames since the page started. */
  readonly frames: number;
  /** Time in draw callbacks since the page started, ms. */
  readonly totalDrawMs: number;
  /** Frames since the page started that came more than 50 ms after the previous one. */
  readonly longFrames: number;
}

type Draw = (now: number) => void;

/** The page's animation-frame loop. */
export class FrameLoop {
  private readonly draws: Draw[] = [];
  private frames = 0;
  private windowStart = performance.now();
  private windowFrames = 0;
  private windowDrawMs = 0;
  private windowMaxMs = 0;
  private totalDrawMs = 0;
  private longFrames = 0;
  private lastFrameAt: number | undefined;
  private stats: FrameStats = { fps: 0, drawMsPerFrame: 0, maxDrawMs: 0, frames: 0, totalDrawMs: 0, longFrames: 0 };
  private readonly listeners: ((s: FrameStats) => void)[] = [];

  constructor() {
    const frame = (now: number) => {
      const t0 = performance.now();
      if (this.lastFrameAt !== undefined && t0 - this.lastFrameAt > 50) this.longFrames++;
      this.lastFrameAt = t0;
      for (const d of this.draws) {
        try {
          d(now);
        } catch (err) {
          console.error(err);
        }
      }
      const spent = performance.now() - t0;
      this.frames++;
      this.windowFrames++;
      this.windowDrawMs += spent;
      this.totalDrawMs += spent;
      if (spent > this.windowMaxMs) this.windowMaxMs = spent;
      const elapsed = t0 - this.windowStart;
      if (elapsed >= 1000) {
        this.stats = {
          fps: (this.windowFrames * 1000) / elapsed,
          drawMsPerFrame: this.windowDrawMs / this.windowFrames,
          maxDrawMs: this.windowMaxMs,
          frames: this.frames,
          totalDrawMs: this.totalDrawMs,
          longFrames: this.longFrames,
        };
        this.windowStart = t0;
        this.windowFrames = 0;
        this.windowDrawMs = 0;
        this.windowMaxMs = 0;
        for (const l of this.listeners) l(this.stats);
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  /** Calls `draw` on every animation frame. */
  add(draw: Draw): void {
    this.draws.push(draw);
  }

  /** Calls `listener` once a second with the measurements. */
  onStats(listener: (s: FrameStats) => void): void {
    this.listeners.push(listener);
  }

  get current(): FrameStats {
    return { ...this.stats, frames: this.frames, totalDrawMs: this.totalDrawMs, longFrames: this.longFrames };
  }
}
