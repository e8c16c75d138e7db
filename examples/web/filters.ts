// Toggles for the bridge's per-client filters: one per message type seen, and a rate. A change
// reconnects with the new query parameters (`?type=...&device=...&rate=...`): the bridge then
// filters and throttles for this page. Device toggles are the checkboxes of the device list.
import type { BridgeFilter } from './params.js';

/** The type chips and the rate selector. */
export class FilterBar {
  private readonly types = new Set<string>();
  private readonly excludedTypes = new Set<string>();
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly chips: HTMLElement,
    private readonly rateSelect: HTMLSelectElement,
    private readonly summary: HTMLElement,
    initial: BridgeFilter,
  ) {
    this.initialTypes = new Set(initial.types);
    for (const t of initial.types) this.addType(t);
    if (initial.rate !== undefined) {
      const v = String(initial.rate);
      if (![...rateSelect.options].some((o) => o.value === v)) rateSelect.add(new Option(`${v} Hz`, v));
      rateSelect.value = v;
    }
    rateSelect.addEventListener('change', () => this.changed());
  }
  private readonly initialTypes: Set<string>;

  /** A type seen on the connection gets a toggle. */
  addType(type: string): void {
    if (this.types.has(type)) return;
    this.types.add(type);
    const label = document.createElement('label');
    label.className = 'chip';
    label.dataset.type = type;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = this.initialTypes.size === 0 || this.initialTypes.has(type);
    if (!box.checked) this.excludedTypes.add(type);
    box.addEventListener('change', () => {
      if (box.checked) this.excludedTypes.delete(type);
      else this.excludedTypes.add(type);
      this.changed();
    });
    label.append(box, type);
    const after = [...this.chips.children].find((c) => ((c as HTMLElement).dataset.type ?? '') > type);
    this.chips.insertBefore(label, after ?? null);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The types and rate asked of the bridge (all types ticked: no type filter). */
  typesAndRate(): { types: string[]; rate: number | undefined } {
    const types = this.excludedTypes.size === 0 ? [] : [...this.types].filter((t) => !this.excludedTypes.has(t));
    const rate = Number(this.rateSelect.value);
    return { types, rate: rate > 0 ? rate : undefined };
  }

  /** Shows the filter in force. */
  describe(f: BridgeFilter): void {
    const parts: string[] = [];
    if (f.types.length > 0) parts.push(`type=${f.types.join(',')}`);
    if (f.devices.length > 0) parts.push(`device=${f.devices.join(',')}`);
    if (f.rate !== undefined) parts.push(`rate=${f.rate}`);
    this.summary.textContent = parts.length > 0 ? `bridge filter: ${parts.join(' ')}` : 'bridge filter: none (everything)';
    this.summary.dataset.filter = parts.join('&');
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
