import { connectTcp } from 'igtl-rx/node';
import { ofType, ofDevice, throttleTracking } from 'igtl-rx/operators';

// PLUS names the stylus StylusToTracker; `npm run demo`'s simulator names it Stylus.
const plus = connectTcp({ host: '127.0.0.1', port: 18944 });
plus
  .pipe(ofType('TRANSFORM'), ofDevice('Stylus*'), throttleTracking(30))
  .subscribe(({ deviceName, content: { matrix: m } }) => console.log(deviceName, [m[3], m[7], m[11]]));
plus.state$.subscribe((s) => console.log('connection', s.kind)); // open, stale (no data for 3 s), reconnecting, ...
plus.errors$.subscribe((e) => console.warn(e.code, e.message));
