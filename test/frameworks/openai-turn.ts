/**
 * One conversation turn of the OpenAI Agents SDK, the same in the parent test and in its
 * child processes: the model calls the `weather` tool with the user's text, then answers
 * with how many items it saw. Returns the model's input on each of its calls.
 */
import { Agent, run, setTracingDisabled, tool, type AgentInputItem, type Session } from '@openai/agents-core';
import { ScriptedModel, assistantMessage, functionCall, modelResponder } from '@openai/agents-core/testing';

setTracingDisabled(true);

const weather = tool({
  name: 'weather',
  description: 'The weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
  execute: async (input) => `sunny in ${(input as { city: string }).city}`,
});

/** Runs the turn `text` on `session`; answers the model's input on each call. */
export async function playTurn(session: Session, text: string): Promise<AgentInputItem[][]> {
  const model = new ScriptedModel([
    [functionCall('weather', { city: text }, { callId: `call-${text}` })],
    modelResponder((call) => [assistantMessage(`seen ${(call.request.input as unknown[]).length} items`)]),
  ]);
  await run(new Agent({ name: 'turns', model, tools: [weather] }), text, { session });
  return model.calls.map((call) => call.request.input as AgentInputItem[]);
}
