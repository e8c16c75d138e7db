// The STATUS list: newest first, full text (wrapped, never cut), the last 50.
import { fullDeviceName, type StatusMessage } from '../../src/index.js';

const KEEP = 50;

export class StatusList {
  constructor(private readonly list: HTMLOListElement) {}

  add(msg: StatusMessage): void {
    const { code, subcode, errorName, statusMessage } = msg.content;
    const li = document.createElement('li');
    li.dataset.code = String(code);
    li.className = code === 1 ? 'ok' : 'bad';
    const time = msg.timestamp.isZero ? new Date() : msg.timestamp.toDate();
    const head = document.createElement('span');
    head.className = 'head';
    head.textContent = `${time.toLocaleTimeString()}  ${fullDeviceName(msg)}: ${code}${subcode !== 0n ? `/${subcode}` : ''} ${errorName}`;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = statusMessage;
    li.append(head, ' ', text);
    this.list.prepend(li);
    while (this.list.children.length > KEEP) this.list.lastElementChild!.remove();
  }
}
