export { SqliteStore, DB_FILE } from './sqlite-store.js';
export type { CapturedSnapshot, Durability, KvWrite, LoadedState, LogRow, OpenOptions, PersistRequest, SessionWrite } from './types.js';
export { StorageError } from './errors.js';
export type { StorageErrorCode } from './errors.js';
export { SCHEMA_VERSION } from './migrations.js';
