// The 3D view (three.js): grid and world axes, one triad per tracked tool with a short trail and
// a label, and every IMAGE as a textured plane placed by its IMAGE matrix — or, for tracked
// ultrasound (`probe=`), by the probe's pose (paired by timestamp) times the IMAGE matrix.
// Rendered on animation frames, only when something changed.
import {
  AxesHelper, BufferAttribute, BufferGeometry, Color, DataTexture, DoubleSide, GridHelper, Group, Line, LineBasicMaterial, LinearFilter, Matrix4, Mesh,
  MeshBasicMaterial, PerspectiveCamera, PlaneGeometry, RGBAFormat, Scene, SRGBColorSpace, UnsignedByteType, Vector3, WebGLRenderer,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { silence } from './freshness.js';
import type { ImageFrame } from './image-panel.js';
import type { Mat4, ToolPose } from './poses.js';
import { multiply } from './poses.js';

const PALETTE = ['#4cc9f0', '#f72585', '#ffd166', '#06d6a0', '#f8961e', '#b5179e', '#90be6d', '#e5e5e5'];
const TRAIL = 90;

interface Tool {
  readonly group: Group;
  readonly axes: AxesHelper;
  readonly trail: Line<BufferGeometry, LineBasicMaterial>;
  readonly positions: Float32Array;
  count: number;
  readonly label: HTMLElement;
  readonly color: string;
  readonly position: Vector3;
  /** Its newest pose is older than the page's threshold (setStale). */
  stale: boolean;
}

/** Opacity of a live trail and image plane, and of anything stale (faint, never hidden: where it was is still worth seeing). */
const TRAIL_OPACITY = 0.6;
const PLANE_OPACITY = 0.92;
const STALE_OPACITY = 0.2;

interface Plane {
  readonly mesh: Mesh<PlaneGeometry, MeshBasicMaterial>;
  texture: DataTexture | undefined;
  version: number;
  /** Where the image's voxel grid is in the world: the IMAGE matrix, or probe pose x IMAGE matrix. */
  placement: Mat4;
  /** No new image for longer than the page's threshold (setImageStale). */
  stale: boolean;
}

/** A row-major OpenIGTLink 4x4 as a three.js matrix. */
function toMatrix4(m: Mat4): Matrix4 {
  return new Matrix4().set(m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7]!, m[8]!, m[9]!, m[10]!, m[11]!, 0, 0, 0, 1);
}

/**
 * Where the unit plane (x, y in [-0.5, 0.5]) goes: i and j axes scaled by the image size, centred
 * on P (the IMAGE matrix's column 3 is the centre of the voxel grid), normal along k.
 */
export function planeMatrix(m: Mat4, size: readonly number[]): Mat4 {
  const [ri = 1, rj = 1] = size;
  let [nx, ny, nz] = [m[2]!, m[6]!, m[10]!];
  if (Math.hypot(nx, ny, nz) === 0) {
    // k axis missing: the normal of i x j.
    nx = m[4]! * m[9]! - m[8]! * m[5]!;
    ny = m[8]! * m[1]! - m[0]! * m[9]!;
    nz = m[0]! * m[5]! - m[4]! * m[1]!;
  }
  return [m[0]! * ri, m[1]! * rj, nx, m[3]!, m[4]! * ri, m[5]! * rj, ny, m[7]!, m[8]! * ri, m[9]! * rj, nz, m[11]!, 0, 0, 0, 1];
}

export class SceneView {
  private readonly renderer: WebGLRenderer;
  private readonly scene = new Scene();
  private readonly camera = new PerspectiveCamera(45, 1, 1, 20000);
  private readonly controls: OrbitControls;
  private readonly grid: GridHelper;
  private readonly tools = new Map<string, Tool>();
  private readonly planes = new Map<string, Plane>();
  private dirty = true;
  private fitted = false;
  /** The planes' places come from a stale probe pose (setPlacementStale). */
  private placementStale = false;
  private width = 0;
  private height = 0;
  /** Frames rendered (for the tests). */
  renders = 0;

  /** Placement of an image in the world, when tracked (set by the probe pairing). */
  readonly placements = new WeakMap<object, Mat4>();

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly labels: HTMLElement,
  ) {
    this.renderer = new WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.scene.background = new Color('#11151c');
    this.camera.up.set(0, 0, 1);
    this.camera.position.set(400, -500, 350);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.addEventListener('change', () => (this.dirty = true));
    this.grid = new GridHelper(1000, 20, '#3a4356', '#1f2633');
    this.grid.rotateX(Math.PI / 2); // the tracker's x-y plane
    this.scene.add(this.grid, new AxesHelper(100));
    canvas.addEventListener('dblclick', () => this.fit());
  }

  /** A tool's newest pose (already throttled to the display rate). */
  setPose(p: ToolPose): void {
    const t = this.tool(p.tool);
    t.group.matrix.copy(toMatrix4(p.matrix));
    t.group.matrixWorldNeedsUpdate = true;
    t.position.set(p.matrix[3]!, p.matrix[7]!, p.matrix[11]!);
    // The trail: a ring shifted by one (90 points: cheap).
    const a = t.positions;
    if (t.count === TRAIL) a.copyWithin(0, 3);
    else t.count++;
    a.set([t.position.x, t.position.y, t.position.z], (t.count - 1) * 3);
    const attr = t.trail.geometry.getAttribute('position') as BufferAttribute;
    attr.needsUpdate = true;
    t.trail.geometry.setDrawRange(0, t.count);
    t.trail.geometry.computeBoundingSphere();
    this.dirty = true;
    if (!this.fitted && this.tools.size > 0) this.fit();
  }

  /**
   * Marks a tool stale, its newest pose `silentMs` old (past the page's threshold), or live again
   * (undefined): a stale triad and trail are drawn faint and the label says how old the pose is,
   * so a frozen pose never looks tracked while other tools still move.
   */
  setStale(name: string, silentMs: number | undefined): void {
    const t = this.tools.get(name);
    if (!t) return;
    const stale = silentMs !== undefined;
    // Called on every frame: the label is written only when its text changes.
    const text = stale ? `${name} · no pose for ${silence(silentMs)}` : name;
    if (t.label.textContent !== text) t.label.textContent = text;
    if (t.stale === stale) return;
    t.stale = stale;
    t.label.classList.toggle('stale', stale);
    t.label.dataset.stale = String(stale);
    (t.axes.material as LineBasicMaterial).opacity = stale ? STALE_OPACITY : 1;
    t.trail.material.opacity = stale ? STALE_OPACITY : TRAIL_OPACITY;
    this.dirty = true;
  }

  /** Tools marked stale (for the tests). */
  staleTools(): string[] {
    return [...this.tools].filter(([, t]) => t.stale).map(([name]) => name);
  }

  /** Marks an IMAGE device's plane stale (faint) or live again. */
  setImageStale(device: string, stale: boolean): void {
    const plane = this.planes.get(device);
    if (!plane) return;
    plane.stale = stale;
    this.applyPlaneOpacity(plane);
  }

  /**
   * With `probe=`, the planes are placed by the probe's pose: when the probe is stale (no valid
   * pose; PLUS's lost probe is dropped by validPoses), every plane's place is an old one, drawn
   * faint like a stale image, however new the image is.
   */
  setPlacementStale(stale: boolean): void {
    if (this.placementStale === stale) return;
    this.placementStale = stale;
    for (const plane of this.planes.values()) this.applyPlaneOpacity(plane);
  }

  private applyPlaneOpacity(plane: Plane): void {
    const opacity = plane.stale || this.placementStale ? STALE_OPACITY : PLANE_OPACITY;
    if (plane.mesh.material.opacity === opacity) return;
    plane.mesh.material.opacity = opacity;
    this.dirty = true;
  }

  /** A converted image frame: its texture and its place. */
  setImage(f: ImageFrame): void {
    let plane = this.planes.get(f.device);
    if (!plane) {
      const material = new MeshBasicMaterial({ side: DoubleSide, transparent: true, opacity: this.placementStale ? STALE_OPACITY : PLANE_OPACITY });
      const mesh = new Mesh(new PlaneGeometry(1, 1), material);
      mesh.matrixAutoUpdate = false;
      plane = { mesh, texture: undefined, version: -1, placement: f.message.content.matrix, stale: false };
      this.planes.set(f.device, plane);
      this.scene.add(mesh);
    }
    const { width, height, rgba } = f.slice;
    let tex = plane.texture;
    if (!tex || tex.image.width !== width || tex.image.height !== height || tex.image.data !== rgba) {
      tex?.dispose();
      tex = new DataTexture(rgba, width, height, RGBAFormat, UnsignedByteType);
      tex.colorSpace = SRGBColorSpace;
      tex.magFilter = LinearFilter;
      tex.minFilter = LinearFilter;
      tex.generateMipmaps = false;
      plane.texture = tex;
      plane.mesh.material.map = tex;
      plane.mesh.material.needsUpdate = true;
    }
    tex.needsUpdate = true;
    const placement = this.placements.get(f.message) ?? f.message.content.matrix;
    plane.placement = placement;
    plane.mesh.matrix.copy(toMatrix4(planeMatrix(placement, f.message.content.size)));
    plane.mesh.matrixWorldNeedsUpdate = true;
    plane.version = f.version;
    this.dirty = true;
  }

  /** Where each tool's triad is (the tests read it). */
  triads(): Record<string, [number, number, number]> {
    const out: Record<string, [number, number, number]> = {};
    for (const [name, t] of this.tools) out[name] = [t.position.x, t.position.y, t.position.z];
    return out;
  }

  /**
   * Each image plane's place (the tests read it): `placement`, the world matrix of the image's
   * voxel grid (IMAGE matrix, or probe pose x IMAGE matrix with `probe=`), and `world`, the plane
   * mesh's world matrix (placement scaled by the image size), both row-major; `faint` when drawn
   * stale (the image, or with `probe=` the probe's pose).
   */
  planePlacements(): Record<string, { placement: number[]; world: number[]; faint: boolean }> {
    const out: Record<string, { placement: number[]; world: number[]; faint: boolean }> = {};
    for (const [name, p] of this.planes) {
      p.mesh.updateMatrixWorld();
      // three.js stores column-major: transpose to OpenIGTLink's row-major order.
      const e = p.mesh.matrixWorld.elements;
      out[name] = { placement: [...p.placement], world: [0, 1, 2, 3].flatMap((r) => [0, 1, 2, 3].map((c) => e[c * 4 + r]!)), faint: p.mesh.material.opacity < PLANE_OPACITY };
    }
    return out;
  }

  /** Frames the view on everything seen so far. */
  fit(): void {
    const pts = [...this.tools.values()].map((t) => t.position);
    if (pts.length === 0) return;
    this.fitted = true;
    const min = new Vector3(Infinity, Infinity, Infinity);
    const max = new Vector3(-Infinity, -Infinity, -Infinity);
    for (const p of pts) {
      min.min(p);
      max.max(p);
    }
    const centre = min.clone().add(max).multiplyScalar(0.5);
    const radius = Math.max(100, min.distanceTo(max) / 2 + 60);
    this.controls.target.copy(centre);
    this.camera.position.copy(centre).add(new Vector3(1, -1.3, 0.9).normalize().multiplyScalar(radius * 2.6));
    this.grid.position.set(centre.x, centre.y, min.z - 20);
    const scale = Math.max(1, Math.ceil((radius * 4) / 1000));
    this.grid.scale.setScalar(scale);
    this.controls.update();
    this.dirty = true;
  }

  /** Renders if anything changed (frame loop). */
  render(): void {
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    if (w !== this.width || h !== this.height) {
      this.width = w;
      this.height = h;
      this.renderer.setSize(w, h, false);
      this.camera.aspect = w / Math.max(1, h);
      this.camera.updateProjectionMatrix();
      this.dirty = true;
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.renderer.render(this.scene, this.camera);
    this.renders++;
    this.placeLabels(w, h);
  }

  private tool(name: string): Tool {
    let t = this.tools.get(name);
    if (t) return t;
    const color = PALETTE[this.tools.size % PALETTE.length]!;
    const group = new Group();
    group.matrixAutoUpdate = false;
    const axes = new AxesHelper(40);
    // Transparent from the start: three.js compiles an opaque material's shader with its alpha
    // fixed at 1, so making it transparent later (setStale) would change nothing on screen.
    (axes.material as LineBasicMaterial).transparent = true;
    group.add(axes);
    const positions = new Float32Array(TRAIL * 3);
    const geometry = new BufferGeometry();
    geometry.setAttribute('position', new BufferAttribute(positions, 3));
    geometry.setDrawRange(0, 0);
    const trail = new Line(geometry, new LineBasicMaterial({ color, transparent: true, opacity: TRAIL_OPACITY }));
    trail.frustumCulled = false;
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = name;
    label.style.color = color;
    this.labels.append(label);
    t = { group, axes, trail, positions, count: 0, label, color, position: new Vector3(), stale: false };
    this.tools.set(name, t);
    this.scene.add(group, trail);
    return t;
  }

  /** HTML labels next to each triad, kept inside the view (never clipped at its edge). */
  private placeLabels(w: number, h: number): void {
    const v = new Vector3();
    for (const t of this.tools.values()) {
      v.copy(t.position).project(this.camera);
      const behind = v.z > 1;
      const lw = t.label.offsetWidth;
      const lh = t.label.offsetHeight;
      const x = Math.min(Math.max(4, ((v.x + 1) / 2) * w + 8), w - lw - 4);
      const y = Math.min(Math.max(4, ((1 - v.y) / 2) * h - lh - 4), h - lh - 4);
      t.label.style.transform = `translate(${x.toFixed(0)}px, ${y.toFixed(0)}px)`;
      t.label.hidden = behind;
    }
  }

  /** Composes the probe pose with the image matrix (tracked ultrasound). */
  static tracked(probe: Mat4, image: Mat4): Mat4 {
    return multiply(probe, image);
  }
}
