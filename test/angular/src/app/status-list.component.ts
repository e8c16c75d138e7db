// src/app/status-list.component.ts
import { AsyncPipe, DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { IgtlService } from './igtl.service.js';

/** The last STATUS messages of the peer, newest first. */
@Component({
  selector: 'igtl-status-list',
  imports: [AsyncPipe, DatePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <ol>
      @for (status of status$ | async; track $index) {
        <li>{{ status.timestamp.toDate() | date: 'mediumTime' }} {{ status.deviceName }}: {{ status.content.statusMessage }}</li>
      }
    </ol>
  `,
})
export class StatusListComponent {
  private readonly igtl = inject(IgtlService);
  readonly status$ = this.igtl.status$;
}
