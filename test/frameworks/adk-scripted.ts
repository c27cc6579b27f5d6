/**
 * A scripted ADK agent for the adapter's tests (and its child process): an `LlmAgent` over a
 * `BaseLlm` whose answers follow from the request alone, so any process gives the same ones.
 *
 * - `remember <word>` → a call of the `remember` tool, then, once its result is in the
 *   request, `remembered <word>`;
 * - anything else → `echo <text>`, streamed as two partial chunks first when streaming.
 *
 * Every final answer ends with `(saw N)`: the contents the model was given, i.e. the history
 * the runner read from the session service.
 */
import { BaseLlm, FunctionTool, LlmAgent, Runner, StreamingMode } from '@google/adk';
import type { BaseSessionService, Event, LlmRequest, LlmResponse } from '@google/adk';

/** The scripted model. */
export class ScriptedLlm extends BaseLlm {
  constructor() {
    super({ model: 'scripted' });
  }

  override async *generateContentAsync(request: LlmRequest, stream = false): AsyncGenerator<LlmResponse, void> {
    const contents = request.contents ?? [];
    const saw = ` (saw ${contents.length})`;
    const lastParts = contents.at(-1)?.parts ?? [];
    const result = lastParts.find((part) => part.functionResponse)?.functionResponse;
    if (result) {
      yield { content: { role: 'model', parts: [{ text: `remembered ${String(result.response?.['value'])}${saw}` }] } };
      return;
    }
    const text = lastParts.map((part) => part.text ?? '').join('');
    const word = /^remember (\S+)$/.exec(text)?.[1];
    if (word !== undefined) {
      yield { content: { role: 'model', parts: [{ functionCall: { name: 'remember', args: { value: word } } }] } };
      return;
    }
    const answer = `echo ${text}${saw}`;
    if (stream) {
      yield { content: { role: 'model', parts: [{ text: answer.slice(0, 3) }] }, partial: true };
      yield { content: { role: 'model', parts: [{ text: answer.slice(3) }] }, partial: true };
    }
    yield { content: { role: 'model', parts: [{ text: answer }] } };
  }

  override connect(): never {
    throw new Error('the scripted model has no live connection');
  }
}

/**
 * The `remember` tool: writes the word to `last` (session), `user:favourite` (user),
 * counts calls in `app:remembered` (app), and leaves a `temp:scratch` that must not be stored.
 */
export const rememberTool = new FunctionTool({
  name: 'remember',
  description: 'Remembers a word.',
  parameters: { type: 'OBJECT', properties: { value: { type: 'STRING' } }, required: ['value'] } as never,
  execute: (input: unknown, context) => {
    const { value } = input as { value: string };
    const state = context!.state;
    state.set('last', value);
    state.set('user:favourite', value);
    state.set('app:remembered', (state.get<number>('app:remembered') ?? 0) + 1);
    state.set('temp:scratch', 'not stored');
    return { value };
  },
});

/** A runner of the scripted agent in app `appName` over `sessionService`. */
export function scriptedRunner(sessionService: BaseSessionService, appName = 'scripted-app'): Runner {
  const agent = new LlmAgent({ name: 'assistant', model: new ScriptedLlm(), instruction: 'Answer.', tools: [rememberTool] });
  return new Runner({ appName, agent, sessionService });
}

/** Runs one turn, streaming (SSE) when `stream`, and answers every event the runner yielded. */
export async function turn(runner: Runner, userId: string, sessionId: string, text: string, stream = false): Promise<Event[]> {
  const events: Event[] = [];
  const runConfig = { streamingMode: stream ? StreamingMode.SSE : StreamingMode.NONE };
  for await (const event of runner.runAsync({ userId, sessionId, newMessage: { role: 'user', parts: [{ text }] }, runConfig })) {
    events.push(event);
  }
  return events;
}

/** An event in a line: `author: text`, `author: call name(args)` or `author: result name(response)`. */
export function describeEvent(event: Event): string {
  const parts = (event.content?.parts ?? []).map((part) => {
    if (part.functionCall) return `call ${part.functionCall.name}(${JSON.stringify(part.functionCall.args)})`;
    if (part.functionResponse) return `result ${part.functionResponse.name}(${JSON.stringify(part.functionResponse.response)})`;
    return part.text ?? '';
  });
  return `${event.author}: ${parts.join(' ')}`;
}
