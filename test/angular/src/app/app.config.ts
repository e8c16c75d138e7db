// app.config.ts
import { provideZoneChangeDetection, type ApplicationConfig } from '@angular/core';
import { IGTL_BRIDGE_URL, IGTL_DISPLAY_HZ } from './igtl.service.js';

export const appConfig: ApplicationConfig = {
  providers: [
    // Several events in one turn (e.g. WebSocket messages) give one change detection run.
    provideZoneChangeDetection({ eventCoalescing: true }),
    // The bridge filters for this app: only what it shows crosses the network.
    { provide: IGTL_BRIDGE_URL, useValue: 'ws://127.0.0.1:18945/?type=TRANSFORM,TDATA,STATUS' },
    { provide: IGTL_DISPLAY_HZ, useValue: 30 },
  ],
};
