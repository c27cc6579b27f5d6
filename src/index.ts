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
export type {
  AppendOptions,
  AppendResult,
  ItemLimitOptions,
  ItemsOptions,
  ItemsPage,
  PopOptions,
  SessionItem,
  TruncateAfter,
  TruncateBefore,
  TruncateOptions,
  TruncateResult,
} from './items.js';
export type { Lease, LeaseOptions } from './leases.js';
export { MemoryStore } from '../adapters/memory/store.js';
export { InProcessStore } from '../adapters/memory/record-store.js';
export type { RecordMap, RecordMapFactory } from '../adapters/memory/record-store.js';
export type { MemoryStoreOptions } from '../adapters/memory/store.js';
export {
  FencedError,
  InvalidArgumentError,
  InvalidIdentifierError,
  LeaseHeldError,
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
export { IDEMPOTENCY_KEYS, IDEMPOTENCY_WINDOW } from './types.js';
export type {
  EpochMilliseconds,
  ItemRecord,
  Milliseconds,
  Session,
  SessionMeta,
  SessionRecord,
  SessionStore,
  StoreAcquireDone,
  StoreAcquireInput,
  StoreAcquireRefused,
  StoreAcquireResult,
  StoreAppendDone,
  StoreAppendInput,
  StoreAppendRefused,
  StoreAppendResult,
  StoreDeleteInput,
  StoreItemsPage,
  StoreItemsQuery,
  StoreListQuery,
  StorePopInput,
  StorePopResult,
  StorePutInput,
  StoreReleaseInput,
  StoreRenewInput,
  StoreTruncateInput,
  StoreTruncateResult,
  StoreTouchInput,
  StoreWriteDone,
  StoreWriteRefused,
  StoreWriteResult,
} from './types.js';
