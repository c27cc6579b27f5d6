/**
 * `AgentsSession` driven by the OpenAI Agents SDK itself: its own `run()` with its own
 * scripted model (`@openai/agents-core/testing`), offline, over a MemoryStore and a RedisStore
 * manager. Each scenario is played twice, once on the SDK's own `MemorySession` and once on
 * ours: the model must see the same input on every call and the stored history must match.
 */
import { randomUUID } from 'node:crypto';
import {
  Agent,
  MemorySession,
  OutputGuardrailTripwireTriggered,
  run,
  setTracingDisabled,
  tool,
  type AgentInputItem,
  type Session,
} from '@openai/agents-core';
import { ScriptedModel, assistantMessage, functionCall, modelError } from '@openai/agents-core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { AgentsSession } from '../../frameworks/openai-agents/index.js';
import { MemoryStore, SessionManager } from '../../src/index.js';
import { removePrefix, uniquePrefix } from '../adapters/redis-helpers.js';

setTracingDisabled(true);

const url = inject('redisUrl');

const weather = tool({
  name: 'weather',
  description: 'The weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
  execute: async (input) => `sunny in ${(input as { city: string }).city}`,
});

const wire = tool({
  name: 'wire',
  description: 'Sends money; a person approves each call.',
  parameters: { type: 'object', properties: { to: { type: 'string' } }, required: ['to'], additionalProperties: false },
  strict: true,
  needsApproval: true,
  execute: async (input) => `sent to ${(input as { to: string }).to}`,
});

const PIXELS = new Uint8Array([137, 80, 78, 71, 0, 255, 1, 2, 3]);


/** Plays turns on `session` with a fresh scripted model; returns the model (its calls). */
type Play = (session: Session) => Promise<ScriptedModel>;

/** The model's input on each call. */
function inputs(model: ScriptedModel): AgentInputItem[][] {
  return model.calls.map((call) => call.request.input as AgentInputItem[]);
}

/** Plays `play` on the SDK's MemorySession and on `session`; both must agree call by call. */
async function sameAsSdk(play: Play, session: AgentsSession): Promise<ScriptedModel> {
  const reference = new MemorySession();
  const expected = await play(reference);
  const model = await play(session);
  expect(inputs(model)).toEqual(inputs(expected));
  expect(await session.getItems()).toEqual(await reference.getItems());
  return model;
}

const user = (content: string) => ({ type: 'message', role: 'user', content });
const said = (text: string) => ({
  type: 'message',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text }],
});

/** A manager that counts its appends. */
function counting(manager: SessionManager<unknown, unknown>): { manager: SessionManager<unknown, unknown>; appends: () => number } {
  let appends = 0;
  const append = manager.append.bind(manager);
  manager.append = (...args) => {
    appends++;
    return append(...args);
  };
  return { manager, appends: () => appends };
}

function scenarios(name: string, makeManager: () => SessionManager<unknown, unknown>): void {
  describe(`AgentsSession over ${name}`, () => {
    const session = (manager = makeManager()) => new AgentsSession(manager, `chat-${randomUUID()}`);

    it('a multi-turn chat: on every turn the model sees exactly the conversation so far', async () => {
      const { manager, appends } = counting(makeManager());
      const ours = session(manager);
      const model = await sameAsSdk(async (s) => {
        const model = new ScriptedModel([[assistantMessage('Hi!')], [assistantMessage('Ada.')], [assistantMessage('Bye.')]]);
        const agent = new Agent({ name: 'chat', model });
        for (const text of ['Hello', 'My name is Ada. Who am I?', 'Goodbye']) await run(agent, text, { session: s });
        return model;
      }, ours);
      expect(inputs(model)).toEqual([
        [user('Hello')],
        [user('Hello'), said('Hi!'), user('My name is Ada. Who am I?')],
        [user('Hello'), said('Hi!'), user('My name is Ada. Who am I?'), said('Ada.'), user('Goodbye')],
      ]);
      expect(await ours.getItems()).toHaveLength(6);
      expect(appends()).toBe(3); // one atomic append per turn
      expect(await ours.getItems(2)).toEqual([user('Goodbye'), said('Bye.')]);
    });

    it('a turn with a tool call saves the call and its result together, and the next turn sees both', async () => {
      const { manager, appends } = counting(makeManager());
      const ours = session(manager);
      const model = await sameAsSdk(async (s) => {
        const model = new ScriptedModel([
          [functionCall('weather', { city: 'Paris' }, { callId: 'call-1' })],
          [assistantMessage('Sunny.')],
          [assistantMessage('You are welcome.')],
        ]);
        const agent = new Agent({ name: 'tools', model, tools: [weather] });
        await run(agent, 'Weather in Paris?', { session: s });
        await run(agent, 'Thanks', { session: s });
        return model;
      }, ours);
      const history = await ours.getItems();
      expect(history.map((item) => item.type)).toEqual(['message', 'function_call', 'function_call_result', 'message', 'message', 'message']);
      expect(history[2]).toMatchObject({ callId: 'call-1', output: { type: 'text', text: 'sunny in Paris' } });
      expect(inputs(model)[2]).toEqual(history.slice(0, 5));
      expect(appends()).toBe(2);
    });

    it('a tool needing approval interrupts the turn; approved and resumed, the turn completes once', async () => {
      const ours = session();
      const model = await sameAsSdk(async (s) => {
        const model = new ScriptedModel([[functionCall('wire', { to: 'bob' }, { callId: 'call-w' })], [assistantMessage('Sent.')]]);
        const agent = new Agent({ name: 'bank', model, tools: [wire] });
        const first = await run(agent, 'Pay Bob', { session: s });
        expect(first.interruptions).toHaveLength(1);
        first.state.approve(first.interruptions[0]!);
        const resumed = await run(agent, first.state, { session: s });
        expect(resumed.finalOutput).toBe('Sent.');
        return model;
      }, ours);
      const history = await ours.getItems();
      expect(history.filter((item) => item.type === 'function_call')).toHaveLength(1);
      expect(history.filter((item) => item.type === 'function_call_result')).toMatchObject([{ callId: 'call-w', output: { text: 'sent to bob' } }]);
      expect(inputs(model)[1]!.map((item) => item.type)).toEqual(['message', 'function_call', 'function_call_result']);
      expect(inputs(model)[1]![2]).toEqual(history[2]);
    });

    it('a model that throws mid-turn leaves none of that turn saved, and the next turn goes on from the last whole one', async () => {
      const ours = session();
      const model = await sameAsSdk(async (s) => {
        const model = new ScriptedModel([
          [assistantMessage('Hi!')],
          [functionCall('weather', { city: 'Oslo' }, { callId: 'call-2' })],
          modelError(new Error('the model went away')),
          [assistantMessage('Back.')],
        ]);
        const agent = new Agent({ name: 'flaky', model, tools: [weather] });
        await run(agent, 'Hello', { session: s });
        await expect(run(agent, 'Weather in Oslo?', { session: s })).rejects.toThrow('the model went away');
        expect(await s.getItems()).toEqual([user('Hello'), said('Hi!')]);
        await run(agent, 'Still there?', { session: s });
        return model;
      }, ours);
      expect(inputs(model)[3]).toEqual([user('Hello'), said('Hi!'), user('Still there?')]);
    });

    it('an output guardrail blocks an answer: the runner saves the turn without it through one history transaction', async () => {
      const { manager, appends } = counting(makeManager());
      const ours = session(manager);
      const model = await sameAsSdk(async (s) => {
        const model = new ScriptedModel([
          [functionCall('weather', { city: 'Rome' }, { callId: 'call-g' })],
          [assistantMessage('The SECRET is 42.')],
          [assistantMessage('Fine.')],
        ]);
        const noSecrets = {
          name: 'no secrets',
          execute: async ({ agentOutput }: { agentOutput: unknown }) => ({ tripwireTriggered: String(agentOutput).includes('SECRET'), outputInfo: null }),
        };
        const agent = new Agent({ name: 'guarded', model, tools: [weather], outputGuardrails: [noSecrets] });
        await expect(run(agent, 'Weather in Rome?', { session: s })).rejects.toThrow(OutputGuardrailTripwireTriggered);
        await run(agent, 'And now?', { session: s });
        return model;
      }, ours);
      const history = await ours.getItems();
      expect(history.map((item) => item.type)).toEqual(['message', 'function_call', 'function_call_result', 'message', 'message']);
      expect(JSON.stringify(history)).not.toContain('SECRET');
      expect(inputs(model)[2]).toEqual(history.slice(0, 4));
      expect(appends()).toBe(2); // the blocked turn: one transaction (an append with its key); the next: one append
    });

    it('with historyLimit the model sees only the newest items, the log keeps all, and an approval still resumes', async () => {
      const manager = makeManager();
      const id = `chat-${randomUUID()}`;
      const session = new AgentsSession(manager, id, { historyLimit: 3 });
      const model = new ScriptedModel([
        [assistantMessage('One.')],
        [assistantMessage('Two.')],
        [functionCall('wire', { to: 'eve' }, { callId: 'call-e' })],
        [assistantMessage('Sent.')],
      ]);
      const agent = new Agent({ name: 'short', model, tools: [wire] });
      await run(agent, 'First', { session });
      await run(agent, 'Second', { session });
      const first = await run(agent, 'Pay Eve', { session });
      first.state.approve(first.interruptions[0]!);
      expect((await run(agent, first.state, { session })).finalOutput).toBe('Sent.');
      expect(inputs(model)[2]).toEqual([said('One.'), user('Second'), said('Two.'), user('Pay Eve')]); // the newest 3, then the turn
      // resumed, the model sees the interrupted turn's input (kept in the run state), the call and its result
      expect(inputs(model)[3]!.map((item) => item.type)).toEqual(['message', 'message', 'message', 'message', 'function_call', 'function_call_result']);
      const all = await new AgentsSession(manager, id).getItems();
      expect(all.map((item) => item.type)).toEqual([...Array(5).fill('message'), 'function_call', 'function_call_result', 'message']);
    });

    it('bytes: the runner stores an image as the SDK does (a data URL); items added with raw bytes round-trip as a Uint8Array', async () => {
      const ours = session();
      const image = { type: 'image', image: { data: PIXELS, mediaType: 'image/png' } };
      const earlier = [
        user('What is on my screen?'),
        { type: 'function_call', name: 'snapshot', callId: 'call-s', status: 'completed', arguments: '{}' },
        { type: 'function_call_result', name: 'snapshot', callId: 'call-s', status: 'completed', output: image },
      ] as AgentInputItem[];
      await sameAsSdk(async (s) => {
        const model = new ScriptedModel([[assistantMessage('A screen.')], [assistantMessage('Yes.')]]);
        const agent = new Agent({ name: 'eyes', model });
        await run(agent, earlier, { session: s });
        await run(agent, 'Sure?', { session: s });
        return model;
      }, ours);
      expect((await ours.getItems())[2]).toMatchObject({ output: { image: { data: `data:image/png;base64,${Buffer.from(PIXELS).toString('base64')}` } } });
      await ours.addItems(earlier);
      const [, , result] = await ours.getItems(3);
      const data = (result as { output: { image: { data: unknown } } }).output.image.data;
      expect(data).toBeInstanceOf(Uint8Array);
      expect([...(data as Uint8Array)]).toEqual([...PIXELS]);
      expect(await ours.getItems(3)).toEqual(earlier);
    });
  });
}

scenarios('a MemoryStore', () => new SessionManager<unknown, unknown>({ store: new MemoryStore() }));

describe.skipIf(!url)('over Redis', () => {
  const prefix = uniquePrefix('openai');
  let client: Redis;
  beforeAll(() => {
    client = new Redis(url!);
  });
  afterAll(async () => {
    await removePrefix(client, prefix);
    await client.quit();
  });
  scenarios('a RedisStore', () => new SessionManager<unknown, unknown>({ store: new RedisStore({ client, prefix }) }));
});
