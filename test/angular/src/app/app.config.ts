// src/app/app.config.ts
import { provideBrowserGlobalErrorListeners, provideZoneChangeDetection, type ApplicationConfig } from '@angular/core';
import { provideRouter } from '@angular/router';

import { routes } from './app.routes.js';
import { bridgeOfPage, provideIgtl } from './igtl.service.js';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZoneChangeDetection({ eventCoalescing: true }),
    provideRouter(routes),
    // Added for igtl-rx: where the bridge is, and how often the UI shows a pose.
    // The query asks the bridge for only what this app shows (docs/bridge.md, "Filters").
    provideIgtl({
      url: bridgeOfPage('?type=TRANSFORM,TDATA,STATUS', { devServer: 'ws://127.0.0.1:18945/' }),
      displayHz: 30,
    }),
  ],
};
