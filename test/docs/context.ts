// What each ```ts block of the README and docs needs around it to compile, and, for the blocks
// that can run against the simulator, what runs them. A block is named by its file and its first
// line; snippets.test.ts fails on a block that has no entry here and on an entry that names no
// block, so a new or changed block must be looked at.

/** Context of one block. */
export interface SnippetContext {
  readonly file: string;
  /** The block's first line, exactly. */
  readonly first: string;
  /** Declarations put before the block for the type-check (what the surrounding prose assumes). */
  readonly prelude?: string;
  /**
   * Elided code (`...` in the docs, "your code here") and what stands in for it in the test.
   * Only exact strings; the test fails when one is not in the block.
   */
  readonly elisions?: readonly (readonly [string, string])[];
  /** Runs the block against a simulator (127.0.0.1:18944 in the text is its port). */
  readonly run?: {
    /** Definitions put before the block (real ones, not `declare`s). */
    readonly prelude?: string;
    /** Code after the block that waits for what the block does, prints SNIPPET-OK and exits 0. */
    readonly suffix: string;
  };
}

const conn = `import type { IgtlConnection } from 'igtl-rx';\ndeclare const conn: IgtlConnection;\n`;
const ops = (...names: string[]) => `import { ${names.join(', ')} } from 'igtl-rx/operators';\n`;
const rx = (...names: string[]) => `import { ${names.join(', ')} } from 'rxjs';\n`;
const core = (...names: string[]) => `import { ${names.join(', ')} } from 'igtl-rx';\n`;
/** docs/guide.md step 1, which the later steps build on (the connection, subscribed). */
const guideStep1 = `import { connectTcp as __connectTcp } from 'igtl-rx/node';\nconst conn = __connectTcp({ host: '127.0.0.1', port: 18944 });\nconn.subscribe(() => {});\n`;
/** Waits for a condition, prints SNIPPET-OK and exits (10 s at most). */
const finish = (cond: string) =>
  `\n{ const __t0 = Date.now(); while (!(${cond})) { if (Date.now() - __t0 > 10_000) { console.error('SNIPPET-TIMEOUT'); process.exit(2); } await new Promise((r) => setTimeout(r, 10)); } console.log('SNIPPET-OK'); process.exit(0); }\n`;

export const CONTEXTS: readonly SnippetContext[] = [
  // README: examples/readme.ts (docs.test.ts) run by test/e2e/readme-example.test.ts.
  { file: 'README.md', first: "import { connectTcp } from 'igtl-rx/node';" },

  // docs/cli.md: what `monitor` does, in library calls; `conn`, `tool` and `rate` are its inputs.
  {
    file: 'docs/cli.md',
    first: "const tracking = conn.pipe(ofType('TDATA', 'TRANSFORM'), share());",
    prelude: conn + rx('merge', 'share', 'zip') + ops('measureRate', 'ofDevice', 'ofElement', 'ofType', 'splitElements', 'stream', 'throttleTracking', 'validPoses', 'watchFreshness') + 'declare const tool: string;\ndeclare const rate: number;\n',
  },
  {
    file: 'docs/cli.md',
    first: "replay('session.igtl', { speed: Infinity })",
    prelude: "import { replay } from 'igtl-rx/node';\n" + ops('ofElement', 'ofType', 'splitElements', 'throttleTracking') + 'declare function show(m: unknown): void;\n',
    elisions: [['.subscribe(...)', '.subscribe(show)']],
  },

  {
    file: 'docs/connections.md',
    first: "import { connectTcp, createMessage } from 'igtl-rx/node';",
    prelude: 'declare function render(m: readonly number[]): void;\n',
    run: {
      prelude: 'let __rendered = 0;\nconst render = (m: readonly number[]) => { if (m.length === 16) __rendered++; };\n',
      // The simulator's stylus is `Stylus`: the block's filter lets nothing through there, so
      // the run checks the connection opened and the GET_STATUS went out.
      suffix: finish("conn.state.kind === 'open'") ,
    },
  },
  {
    file: 'docs/connections.md',
    first: "import { createServer } from 'igtl-rx/node';",
    prelude: core('type IgtlMessage') + 'declare function pose(): IgtlMessage;\n',
  },

  {
    file: 'docs/performance.md',
    first: "import { createMessage, createServer, Timestamp } from 'igtl-rx/node';",
    prelude: 'declare function stylusPose(): number[];\ndeclare function probePose(): number[];\n',
  },

  {
    file: 'docs/custom-types.md',
    first: "import { MalformedMessageError, registerCodec, type ContentCodec } from 'igtl-rx';",
    run: {
      suffix:
        core('createMessage as __create', 'decodeMessage as __decode', 'encodeMessage as __encode') +
        "const __back = __decode(__encode(__create('FORCE', { newtons: [1, 2.5, -3] }, { deviceName: 'F' })));\n" +
        "if (__back.type !== 'FORCE' || __back.content.newtons.join() !== '1,2.5,-3') throw new Error(`FORCE round trip: ${JSON.stringify(__back)}`);\n" +
        finish('true'),
    },
  },

  {
    file: 'docs/guide.md',
    first: "import { connectTcp } from 'igtl-rx/node';",
    run: { suffix: rx('firstValueFrom as __first') + 'await __first(conn);\n' + finish('true') },
  },
  {
    file: 'docs/guide.md',
    first: 'conn.subscribe((msg) => {',
    prelude: conn,
    run: { prelude: guideStep1, suffix: rx('firstValueFrom as __first', 'filter as __filter') + "await __first(conn.pipe(__filter((m) => m.type === 'TRANSFORM')));\n" + finish('true') },
  },
  {
    file: 'docs/guide.md',
    first: "import { ofType, ofDevice, throttleTracking, measureRate } from 'igtl-rx/operators';",
    prelude: conn + 'declare function render(m: readonly number[]): void;\n',
    run: {
      prelude: guideStep1 + 'let __rendered = 0;\nconst render = (m: readonly number[]) => { if (m.length === 16) __rendered++; };\n',
      suffix: finish('__rendered >= 3'),
    },
  },
  {
    file: 'docs/guide.md',
    first: "import { firstValueFrom } from 'rxjs';",
    prelude: conn,
    run: {
      prelude: guideStep1,
      suffix:
        "if (status.type !== 'STATUS') throw new Error(`GET_STATUS answered with ${status.type}`);\n" +
        "if (reply.status !== 'SUCCESS') throw new Error(`GetFrameRate: ${reply.status}`);\n" +
        'const __tdata = await firstValueFrom(tdata$);\n' +
        "if (__tdata.type !== 'TDATA') throw new Error('no TDATA');\n" +
        finish('true'),
    },
  },
  {
    file: 'docs/guide.md',
    first: "import { createMessage, IDENTITY } from 'igtl-rx';",
    prelude: conn,
    run: { prelude: guideStep1, suffix: finish('true') },
  },
  {
    file: 'docs/guide.md',
    first: "import { connectWebSocket } from 'igtl-rx';",
    prelude: 'declare function draw(m: readonly number[]): void;\n',
  },

  {
    file: 'docs/operators.md',
    first: "import { connectTcp } from 'igtl-rx/node';",
    prelude: 'declare const scene: { setPose(name: string, matrix: readonly number[]): void };\n',
  },
  { file: 'docs/operators.md', first: "conn.pipe(ofType('TRANSFORM', 'TDATA')).subscribe((m) => {", prelude: conn + ops('ofType') },
  {
    file: 'docs/operators.md',
    first: "conn.pipe(ofType('IMAGE'), ofDevice('Image_*')).subscribe(showImage);",
    prelude: conn + ops('ofDevice', 'ofType') + core('type ImageMessage') + 'declare function showImage(m: ImageMessage): void;\n',
  },
  { file: 'docs/operators.md', first: "conn.pipe(ofType('TDATA'), splitElements()).subscribe((m) => console.log(m.content.elements[0]!.name));", prelude: conn + ops('ofType', 'splitElements') },
  { file: 'docs/operators.md', first: '// A tool some peers send in TDATA and others as TRANSFORM:', prelude: conn + rx('merge') + ops('ofDevice', 'ofElement', 'ofType', 'splitElements', 'throttleTracking') },
  {
    file: 'docs/operators.md',
    first: "conn.pipe(ofType('TRANSFORM'), throttleTracking(60)).subscribe(render);",
    prelude: conn + ops('ofType', 'splitElements', 'throttleTracking') + core('type TransformMessage') + 'declare function render(m: TransformMessage): void;\n',
  },
  {
    file: 'docs/operators.md',
    first: "conn.pipe(ofType('TDATA'), splitElements(), measureRate()).subscribe(({ rates }) => {",
    prelude: conn + ops('measureRate', 'ofType', 'splitElements') + 'declare const dashboard: Map<string, string>;\n',
  },
  {
    file: 'docs/operators.md',
    first: "conn.pipe(ofType('TRANSFORM', 'TDATA'), splitElements(), watchFreshness({ staleAfterMs: 500 }))",
    prelude: conn + ops('ofType', 'splitElements', 'watchFreshness') + 'declare const scene: { setStale(key: string, stale: boolean): void };\n',
  },
  {
    file: 'docs/operators.md',
    first: "conn.pipe(ofType('TRANSFORM', 'TDATA'), validPoses(), splitElements(), watchFreshness({ staleAfterMs: 500 }))",
    prelude: conn + ops('ofType', 'splitElements', 'validPoses', 'watchFreshness') + 'declare const scene: { setStale(key: string, stale: boolean): void };\n',
  },
  {
    file: 'docs/operators.md',
    first: "const images$ = conn.pipe(ofType('IMAGE'), ofDevice('Image_Reference'));",
    prelude: conn + ops('ofDevice', 'ofType', 'pairByTimestamp') + core('type ImageContent') + 'declare const volume: { insert(image: ImageContent, matrix: readonly number[]): void };\n',
  },
  {
    file: 'docs/operators.md',
    first: "const reply = await firstValueFrom(query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'US' }), { timeoutMs: 2000 }));",
    prelude: conn + rx('firstValueFrom') + ops('query') + core('createMessage', 'type ImageContent') + 'declare function show(image: ImageContent): void;\n',
  },
  { file: 'docs/operators.md', first: "const { metadata } = await firstValueFrom(command(conn, 'Version'));", prelude: conn + rx('firstValueFrom') + ops('command') },
  {
    file: 'docs/operators.md',
    first: "stream(conn, 'TDATA', { resolutionMs: 20 })",
    prelude: conn + ops('ofElement', 'splitElements', 'stream', 'throttleTracking') + core('type TrackingDataMessage') + 'declare function draw(m: TrackingDataMessage): void;\n',
  },
  {
    file: 'docs/operators.md',
    first: '// Relay a tracker to 3D Slicer; when the link is slow, only the newest pose per device waits.',
    prelude: core('type IgtlConnection') + ops('ofType', 'sendTo', 'throttleTracking') + 'declare const tracker: IgtlConnection;\ndeclare const slicer: IgtlConnection;\n',
  },

  {
    file: 'docs/sequences.md',
    first: "import { readSequence, replaySequence, openSequence, writeSequence, replay } from 'igtl-rx/node';",
    prelude: 'declare function use(frame: unknown): void;\n',
    elisions: [['=> ...);', '=> use({ message, frame, time }));']],
  },
];
