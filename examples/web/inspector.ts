// The live inspector: the decoded fields and metadata of the selected device's newest message,
// refreshed a few times per second. Large arrays (pixels) are summarised, not printed.
import { fullDeviceName, wireType, type IgtlMessage } from '../../src/index.js';

const MAX_INLINE = 16;

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** A readable, indented rendering of a decoded value. */
export function describeValue(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number') return num(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    const len = (value as unknown as { length?: number }).length ?? value.byteLength;
    return `${name}(${len})`;
  }
  if (Array.isArray(value)) {
    if (value.length === 16 && value.every((v) => typeof v === 'number')) {
      // A 4x4 matrix, row by row.
      const rows = [0, 1, 2, 3].map((r) => value.slice(r * 4, r * 4 + 4).map((v: number) => num(v).padStart(10)).join(' '));
      return `[\n${rows.map((r) => `${indent}  ${r}`).join('\n')}\n${indent}]`;
    }
    if (value.length <= MAX_INLINE && value.every((v) => typeof v !== 'object' || v === null)) return `[${value.map((v) => describeValue(v)).join(', ')}]`;
    const shown = value.slice(0, MAX_INLINE).map((v) => `${indent}  ${describeValue(v, `${indent}  `)}`);
    if (value.length > MAX_INLINE) shown.push(`${indent}  … ${value.length - MAX_INLINE} more`);
    return `[\n${shown.join(',\n')}\n${indent}]`;
  }
  if (value instanceof Map) {
    return `{\n${[...value].map(([k, v]) => `${indent}  ${String(k)}: ${describeValue(v, `${indent}  `)}`).join('\n')}\n${indent}}`;
  }
  if (typeof value === 'object') {
    const toDate = (value as { toDate?: unknown }).toDate;
    if (typeof toDate === 'function' && 'isZero' in value) {
      const ts = value as { isZero: boolean; toDate(): Date };
      return ts.isZero ? '0 (not set)' : ts.toDate().toISOString();
    }
    const entries = Object.entries(value);
    return `{\n${entries.map(([k, v]) => `${indent}  ${k}: ${describeValue(v, `${indent}  `)}`).join('\n')}\n${indent}}`;
  }
  return String(value);
}

/** The inspector text of a message: header fields, metadata, content. */
export function describeMessage(msg: IgtlMessage): string {
  const lines = [
    `type:          ${wireType(msg)}`,
    `device:        ${JSON.stringify(fullDeviceName(msg))}`,
    ...(fullDeviceName(msg) !== msg.deviceName ? [`header name:   ${JSON.stringify(msg.deviceName)} (full name in IGTL_DEVICE_NAME)`] : []),
    `framing:       v${msg.headerVersion}${msg.headerVersion === 2 ? ` (message id ${msg.messageId})` : ''}`,
    `timestamp:     ${describeValue(msg.timestamp)}`,
  ];
  if (msg.metadata.size > 0) {
    lines.push('metadata:');
    for (const [k, v] of msg.metadata) lines.push(`  ${k} = ${JSON.stringify(v.value)}`);
  } else lines.push('metadata:      (none)');
  lines.push(`content:       ${describeValue(msg.content)}`);
  return lines.join('\n');
}

/** The inspector panel. */
export class Inspector {
  private message: IgtlMessage | undefined;
  private shown: IgtlMessage | undefined;
  private lastRender = 0;

  constructor(
    private readonly title: HTMLElement,
    private readonly body: HTMLElement,
  ) {}

  show(msg: IgtlMessage | undefined): void {
    this.message = msg;
  }

  /** Redraws at most 5 times per second, only when the message changed. */
  render(now: number): void {
    if (this.message === this.shown || now - this.lastRender < 200) return;
    this.lastRender = now;
    this.shown = this.message;
    const m = this.message;
    this.title.textContent = m ? `${wireType(m)} ${fullDeviceName(m)}` : 'click a device';
    this.body.textContent = m ? describeMessage(m) : '';
  }
}
