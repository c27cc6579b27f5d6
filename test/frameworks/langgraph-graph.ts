/**
 * The graphs the LangGraph tests run, shared with the child process: a draft → review → publish
 * graph whose review waits for a human (an interrupt), and a counter that loops `n` times while
 * its `topic` never changes.
 */
import { Annotation, END, START, StateGraph, interrupt } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';

const ReviewState = Annotation.Root({
  topic: Annotation<string>,
  steps: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  answer: Annotation<string>,
});

/** draft, then review (interrupts with a question; the resume value is the answer), then publish. */
export function reviewGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(ReviewState)
    .addNode('draft', (s) => ({ steps: [`draft about ${s.topic}`] }))
    .addNode('review', (s) => {
      const answer = interrupt<{ question: string }, string>({ question: `publish ${s.steps.length} step(s)?` });
      return { answer, steps: [`review: ${answer}`] };
    })
    .addNode('publish', (s) => ({ steps: [s.answer === 'yes' ? 'published' : 'dropped'] }))
    .addEdge(START, 'draft')
    .addEdge('draft', 'review')
    .addEdge('review', 'publish')
    .addEdge('publish', END)
    .compile({ checkpointer });
}

const CounterState = Annotation.Root({
  topic: Annotation<string>,
  n: Annotation<number>,
});

/** Adds 1 to `n` until it reaches `until`, one step each; `topic` is only ever written by the input. */
export function counterGraph(checkpointer: BaseCheckpointSaver, until: number) {
  return new StateGraph(CounterState)
    .addNode('count', (s) => ({ n: s.n + 1 }))
    .addEdge(START, 'count')
    .addConditionalEdges('count', (s) => (s.n < until ? 'count' : END))
    .compile({ checkpointer });
}
