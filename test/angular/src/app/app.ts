// src/app/app.ts
import { Component } from '@angular/core';
import { RouterOutlet } from '@angular/router';
import { LinkStateComponent } from './link-state.component.js';
import { StatusListComponent } from './status-list.component.js';
import { ToolTableComponent } from './tool-table.component.js';

/** The root component: the CLI's `App`, with the igtl-rx components and an inline template. */
@Component({
  selector: 'app-root',
  imports: [RouterOutlet, LinkStateComponent, ToolTableComponent, StatusListComponent],
  template: `
    <header>
      <h1>igtl-rx</h1>
      <igtl-link-state />
    </header>
    <main>
      <igtl-tool-table />
      <igtl-status-list />
    </main>
    <router-outlet />
  `,
  styles: `
    :host { display: block; font: 14px system-ui, sans-serif; margin: 1em; }
    header { display: flex; align-items: baseline; gap: 2em; }
    main { display: flex; flex-wrap: wrap; gap: 2em; }
  `,
})
export class App {}
