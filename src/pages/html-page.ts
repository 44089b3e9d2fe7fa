// Self-contained report pages (the benchmark's and the chaos test's): one
// HTML file with uPlot's script and styles, the page's own script and its
// data inlined when it is made, so it renders with no network. This folder
// imports nothing else of raftkv.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { escapeXml } from './bar-chart-svg.js';

export { escapeXml as esc };

const require = createRequire(import.meta.url);

/** An inlined script must not close its own <script> element early. */
function inlineScript(code: string, what: string): string {
  if (/<\/script/i.test(code)) throw new Error(`${what} contains "</script": it cannot be inlined as is`);
  return code;
}

/**
 * A page script compiled by tsc (a module that may import types only), ready
 * to inline as `<script type="module">`: without its empty export and its
 * source map comment.
 */
export function pageScript(compiled: URL): string {
  const code = readFileSync(compiled, 'utf8')
    .replace(/^export \{\};\s*$/m, '')
    .replace(/^\/\/# sourceMappingURL=.*$/m, '');
  return inlineScript(code, compiled.pathname);
}

/** A cell is HTML, or HTML with a class. */
export type Cell = string | { html: string; cls: string };

const td = (c: Cell): string => (typeof c === 'string' ? `<td>${c}</td>` : `<td class="${c.cls}">${c.html}</td>`);

/** A table; header texts are escaped here, cells are HTML already. */
export function table(cls: string, header: string[], rows: Cell[][]): string {
  return `<table class="${cls}"><thead><tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(td).join('')}</tr>`).join('')}</tbody></table>`;
}

/** Styles every report page shares. */
export const BASE_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1a202c; margin: 0 auto; max-width: 1180px; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; } h3 { font-size: 14px; margin: 16px 0 6px; }
nav a { margin-right: 14px; } .note { color: #4a5568; } figure { margin: 8px 0; overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 12px; } th, td { padding: 3px 10px; border-bottom: 1px solid #edf2f7; text-align: right; } th:first-child, td:first-child { text-align: left; }
table.facts td, table.facts th { text-align: left; } .side { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 8px 24px; } .chart .plot { min-height: 40px; }
td.met, td.good { color: #2f855a; font-weight: 600; } td.missed, td.bad { color: #c53030; font-weight: 600; } td.unmeasured { color: #718096; }
`;

export interface PageParts {
  title: string;
  /** Styles beyond BASE_CSS. */
  css?: string;
  body: string;
  /** Read by the page script from `#report-data`. */
  data: unknown;
  /** The page script (pageScript()). */
  script: string;
}

/**
 * The whole document: uPlot first (a classic script: `window.uPlot`), the
 * data, the helpers every page script uses (`window.reportPage`), then the
 * page script; module scripts run in document order.
 */
export function htmlPage(p: PageParts): string {
  const uplotJs = inlineScript(readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'), 'uPlot');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(p.title)}</title>
<style>${uplotCss}${BASE_CSS}${p.css ?? ''}</style>
</head><body>${p.body}
<script>${uplotJs}</script>
<script type="application/json" id="report-data">${JSON.stringify(p.data).replace(/</g, '\\u003c')}</script>
<script type="module">${pageScript(new URL('./page-helpers-client.js', import.meta.url))}</script>
<script type="module">${p.script}</script>
</body></html>
`;
}
