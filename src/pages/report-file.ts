// Reading a saved report (a bench result file, a chaos report) for a page:
// JSON, checked against the fields the page reads, with an error that names
// the file and the first thing wrong.

import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { RaftkvError } from '../common/errors.js';

export class ReportFileError extends RaftkvError<'RAFTKV_ERR_REPORT_FILE'> {
  constructor(message: string) {
    super('RAFTKV_ERR_REPORT_FILE', message);
  }
}

/** The parsed file, once `schema` accepts it; `what` names the kind of file in the error ("a raftkv bench result file"). */
export function readReportFile(file: string, schema: z.ZodType, what: string, hint = ''): unknown {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ReportFileError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(e as Error).message})`}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ReportFileError(`${file}: not ${what} (${issue.path.join('.') || 'top level'}: ${issue.message})${hint}`);
  }
  return json;
}
