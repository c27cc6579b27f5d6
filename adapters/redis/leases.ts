/**
 * `RedisStore`'s lease methods: each is one script (see lease-scripts.ts), one round trip, run
 * under the store's deadline and sent like its writes (after them `WAIT` with
 * `waitForReplicas`; on a Cluster straight to the slot's master).
 *
 * @module
 */
import { FencedError } from '../../src/errors.js';
import type { EpochMilliseconds, StoreAcquireInput, StoreAcquireResult, StoreReleaseInput, StoreRenewInput } from '../../src/types.js';
import { checkTime, token } from './codec.js';
import type { ItemContext } from './items.js';
import { ACQUIRE, acquireArgs, RELEASE, releaseArgs, RENEW, renewArgs } from './lease-scripts.js';

/** Runs {@link ACQUIRE}. */
export async function acquire(ctx: ItemContext, input: StoreAcquireInput): Promise<StoreAcquireResult> {
  checkTime('expiresAt', input.now + input.ttl);
  const args = acquireArgs(ctx.bucket(input.id), input, token());
  const reply = (await ctx.deadlines.run('acquire', input.id, true, (due) =>
    ctx.writer.write(ACQUIRE, args, (r) => (r as unknown[])[0] === 1, due),
  )) as [number, string, string?];
  if (reply[0] !== 1) return { ok: false, expiresAt: Number(reply[1]) };
  return { ok: true, fence: Number(reply[1]), expiresAt: Number(reply[2]) };
}

/** Runs {@link RENEW}. */
export async function renew(ctx: ItemContext, input: StoreRenewInput): Promise<EpochMilliseconds | undefined> {
  checkTime('expiresAt', input.now + input.ttl);
  const args = renewArgs(ctx.bucket(input.id), input, token());
  const reply = await ctx.deadlines.run('renew', input.id, true, (due) =>
    ctx.writer.write(RENEW, args, (r) => r !== null, due),
  );
  return reply === null ? undefined : Number(reply);
}

/** Runs {@link RELEASE}. */
export async function release(ctx: ItemContext, input: StoreReleaseInput): Promise<boolean> {
  const args = releaseArgs(ctx.bucket(input.id), input, token());
  const reply = await ctx.deadlines.run('release', input.id, true, (due) =>
    ctx.writer.write(RELEASE, args, (r) => r === 1, due),
  );
  return reply === 1;
}

/**
 * Throws {@link FencedError} when a write script answered `{-1}`: `fence` was not the live
 * lease of `id`, and the script changed nothing.
 */
export function refuseFenced(reply: unknown, id: string, fence: number | undefined): void {
  if (Array.isArray(reply) && reply[0] === -1) {
    throw new FencedError(
      `fence ${String(fence)} is not the live lease of ${JSON.stringify(id)} (it expired, was released, or a newer one was taken); nothing was written`,
    );
  }
}
