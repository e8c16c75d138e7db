// src/app/proximity-alert.component.ts
import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Timestamp, createMessage } from 'igtl-rx';
import { IgtlService } from './igtl.service.js';

/**
 * Subscribes in code rather than with the async pipe: takeUntilDestroyed() ends the
 * subscription when the component is destroyed. Tells the peer (a STRING) when the tool comes
 * within `radiusMm` of the origin.
 */
@Component({
  selector: 'igtl-proximity-alert',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<p [class.near]="near()">{{ tool() }}: {{ near() ? 'near the target' : 'clear' }}</p>`,
})
export class ProximityAlertComponent {
  readonly tool = input('Stylus');
  readonly radiusMm = input(10);
  readonly near = signal(false);
  private readonly igtl = inject(IgtlService);

  constructor() {
    this.igtl.tools$.pipe(takeUntilDestroyed()).subscribe((tools) => {
      const t = tools.find((p) => p.name === this.tool());
      const near = t !== undefined && Math.hypot(t.x, t.y, t.z) < this.radiusMm();
      if (near && !this.near()) {
        void this.igtl.send(createMessage('STRING', { encoding: 3, value: `${t.name} near target` }, { deviceName: 'Alert', timestamp: Timestamp.now() }));
      }
      this.near.set(near);
    });
  }
}
