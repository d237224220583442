/** Listener maps: event name → listener signature. */
export type EventMap<T> = { [K in keyof T]: (...args: never[]) => void };

type AnyListener = (...args: unknown[]) => void;

/**
 * A small typed event emitter (no dependency, works in browsers). A listener that throws does not stop the
 * others: its error is rethrown on a microtask, where the runtime reports it as uncaught.
 */
export class Emitter<T extends EventMap<T>> {
  private readonly listeners = new Map<keyof T, Set<AnyListener>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof T>(event: K, listener: T[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as unknown as AnyListener);
    return () => this.off(event, listener);
  }

  /** Adds a listener called at most once. */
  once<K extends keyof T>(event: K, listener: T[K]): () => void {
    const wrapped = ((...args: unknown[]) => {
      off();
      (listener as unknown as AnyListener)(...args);
    }) as unknown as T[K];
    const off = this.on(event, wrapped);
    return off;
  }

  off<K extends keyof T>(event: K, listener: T[K]): void {
    this.listeners.get(event)?.delete(listener as unknown as AnyListener);
  }

  listenerCount(event: keyof T): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  emit<K extends keyof T>(event: K, ...args: Parameters<T[K]>): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  removeAll(): void {
    this.listeners.clear();
  }
}
