export { SqliteStore, DB_FILE } from './sqlite-store.js';
export type { CapturedSnapshot, Durability, LoadedState, LogRow, OpenOptions, PersistRequest, SessionRow } from './types.js';
export { StorageError } from './errors.js';
export type { StorageErrorCode } from './errors.js';
export { SCHEMA_VERSION } from './migrations.js';
