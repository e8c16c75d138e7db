// src/app/tool-table.component.ts
import { AsyncPipe, DecimalPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { IgtlService } from './igtl.service.js';

/**
 * Every tool's position and rate, greyed out while the data is not live (bridge or tracker down,
 * or the tracker silent), and a tool's row on its own while that tool has no pose (out of the
 * camera's view). The async pipe subscribes, and unsubscribes on destroy.
 */
@Component({
  selector: 'igtl-tool-table',
  imports: [AsyncPipe, DecimalPipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let live = (live$ | async) ?? false;
    @let rates = rates$ | async;
    @let staleTools = staleTools$ | async;
    <table [class.stale]="!live" [attr.data-live]="live">
      <tr><th>tool</th><th>x</th><th>y</th><th>z</th><th>Hz</th></tr>
      @for (tool of tools$ | async; track tool.name) {
        @let lost = staleTools?.has(tool.name) ?? false;
        <tr [class.stale]="lost" [attr.data-tool]="tool.name" [attr.data-stale]="lost">
          <td>{{ tool.name }}</td>
          <td>{{ tool.x | number: '1.1-1' }}</td>
          <td>{{ tool.y | number: '1.1-1' }}</td>
          <td>{{ tool.z | number: '1.1-1' }}</td>
          <td>{{ live && !lost ? (rates?.get(tool.name) | number: '1.0-0') : '–' }}</td>
        </tr>
      }
    </table>
  `,
  styles: `
    td { text-align: right; font-variant-numeric: tabular-nums; padding: 0 0.5em; }
    .stale { opacity: 0.4; }
  `,
})
export class ToolTableComponent {
  private readonly igtl = inject(IgtlService);
  readonly tools$ = this.igtl.tools$;
  readonly rates$ = this.igtl.rates$;
  readonly live$ = this.igtl.live$;
  readonly staleTools$ = this.igtl.staleTools$;
}
