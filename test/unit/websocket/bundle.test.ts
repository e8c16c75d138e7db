// The isomorphic entry (with the WebSocket transport) must bundle for browsers as it is: no Node
// built-ins, no polyfills, no `ws`. esbuild fails a browser build that reaches a Node built-in.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function bundle(entry: string) {
  return build({
    // The workbench page imports uPlot's stylesheet; only the JavaScript graph matters here.
    loader: { '.css': 'empty' },
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
}

describe('browser bundle', () => {
  it('bundles src/index.ts for platform browser with no polyfills and no Node built-ins', async () => {
    const result = await bundle('src/index.ts');
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('src/transport/websocket.ts');
    expect(inputs.some((i) => i.includes('reconnecting-websocket'))).toBe(true);
    // Neither ws (Node only) nor any Node transport comes along.
    expect(inputs.filter((i) => /node_modules\/ws\/|src\/transport\/(tcp|tls|udp|server|socket-channel)\.ts|src\/bridge\//.test(i))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\brequire\(["'](node:)?(net|tls|dgram|http|https|fs|path|stream|events|crypto|util|os)["']\)/);
    expect(code).not.toMatch(/from ["']node:/);
    expect(code).toContain('connectWebSocket');
  });

  it('bundles the example page for platform browser', async () => {
    const result = await bundle('examples/web/main.ts');
    expect(result.errors).toEqual([]);
    expect(Object.keys(result.metafile.inputs).filter((i) => /node_modules\/ws\//.test(i))).toEqual([]);
  });

  it('a browser bundle that reaches a Node built-in fails (the check above has teeth)', async () => {
    await expect(bundle('src/node.ts')).rejects.toThrow(/Could not resolve \"node:|built into node/i);
  });
});
