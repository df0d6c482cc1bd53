// What this browser keeps for its person (IndexedDB, this origin only): party keys, whose
// private half is a non-extractable CryptoKey that never leaves the browser, and seed shares,
// kept from before their commitment is sent until their reveal (docs/draw-spec.md §14).

const DB = "spotcheck-ceremony";
const KEYS = "keys"; // {key_id, owner, district, holder, party, public_key, valid_from, valid_until, privateKey}
const SHARES = "shares"; // {draw_id, key_id, party, manifest_sha256, commitment, share}

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore(KEYS, { keyPath: "key_id" }).createIndex("owner", "owner");
      db.createObjectStore(SHARES, { keyPath: ["draw_id", "key_id"] });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(store, mode, act) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const request = act(tx.objectStore(store));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

// Keys belong to one person in one district: another person signed in on the same browser
// sees none of them.
export function ownerOf(district, holder) {
  return `${district}/${holder}`;
}

export function putKey(record) {
  return run(KEYS, "readwrite", (s) => s.put(record));
}

export function keysOf(district, holder) {
  return run(KEYS, "readonly", (s) => s.index("owner").getAll(ownerOf(district, holder)));
}

export function putShare(record) {
  return run(SHARES, "readwrite", (s) => s.put(record));
}

export function getShare(drawId, keyId) {
  return run(SHARES, "readonly", (s) => s.get([drawId, keyId]));
}
