/** Where a personalizer keeps its persisted state (one text value per key). */
export interface SnapshotStore {
  readonly kind: "indexeddb" | "memory";
  get(key: string): Promise<StoredValue | null>;
  put(key: string, text: string, savedAt: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every stored key with the time it was last saved. */
  list(): Promise<Array<{ key: string; savedAt: number }>>;
  /** Removes everything this store holds on the device, including its encryption key. */
  destroy(): Promise<void>;
  close(): void;
}

export interface StoredValue {
  text: string;
  savedAt: number;
}
