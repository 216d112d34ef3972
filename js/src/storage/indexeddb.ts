// IndexedDB store: one database per namespace with two object stores,
// "records" (sealed snapshots, one per tab/key) and "keys" (the AES-GCM
// CryptoKey). Everything is encrypted at rest; destroy() deletes the database,
// key included.
import type { SnapshotStore, StoredValue } from "./store.js";
import { newKey, open, seal, type Sealed } from "./crypto.js";

const RECORDS = "records";
const KEYS = "keys";
const KEY_ID = "aes-gcm";

interface RecordRow extends Sealed {
  key: string;
  savedAt: number;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

/**
 * Asks for the commit now, then waits for it. Committing at once rather than after the requests'
 * success events matters: Chromium aborts a transaction still waiting for that round trip when the page
 * unloads, so a write begun just before a reload was lost in 14 of 40 trials without it, 0 of 58 with
 * it (docs/ARCHITECTURE.md, npm package decisions). Browsers without commit() auto-commit as before.
 */
function committed(tx: IDBTransaction): Promise<void> {
  const result = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
  (tx as IDBTransaction & { commit?: () => void }).commit?.();
  return result;
}

export function databaseName(namespace: string): string {
  return `gradvy-personalize:${namespace}`;
}

export class IndexedDbStore implements SnapshotStore {
  readonly kind = "indexeddb" as const;
  private db: IDBDatabase | null;
  private key: CryptoKey | null = null;
  /** After destroy(): reads see nothing and do not recreate the database; the next put() does. */
  private wiped = false;

  private constructor(private readonly name: string, db: IDBDatabase) {
    this.db = db;
    this.watch(db);
  }

  /** Opens (or creates) the namespace's database and its encryption key. Rejects when IndexedDB is unusable. */
  static async open(namespace: string): Promise<IndexedDbStore> {
    const store = new IndexedDbStore(databaseName(namespace), await IndexedDbStore.openDb(databaseName(namespace)));
    await store.ensureKey();
    return store;
  }

  private static openDb(name: string): Promise<IDBDatabase> {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains(RECORDS)) db.createObjectStore(RECORDS, { keyPath: "key" });
        if (!db.objectStoreNames.contains(KEYS)) db.createObjectStore(KEYS);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error("indexedDB.open failed"));
      req.onblocked = () => reject(new Error("indexedDB.open blocked"));
    });
  }

  /** Another tab deleting the database (forgetMe) must not be blocked by this connection. */
  private watch(db: IDBDatabase): void {
    db.onversionchange = () => {
      db.close();
      if (this.db === db) this.db = null;
      this.key = null;
    };
  }

  private async connection(): Promise<IDBDatabase> {
    if (!this.db) {
      this.db = await IndexedDbStore.openDb(this.name);
      this.watch(this.db);
    }
    return this.db;
  }

  private async ensureKey(): Promise<CryptoKey> {
    if (this.key) return this.key;
    const db = await this.connection();
    const existing = await request(db.transaction(KEYS, "readonly").objectStore(KEYS).get(KEY_ID));
    if (existing instanceof CryptoKey) {
      this.key = existing;
      return existing;
    }
    const fresh = await newKey();
    // add() rather than put(): when two tabs race, the second fails and reads the winner's key.
    const tx = db.transaction(KEYS, "readwrite");
    tx.objectStore(KEYS).add(fresh, KEY_ID);
    try {
      await committed(tx);
      this.key = fresh;
    } catch {
      const winner = await request(db.transaction(KEYS, "readonly").objectStore(KEYS).get(KEY_ID));
      if (!(winner instanceof CryptoKey)) throw new Error("IndexedDB: no encryption key after a write race");
      this.key = winner;
    }
    return this.key;
  }

  async get(key: string): Promise<StoredValue | null> {
    if (this.wiped) return null;
    const db = await this.connection();
    const row = (await request(db.transaction(RECORDS, "readonly").objectStore(RECORDS).get(key))) as RecordRow | undefined;
    if (!row) return null;
    const text = await open(await this.ensureKey(), key, row);
    return { text, savedAt: row.savedAt };
  }

  async put(key: string, text: string, savedAt: number): Promise<void> {
    this.wiped = false;
    const sealed = await seal(await this.ensureKey(), key, text);
    const db = await this.connection();
    const tx = db.transaction(RECORDS, "readwrite");
    const row: RecordRow = { key, savedAt, iv: sealed.iv, data: sealed.data };
    tx.objectStore(RECORDS).put(row);
    await committed(tx);
  }

  async delete(key: string): Promise<void> {
    if (this.wiped) return;
    const db = await this.connection();
    const tx = db.transaction(RECORDS, "readwrite");
    tx.objectStore(RECORDS).delete(key);
    await committed(tx);
  }

  async list(): Promise<Array<{ key: string; savedAt: number }>> {
    if (this.wiped) return [];
    const db = await this.connection();
    const rows = (await request(db.transaction(RECORDS, "readonly").objectStore(RECORDS).getAll())) as RecordRow[];
    return rows.map((r) => ({ key: r.key, savedAt: r.savedAt }));
  }

  async destroy(): Promise<void> {
    // Clear first (works even if another tab keeps the database open), then delete it.
    try {
      const db = await this.connection();
      const tx = db.transaction([RECORDS, KEYS], "readwrite");
      tx.objectStore(RECORDS).clear();
      tx.objectStore(KEYS).clear();
      await committed(tx);
    } finally {
      this.key = null;
      this.wiped = true;
      this.close();
      await new Promise<void>((resolve) => {
        const req = indexedDB.deleteDatabase(this.name);
        req.onsuccess = () => resolve();
        req.onerror = () => resolve();
        req.onblocked = () => resolve(); // finishes once the other tabs close their connection (onversionchange)
      });
    }
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}
