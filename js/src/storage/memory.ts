import type { SnapshotStore, StoredValue } from "./store.js";

/** In-memory store: Node, SSR, tests, and the fallback when IndexedDB fails. */
export class MemoryStore implements SnapshotStore {
  readonly kind = "memory" as const;
  private readonly values: Map<string, StoredValue>;

  /** Pass a shared map to let several personalizers (or restarts) see the same state. */
  constructor(values: Map<string, StoredValue> = new Map()) {
    this.values = values;
  }
  async get(key: string): Promise<StoredValue | null> {
    return this.values.get(key) ?? null;
  }
  async put(key: string, text: string, savedAt: number): Promise<void> {
    this.values.set(key, { text, savedAt });
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
  async list(): Promise<Array<{ key: string; savedAt: number }>> {
    return [...this.values].map(([key, v]) => ({ key, savedAt: v.savedAt }));
  }
  async destroy(): Promise<void> {
    this.values.clear();
  }
  close(): void {}
}
