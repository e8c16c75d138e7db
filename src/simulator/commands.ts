// The simulator's v3 COMMANDs (OpenIGTLink Documents/Protocol/command.md; docs/operators.md#command): a handful of PLUS-style commands, with
// replies in PLUS's form: RTS_COMMAND with the same COMMAND_ID and name,
// `<CommandReply Name=".." Status="SUCCESS|FAIL" [Error=".."] Message=".." .../>` and the same
// facts as metadata (Status, Message, Error, plus command-specific entries).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { createMessage } from '../protocol/message.js';
import { metadataOf } from '../protocol/metadata.js';
import { defaultEncodingFor } from '../protocol/text.js';
import { Timestamp } from '../protocol/timestamp.js';
import type { CommandMessage, RtsCommandMessage } from '../protocol/types.js';

/** What a command can see and change of the simulator. */
export interface CommandContext {
  /** Image stream rate in Hz. */
  imageRateHz: number;
  /** Tracking stream rate in Hz. */
  trackingRateHz: number;
  /** Highest rates the simulator accepts. */
  readonly maxImageRateHz: number;
  readonly maxTrackingRateHz: number;
  /** Tool names. */
  readonly tools: readonly string[];
  /** Device names of the tracker (TDATA) and of the image stream. */
  readonly deviceIds: readonly string[];
  /** The current pose of a tool (row-major 4x4; out of view: its last), undefined for an unknown name. */
  poseOf(tool: string): readonly number[] | undefined;
  /** The tool's status as PLUS writes it: `OK`, or `OUT_OF_VIEW` while out of view. */
  statusOf(tool: string): string;
  /** The fake recording: its file while recording. */
  recording: { readonly file: string; readonly startedAt: number } | undefined;
  /** Current time in ms (the simulator's scheduler). */
  now(): number;
}

/** The result of a command. */
export interface CommandOutcome {
  readonly status: 'SUCCESS' | 'FAIL';
  readonly message: string;
  readonly error?: string;
  /** Command-specific results: extra XML attributes and metadata entries. */
  readonly results?: Readonly<Record<string, string>>;
}

/** Commands the simulator answers itself (`Version` is answered by the server's housekeeping). */
export const SIMULATOR_COMMANDS = [
  'GetFrameRate', 'SetFrameRate', 'GetTrackingRate', 'SetTrackingRate', 'StartRecording', 'StopRecording',
  'GetTransform', 'RequestDeviceIds',
] as const;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, parseAttributeValue: false, htmlEntities: true });

/** Attributes of the root element of a command's XML text (empty when it is not XML). */
export function commandAttributes(text: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  if (text.trim() === '' || XMLValidator.validate(text) !== true) return out;
  let nodes: unknown;
  try {
    nodes = parser.parse(text);
  } catch {
    return out;
  }
  if (!Array.isArray(nodes)) return out;
  for (const node of nodes as Record<string, unknown>[]) {
    const tag = Object.keys(node).find((k) => k !== ':@');
    if (tag === undefined || tag.startsWith('?') || tag.startsWith('#')) continue;
    for (const [key, value] of Object.entries((node[':@'] ?? {}) as Record<string, unknown>)) out.set(key, String(value));
    break;
  }
  return out;
}

function ok(message: string, results?: Record<string, string>): CommandOutcome {
  return results ? { status: 'SUCCESS', message, results } : { status: 'SUCCESS', message };
}

function fail(error: string): CommandOutcome {
  return { status: 'FAIL', message: error, error };
}

/** A rate attribute as a number in (0, max], or undefined. */
function rateIn(text: string | undefined, max: number): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const v = Number(text);
  return Number.isFinite(v) && v > 0 && v <= max ? v : undefined;
}

/**
 * Runs a command. Returns undefined for `Version` (the server's housekeeping answers it) and the
 * outcome for everything else; an unknown name fails with `Error="Unknown command: <name>"`.
 * The name comes from COMMAND_NAME, or from the XML `Name` attribute when COMMAND_NAME is empty.
 */
export function runCommand(name: string, attributes: ReadonlyMap<string, string>, ctx: CommandContext): CommandOutcome | undefined {
  switch (name) {
    case 'Version':
      return undefined;
    case 'GetFrameRate':
      return ok(String(ctx.imageRateHz), { FrameRate: String(ctx.imageRateHz) });
    case 'SetFrameRate': {
      const rate = rateIn(attributes.get('FrameRate'), ctx.maxImageRateHz);
      if (rate === undefined) return fail(`FrameRate must be a number in (0, ${ctx.maxImageRateHz}], got ${JSON.stringify(attributes.get('FrameRate') ?? '')}`);
      ctx.imageRateHz = rate;
      return ok(`Frame rate set to ${rate}`, { FrameRate: String(rate) });
    }
    case 'GetTrackingRate':
      return ok(String(ctx.trackingRateHz), { TrackingRate: String(ctx.trackingRateHz) });
    case 'SetTrackingRate': {
      const rate = rateIn(attributes.get('TrackingRate'), ctx.maxTrackingRateHz);
      if (rate === undefined) return fail(`TrackingRate must be a number in (0, ${ctx.maxTrackingRateHz}], got ${JSON.stringify(attributes.get('TrackingRate') ?? '')}`);
      ctx.trackingRateHz = rate;
      return ok(`Tracking rate set to ${rate}`, { TrackingRate: String(rate) });
    }
    case 'StartRecording': {
      if (ctx.recording) return fail(`Already recording to ${ctx.recording.file}`);
      const file = attributes.get('OutputFilename') || 'SimulatorRecording.igtl';
      ctx.recording = { file, startedAt: ctx.now() };
      return ok(`Recording to ${file} started (simulated: nothing is written)`, { OutputFilename: file });
    }
    case 'StopRecording': {
      const rec = ctx.recording;
      if (!rec) return fail('Not recording');
      ctx.recording = undefined;
      const seconds = ((ctx.now() - rec.startedAt) / 1000).toFixed(1);
      return ok(`Recording to ${rec.file} stopped after ${seconds} s`, { OutputFilename: rec.file });
    }
    case 'GetTransform': {
      const requested = attributes.get('TransformName') ?? '';
      // PLUS names transforms <From>To<To>; accept "StylusToTracker" as well as "Stylus".
      const tool = ctx.tools.find((t) => t === requested || `${t}ToTracker` === requested);
      const matrix = tool === undefined ? undefined : ctx.poseOf(tool);
      if (!matrix) return fail(`No transform named ${JSON.stringify(requested)}; known: ${ctx.tools.map((t) => `${t}ToTracker`).join(', ')}`);
      const value = matrix.map((v) => String(Math.round(v * 1e6) / 1e6)).join(' ');
      return ok(value, { TransformName: `${tool}ToTracker`, TransformValue: value, TransformStatus: ctx.statusOf(tool!) });
    }
    case 'RequestDeviceIds':
      return ok(ctx.deviceIds.join(','));
    default:
      return fail(`Unknown command: ${name}`);
  }
}

/** Text escaped for an XML attribute value. */
function xmlAttr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}

/**
 * The RTS_COMMAND answering `request` with `outcome`: same COMMAND_ID, name and device name, the
 * request's MSG_ID echoed in v3 framing, the outcome in XML attributes and in metadata (a v1
 * client gets the reply in legacy framing, where only the XML survives).
 */
export function commandReply(request: CommandMessage, name: string, outcome: CommandOutcome, timestamp: Timestamp = Timestamp.now()): RtsCommandMessage {
  const entries: [string, string][] = [['Status', outcome.status], ['Message', outcome.message]];
  if (outcome.error !== undefined) entries.push(['Error', outcome.error]);
  for (const [k, v] of Object.entries(outcome.results ?? {})) entries.push([k, v]);
  const attrs = [['Name', name], ['Status', outcome.status], ...(outcome.error !== undefined ? [['Error', outcome.error]] : []), ['Message', outcome.message], ...Object.entries(outcome.results ?? {})];
  const command = `<CommandReply ${attrs.map(([k, v]) => `${k}="${xmlAttr(v!)}"`).join(' ')} />`;
  return createMessage(
    'RTS_COMMAND',
    { commandId: request.content.commandId, commandName: request.content.commandName, encoding: defaultEncodingFor(command), command },
    {
      deviceName: request.deviceName,
      timestamp,
      headerVersion: 2,
      messageId: request.headerVersion === 2 ? request.messageId : 0,
      metadata: metadataOf(entries),
    },
  );
}
