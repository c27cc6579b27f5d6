/**
 * agent-sessions: keep the sessions of AI-agent processes in memory, an LRU cache or Redis.
 *
 * @module
 */
export { SessionManager } from './manager.js';
export type {
  ClearOptions,
  ListOptions,
  PutOptions,
  SessionManagerOptions,
  SessionPage,
  TouchOptions,
  UpdateOptions,
} from './manager.js';
export { MemoryStore } from '../adapters/memory/store.js';
export type { MemoryStoreOptions } from '../adapters/memory/store.js';
export {
  InvalidArgumentError,
  InvalidIdentifierError,
  PayloadTooLargeError,
  SessionError,
  StoreUnavailableError,
  ValidationError,
  VersionConflictError,
} from './errors.js';
export type {
  SessionErrorOptions,
  StoreUnavailableErrorOptions,
  ValidationIssue,
} from './errors.js';
export type {
  EpochMilliseconds,
  Milliseconds,
  Session,
  SessionMeta,
  SessionRecord,
  SessionStore,
  StoreDeleteInput,
  StoreListQuery,
  StorePutInput,
  StoreTouchInput,
  StoreWriteDone,
  StoreWriteRefused,
  StoreWriteResult,
} from './types.js';
