// Tools that leave the tracker's view now and then, as optical tools do when a hand or the
// patient gets in the way: for testing what a display does with a lost tool without a PLUS
// server. A lost tool is either not sent (PlusServer's default, SendValidTransformsOnly="TRUE",
// which still sends its POSITION: PackPositionMessage has no such check)
// or sent as PlusServer does with SendValidTransformsOnly="FALSE": a TRANSFORM with the identity
// and a POSITION at the origin (its GetIgtlMatrix returns the identity for a status other than
// OK), a TDATA/QTDATA element with the last pose, and the status in v3 metadata
// (`TransformStatus`/`TransformValid`, `<name>Status`/`<name>Index`, PlusLib
// vtkPlusIgtlMessageCommon.cxx PackTransformMessage, PackPositionMessage, PackTrackingDataMessage).
// Metadata travels in v3 framing only: a client that has not sent v3 gets legacy framing, in
// which nothing tells the identity from a pose, as from PLUS.

/** A tool out of view for the last `forMs` of every `everyMs` of simulation time. */
export interface OutOfView {
  /** The tool's name. */
  readonly tool: string;
  /** Period, ms (> 0). */
  readonly everyMs: number;
  /** Out of view for this long at the end of each period, ms (0 < forMs < everyMs). */
  readonly forMs: number;
}

/** What the simulator does with a lost tool: leave it out, or send it marked as PLUS does. */
export type LostToolPolicy = 'omit' | 'send';

/** The status a lost tool is sent with (igsioCommon ConvertToolStatusToString of TOOL_OUT_OF_VIEW). */
export const OUT_OF_VIEW_STATUS = 'OUT_OF_VIEW';

/** Checks `spec` against the tool names; RangeError when it cannot be followed. */
export function checkOutOfView(spec: OutOfView, tools: readonly string[]): void {
  if (!tools.includes(spec.tool)) throw new RangeError(`outOfView: no tool named ${JSON.stringify(spec.tool)} (tools: ${tools.join(', ')})`);
  if (!(spec.everyMs > 0) || !Number.isFinite(spec.everyMs)) throw new RangeError(`outOfView ${spec.tool}: everyMs must be a finite number > 0, got ${spec.everyMs}`);
  if (!(spec.forMs > 0 && spec.forMs < spec.everyMs)) throw new RangeError(`outOfView ${spec.tool}: forMs must be > 0 and < everyMs (${spec.everyMs}), got ${spec.forMs}`);
}

/**
 * When the tool went out of view, if it is out of view at simulation time `t` (ms), else
 * undefined: the start of the current out-of-view window.
 */
export function lostSince(spec: OutOfView, t: number): number | undefined {
  const phase = ((t % spec.everyMs) + spec.everyMs) % spec.everyMs;
  const from = spec.everyMs - spec.forMs;
  return phase >= from ? t - phase + from : undefined;
}
