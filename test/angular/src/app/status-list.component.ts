// status-list.component.ts
import { AsyncPipe, DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { IgtlService } from './igtl.service.js';

/** The connection state and the last STATUS messages. */
@Component({
  selector: 'igtl-status-list',
  imports: [AsyncPipe, DatePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (state$ | async; as state) {
      <p [class]="state.kind">{{ state.kind }}</p>
    }
    <ol>
      @for (status of status$ | async; track $index) {
        <li>{{ status.timestamp.toDate() | date: 'mediumTime' }} {{ status.deviceName }}: {{ status.content.statusMessage }}</li>
      }
    </ol>
  `,
})
export class StatusListComponent {
  private readonly igtl = inject(IgtlService);
  readonly state$ = this.igtl.state$;
  readonly status$ = this.igtl.status$;
}
