// AES-GCM encryption at rest. The key is generated non-extractable, so script
// can use it but never read it; it is stored (as a CryptoKey object) next to
// the data it protects, and deleting it makes every stored byte unreadable.

export interface Sealed {
  iv: Uint8Array;
  data: ArrayBuffer;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function newKey(): Promise<CryptoKey> {
  return globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

/** `slot` (the record key) is bound as additional data: a record copied to another slot fails to open. */
export async function seal(key: CryptoKey, slot: string, text: string): Promise<Sealed> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const data = await globalThis.crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(slot) },
    key,
    encoder.encode(text),
  );
  return { iv, data };
}

export async function open(key: CryptoKey, slot: string, sealed: Sealed): Promise<string> {
  const plain = await globalThis.crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.iv as Uint8Array<ArrayBuffer>, additionalData: encoder.encode(slot) },
    key,
    sealed.data,
  );
  return decoder.decode(plain);
}
