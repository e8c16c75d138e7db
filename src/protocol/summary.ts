// One-line human summaries of messages, for the CLI's readable output and the monitor.
import { wireType, type IgtlMessage } from './types.js';

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function shorten(text: string, max = 60): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The latest value of a message in short form: a translation, an image size, a status text... */
export function summarizeContent(msg: IgtlMessage): string {
  switch (msg.type) {
    case 'TRANSFORM': {
      const m = msg.content.matrix;
      return `t=(${fmt(m[3]!)}, ${fmt(m[7]!)}, ${fmt(m[11]!)})`;
    }
    case 'POSITION':
      return `p=(${msg.content.position.map(fmt).join(', ')})`;
    case 'IMAGE':
    case 'VIDEO':
      return `${msg.content.size.join('x')} ${msg.type === 'VIDEO' ? msg.content.codec : `type ${msg.content.scalarType}x${msg.content.numComponents}`}, ${msg.content.data.length} B`;
    case 'STATUS':
      return `${msg.content.code} ${msg.content.errorName} ${shorten(msg.content.statusMessage)}`.trim();
    case 'STRING':
      return JSON.stringify(shorten(msg.content.value));
    case 'COMMAND':
    case 'RTS_COMMAND':
      return `#${msg.content.commandId} ${msg.content.commandName} ${shorten(msg.content.command)}`;
    case 'TDATA':
      return msg.content.elements.map((e) => `${e.name}(${fmt(e.matrix[3]!)}, ${fmt(e.matrix[7]!)}, ${fmt(e.matrix[11]!)})`).join(' ');
    case 'QTDATA':
      return msg.content.elements.map((e) => `${e.name}(${e.position.map(fmt).join(', ')})`).join(' ');
    case 'POINT':
      return `${msg.content.points.length} points`;
    case 'TRAJ':
      return `${msg.content.trajectories.length} trajectories`;
    case 'IMGMETA':
      return `${msg.content.images.length} images`;
    case 'LBMETA':
      return `${msg.content.labels.length} labels`;
    case 'VIDEOMETA':
      return `${msg.content.videos.length} videos`;
    case 'CAPABILITY':
      return msg.content.types.join(' ');
    case 'SENSOR':
      return `[${msg.content.data.map(fmt).join(', ')}]`;
    case 'NDARRAY':
      return `${msg.content.size.join('x')} type ${msg.content.scalarType}`;
    case 'POLYDATA':
      return `${msg.content.points.length / 3} points, ${msg.content.polygons.length} polygons`;
    case 'BIND':
      return msg.content.children.map((c) => `${wireType(c)}:${c.deviceName}`).join(' ');
    case 'UNKNOWN':
      return `${msg.content.raw.length} B raw`;
    default:
      return 'status' in msg.content ? `status ${String(msg.content.status)}` : '';
  }
}

/** A one-line summary: type, device, framing, timestamp and the content in short form. */
export function summarize(msg: IgtlMessage): string {
  const ts = msg.timestamp.isZero ? '-' : msg.timestamp.toDate().toISOString();
  const id = msg.headerVersion === 2 ? ` #${msg.messageId}` : '';
  const meta = msg.metadata.size > 0 ? ` {${[...msg.metadata].map(([k, v]) => `${k}=${shorten(v.value, 24)}`).join(', ')}}` : '';
  return `${wireType(msg).padEnd(12)} ${JSON.stringify(msg.deviceName).padEnd(22)} v${msg.headerVersion}${id} ${ts}  ${summarizeContent(msg)}${meta}`;
}
