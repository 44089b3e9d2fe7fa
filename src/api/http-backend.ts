// Which HTTP server serves the fronts of this thread. uWebSockets.js is the
// fast one, but its native builds exist only for some Node ABIs, platforms
// and C libraries, and the pure-JS emulation the npm build falls back to
// silently is slower than node:http and breaks on Node 24 (its getQuery
// throws "Invalid URL"). So: a native uWS build where one loads, else our
// own binding over node:http, never the emulation. Measured on Debian 12
// (glibc 2.36): Node 20 loads the pinned build natively; Node 22, 24 and 26
// get node:http (the newer builds need glibc 2.38; none exists for Node 26's
// ABI yet).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type uWSModule from 'uWebSockets.js';

export type UwsModule = typeof uWSModule;

/** What serves HTTP: a native uWS build (and which package), or node:http. */
export type HttpServerKind = 'uws' | 'node-http';

export interface HttpBackend {
  kind: HttpServerKind;
  /** For logs, /status and the bench result file: e.g. "uws (uWebSockets.js native, ABI 115)" or "node:http". */
  description: string;
  /** The loaded native module, for kind 'uws'. */
  uws?: UwsModule;
}

const require = createRequire(import.meta.url);

/** Native uWS builds, in order of preference: the pinned one, then the optional newer one. */
const NATIVE_PACKAGES = ['uWebSockets.js', '@btc-vision/uwebsockets.js'] as const;

let chosen: HttpBackend | undefined;

/**
 * The backend of this thread, chosen once. `RAFTKV_HTTP_SERVER=node-http`
 * (or `uws`) forces one; forcing uws where no native build loads is an error.
 */
export function httpBackend(): HttpBackend {
  chosen ??= choose(process.env.RAFTKV_HTTP_SERVER);
  return chosen;
}

function choose(forced: string | undefined): HttpBackend {
  if (forced !== undefined && forced !== '' && forced !== 'uws' && forced !== 'node-http') {
    throw new Error(`RAFTKV_HTTP_SERVER must be "uws" or "node-http", not ${JSON.stringify(forced)}`);
  }
  const failures: string[] = [];
  if (forced !== 'node-http') {
    for (const name of NATIVE_PACKAGES) {
      const loaded = loadNative(name, failures);
      if (loaded) return { kind: 'uws', description: `uws (${name} native, ABI ${process.versions.modules})`, uws: loaded };
    }
    if (forced === 'uws') throw new Error(`RAFTKV_HTTP_SERVER=uws, but no native uWebSockets.js build loads here: ${failures.join('; ')}`);
  }
  return { kind: 'node-http', description: forced === 'node-http' ? 'node:http (forced by RAFTKV_HTTP_SERVER)' : 'node:http (no native uWebSockets.js build for this Node ABI and platform)' };
}

/** A native build of `name`, or undefined (with why in `failures`) when the package is absent or has none that loads. */
function loadNative(name: string, failures: string[]): UwsModule | undefined {
  let dir: string;
  try {
    // The package's main file: its package.json may not be exported (the newer build's is not).
    dir = path.dirname(require.resolve(name));
  } catch {
    failures.push(`${name}: not installed`);
    return undefined;
  }
  const binary = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  // The pinned package keeps its builds in binaries/, beside its src/, and
  // would fall back to its JS emulation, with warnings, when the file is
  // missing: look first. The newer one keeps them beside its main file.
  const candidates = [path.join(dir, binary), path.join(dir, '..', 'binaries', binary)];
  if (!candidates.some((f) => existsSync(f))) {
    failures.push(`${name}: no ${binary}`);
    return undefined;
  }
  try {
    const m = require(name) as UwsModule;
    // Only a native build has close() on its apps (the emulation has none).
    const probe = m.App() as { close?: () => void };
    if (typeof probe.close !== 'function') {
      failures.push(`${name}: not a native build`);
      return undefined;
    }
    probe.close();
    return m;
  } catch (e) {
    failures.push(`${name}: ${(e instanceof Error ? e.message : String(e)).split('\n').filter((l) => l.trim() !== '').pop() ?? 'does not load'}`);
    return undefined;
  }
}
