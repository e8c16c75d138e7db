// src/app/link-state.component.ts
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { UNKNOWN_PEER_STATE, type ConnectionState, type PeerState } from 'igtl-rx';
import { IgtlService } from './igtl.service.js';

/** One line for this page's link to the bridge, one for the bridge's link to the tracker. */
function describeLink(s: ConnectionState): string {
  switch (s.kind) {
    case 'reconnecting':
      return `reconnecting (attempt ${s.attempt}, in ${(s.delayMs / 1000).toFixed(1)} s)`;
    case 'stale':
      return `stale (silent ${(s.silentMs / 1000).toFixed(1)} s)`;
    case 'closed':
      return s.reason ? `closed: ${s.reason.message}` : 'closed';
    default:
      return s.kind;
  }
}

function describePeer(p: PeerState): string {
  switch (p.kind) {
    case 'unknown':
      return 'unknown (no bridge)';
    case 'open':
      return `open (${p.remote})`;
    case 'stale':
      return `stale: no data for ${(p.silentMs / 1000).toFixed(1)} s`;
    case 'reconnecting':
      return `down, reconnecting (attempt ${p.attempt})${p.reason ? `: ${p.reason.message}` : ''}`;
    case 'closed':
      return p.reason ? `closed: ${p.reason.message}` : 'closed';
    default:
      return p.kind;
  }
}

/**
 * Bridge and tracker state, with signals: toSignal() subscribes in the constructor's injection
 * context and unsubscribes when the component is destroyed.
 */
@Component({
  selector: 'igtl-link-state',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <span class="link" [attr.data-kind]="state().kind">bridge: {{ link() }}</span>
    <span class="peer" [attr.data-kind]="peer().kind">tracker: {{ tracker() }}</span>
  `,
  styles: `
    :host { display: flex; gap: 1.5em; font: 14px system-ui, sans-serif; }
    [data-kind='open'] { color: #0a7d32; }
    [data-kind='stale'], [data-kind='connecting'], [data-kind='reconnecting'] { color: #a86400; }
    [data-kind='closed'], [data-kind='unknown'] { color: #b00020; }
  `,
})
export class LinkStateComponent {
  private readonly igtl = inject(IgtlService);
  readonly state = toSignal(this.igtl.state$, { initialValue: { kind: 'idle' } as ConnectionState });
  readonly peer = toSignal(this.igtl.peerState$, { initialValue: UNKNOWN_PEER_STATE });
  readonly link = computed(() => describeLink(this.state()));
  readonly tracker = computed(() => describePeer(this.peer()));
}
