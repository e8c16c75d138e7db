// From tracking messages to tool positions: the page's only OpenIGTLink-specific logic.
import type { IgtlMessage } from '../../src/index.js';

/** Where one tool is, in mm (the translation of its pose). */
export interface ToolPosition {
  readonly tool: string;
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

/** Tracking types the page shows. */
export const TRACKING_TYPES = ['TRANSFORM', 'POSITION', 'TDATA', 'QTDATA'] as const;

/**
 * The tool a tracking message is about: its device name, or for a TDATA/QTDATA message split
 * into one element per message (`splitElements()`), the element's name.
 */
export function toolOf(msg: IgtlMessage): string {
  if ((msg.type === 'TDATA' || msg.type === 'QTDATA') && msg.content.elements.length === 1) return msg.content.elements[0]!.name;
  return msg.deviceName;
}

/** The position in a (split) tracking message, or undefined for other messages. */
export function positionOf(msg: IgtlMessage): ToolPosition | undefined {
  const tool = toolOf(msg);
  switch (msg.type) {
    case 'TRANSFORM': {
      const m = msg.content.matrix;
      return { tool, x: m[3]!, y: m[7]!, z: m[11]! };
    }
    case 'POSITION': {
      const [x, y, z] = msg.content.position;
      return { tool, x, y, z };
    }
    case 'TDATA': {
      const m = msg.content.elements[0]?.matrix;
      return m && { tool, x: m[3]!, y: m[7]!, z: m[11]! };
    }
    case 'QTDATA': {
      const p = msg.content.elements[0]?.position;
      return p && { tool, x: p[0], y: p[1], z: p[2] };
    }
    default:
      return undefined;
  }
}
