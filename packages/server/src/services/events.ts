import type { PredictionRecord } from '../store/predictions.js';

/** What happens to a prediction, as the event bus carries it. */
export type PredictionEvent =
  /** A new item of an iterator output (`index` counts from 0), or the whole output (`index` -1). */
  | { type: 'output'; id: string; index: number; value: unknown }
  /** Text appended to the logs at `offset`. */
  | { type: 'logs'; id: string; offset: number; text: string }
  /** The status changed (the record is the state after the change). */
  | { type: 'status'; id: string; prediction: PredictionRecord }
  /** A cancel was asked for a prediction some director holds. */
  | { type: 'cancel'; id: string };

type Listener = (event: PredictionEvent) => void;

/**
 * The in-process event bus: a prediction's events reach SSE readers, `Prefer: wait` waiters and
 * the director from memory as they happen. (Scale-out swaps this for PostgreSQL LISTEN/NOTIFY.)
 */
export class EventBus {
  readonly #byId = new Map<string, Set<Listener>>();
  readonly #queued = new Set<() => void>();

  /** Listens to one prediction's events; returns the function that stops listening. */
  subscribe(id: string, listener: Listener): () => void {
    let set = this.#byId.get(id);
    if (!set) {
      set = new Set();
      this.#byId.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#byId.delete(id);
    };
  }

  publish(event: PredictionEvent): void {
    const listeners = this.#byId.get(event.id);
    if (!listeners) return;
    for (const listener of [...listeners]) listener(event);
  }

  /** Listens for "a prediction was queued" wake-ups (directors claim on them). */
  onQueued(listener: () => void): () => void {
    this.#queued.add(listener);
    return () => this.#queued.delete(listener);
  }

  queued(): void {
    for (const listener of [...this.#queued]) listener();
  }
}
