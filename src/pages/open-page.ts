// `--open`: hand a written page to the desktop's opener (xdg-open) without
// waiting for it to finish; without one, say where the page is.

import { spawn } from 'node:child_process';
import path from 'node:path';

/** Opens `file` with xdg-open; resolves to true once the opener started, false (having said so) when there is none. */
export function openPage(file: string, say: (line: string) => void): Promise<boolean> {
  const full = path.resolve(file);
  return new Promise((resolve) => {
    const child = spawn('xdg-open', [full], { detached: true, stdio: 'ignore' });
    child.once('spawn', () => {
      child.unref();
      say(`opened ${full} with xdg-open`);
      resolve(true);
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      say(`${e.code === 'ENOENT' ? 'no xdg-open on PATH' : `xdg-open failed (${e.message})`}: open ${full} in a browser`);
      resolve(false);
    });
  });
}
