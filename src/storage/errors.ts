// Errors of the storage layer, with stable codes like the rest of raftkv.
// A store that refuses to open says which file and why, and leaves it as it was.

import { RaftkvError } from '../common/errors.js';

export type StorageErrorCode =
  /** The file is not a SQLite database, or fails `PRAGMA quick_check`, or its rows break an invariant. */
  | 'RAFTKV_ERR_STORAGE_CORRUPT'
  /** The database's schema version is newer than this build knows, or it is not a raftkv database. */
  | 'RAFTKV_ERR_STORAGE_SCHEMA'
  /** The store was closed; the operation did not run (or was interrupted). */
  | 'RAFTKV_ERR_STORAGE_CLOSED'
  /** No snapshot file at the requested index (replaced by a newer one, or never captured). */
  | 'RAFTKV_ERR_SNAPSHOT_UNAVAILABLE'
  /** A call that would leave the stored state inconsistent (a gap in the log, applied beyond the log, ...). */
  | 'RAFTKV_ERR_STORAGE_INVARIANT';

export class StorageError extends RaftkvError<StorageErrorCode> {}

export const storeClosed = (): StorageError => new StorageError('RAFTKV_ERR_STORAGE_CLOSED', 'the store is closed');

export const corrupt = (message: string, cause?: unknown): StorageError =>
  new StorageError('RAFTKV_ERR_STORAGE_CORRUPT', message, cause === undefined ? undefined : { cause });

export const brokenInvariant = (message: string): StorageError => new StorageError('RAFTKV_ERR_STORAGE_INVARIANT', message);
