// The browser's ceremony bytes against the reference client's (draws.domain.protocol and
// draws.ed25519, vectors computed with them): run with `node --test services/portal/tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as p from "../../src/portal/entrypoints/static/js/ceremony/protocol.js";

// Computed by the Python reference (spotcheck-ceremony's functions) from these inputs.
const V = {
  "secret": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
  "public_key": "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
  "key_id": "56475aa75463474c0285df5dbf2bcab7",
  "value": {
    "algorithm": "spotcheck-draw/3",
    "draw_id": "0b6c1c1e-4f6a-4c7e-9d7e-3c2b1a0f9e8d",
    "district": "lingang",
    "parties": [
      "\u4fe1\u7528\u76d1\u7ba1\u79d1",
      "\u529e\u516c\u5ba4"
    ],
    "zeta": [
      1,
      -2,
      {
        "b": "x\"\\\n\t\u0001\u007f\u221a\ud83d\ude00",
        "a": null,
        "B": true
      }
    ],
    "n": 0
  },
  "canonical": "{\"algorithm\":\"spotcheck-draw/3\",\"district\":\"lingang\",\"draw_id\":\"0b6c1c1e-4f6a-4c7e-9d7e-3c2b1a0f9e8d\",\"n\":0,\"parties\":[\"\u4fe1\u7528\u76d1\u7ba1\u79d1\",\"\u529e\u516c\u5ba4\"],\"zeta\":[1,-2,{\"B\":true,\"a\":null,\"b\":\"x\\\"\\\\\\n\\t\\u0001\u007f\u221a\ud83d\ude00\"}]}",
  "manifest_digest": "da4d462957221c753825a75d96c5ffde070bccbc3a7555f43770d8382d811b55",
  "share": "1111111111111111111111111111111111111111111111111111111111111111",
  "result_digest": "f6a214f7a5fcda0c2cee9660b7fc29f5649e3c68aad48e20e950137c98913a68",
  "key_message": "1073706f74636865636b2f6b65792f7633076c696e67616e670fe4bfa1e794a8e79b91e7aea1e7a7910c7a68616e672e6372656469742003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b80a323032362d31312d31360a323032372d31312d3136",
  "commitment": "d2f0f6459bf1d758dc9b721c5f62e9e2d0b491d30d2d3a73826211c697057f10",
  "commit_message": "1373706f74636865636b2f636f6d6d69742f763320da4d462957221c753825a75d96c5ffde070bccbc3a7555f43770d8382d811b550fe4bfa1e794a8e79b91e7aea1e7a79120d2f0f6459bf1d758dc9b721c5f62e9e2d0b491d30d2d3a73826211c697057f10",
  "reveal_message": "1373706f74636865636b2f72657665616c2f763320da4d462957221c753825a75d96c5ffde070bccbc3a7555f43770d8382d811b550fe4bfa1e794a8e79b91e7aea1e7a791201111111111111111111111111111111111111111111111111111111111111111",
  "countersign_message": "1873706f74636865636b2f636f756e7465727369676e2f763320da4d462957221c753825a75d96c5ffde070bccbc3a7555f43770d8382d811b5520f6a214f7a5fcda0c2cee9660b7fc29f5649e3c68aad48e20e950137c98913a68",
  "replacement_message": "1873706f74636865636b2f7265706c6163656d656e742f763320da4d462957221c753825a75d96c5ffde070bccbc3a7555f43770d8382d811b551239313337313037314d413343303030303158064c4730303031064c47303030320461702d31",
  "cancel_reason": "\u4e3b\u4f53\u540d\u5f55\u5c1a\u672a\u540c\u6b65\u5b8c\u6210\uff0c\u4f5c\u5e9f\u91cd\u62bd",
  "cancel_message": "1373706f74636865636b2f63616e63656c2f763320da4d462957221c753825a75d96c5ffde070bccbc3a7555f43770d8382d811b5520461ea4f4a079029edcbd396e1be62d5435e1142c7a6f8923bc61e91d27817199",
  "key_signature": "ad8dff544926a1186717b281ec99d69078627256f7773abe9f3134cce448738a93c61a0869d0f7c343675d101fad8138952631016aa04f2cf076a74ee3002b07",
  "commit_signature": "ddab19fb91c6ba125e3c5574ed40adf4f717001c1466cb85cabce8fc23eebd62c508111af14de8c15fb1b963f241a19be99a78e60010f85040d57d806237230a"
};

const PARTY = "信用监管科";
const hex = (h) => p.fromHex(h);

// An Ed25519 private key from its 32-byte seed (PKCS#8), as the Python reference holds it.
async function keyOf(seedHex) {
  const der = p.concat(hex("302e020100300506032b657004220420"), hex(seedHex));
  return globalThis.crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
}

test("canonical JSON and its digest are Python's, byte for byte", async () => {
  assert.equal(p.canonicalJson(V.value), V.canonical);
  assert.equal(p.toHex(await p.digestOf(V.value)), V.manifest_digest);
});

test("canonical JSON refuses what the spec's has no form for", () => {
  assert.throws(() => p.canonicalJson({ a: 1.5 }), /整数/);
  assert.throws(() => p.canonicalJson({ a: "\ud800" }), /代理项/);
});

test("key id and proof of possession", async () => {
  assert.equal(await p.keyIdOf(hex(V.public_key)), V.key_id);
  const message = p.keyMessage("lingang", PARTY, "zhang.credit", hex(V.public_key), "2026-11-16", "2027-11-16");
  assert.equal(p.toHex(message), V.key_message);
  assert.equal(await p.sign(await keyOf(V.secret), message), V.key_signature);
});

test("commitment and the signed acts' messages", async () => {
  const md = hex(V.manifest_digest);
  const share = hex(V.share);
  const commitment = await p.shareCommitment(md, V.value.draw_id, PARTY, share);
  assert.equal(p.toHex(commitment), V.commitment);
  const commit = p.commitMessage(md, PARTY, commitment);
  assert.equal(p.toHex(commit), V.commit_message);
  assert.equal(await p.sign(await keyOf(V.secret), commit), V.commit_signature);
  assert.equal(p.toHex(p.revealMessage(md, PARTY, share)), V.reveal_message);
  assert.equal(p.toHex(p.countersignMessage(md, hex(V.result_digest))), V.countersign_message);
  assert.equal(
    p.toHex(p.replacementMessage(md, "91371071MA3C00001X", "LG0001", "LG0002", "ap-1")),
    V.replacement_message,
  );
  assert.equal(p.toHex(await p.cancelMessage(md, V.cancel_reason)), V.cancel_message);
});

test("a manifest is checked before anything is signed over it", async () => {
  const draw = { draw_id: V.value.draw_id, manifest: V.value, manifest_sha256: V.manifest_digest };
  assert.equal(p.toHex(await p.checkedManifest(draw, "lingang")), V.manifest_digest);
  await assert.rejects(p.checkedManifest({ ...draw, manifest_sha256: "00".repeat(32) }, "lingang"), /清单摘要不符/);
  await assert.rejects(p.checkedManifest(draw, "other"), /区域/);
});

test("lengths: lp refuses more than 255 bytes, fromHex a wrong length", () => {
  assert.throws(() => p.lp(new Uint8Array(256)), /255/);
  assert.throws(() => p.fromHex("abcd", 3), /3 字节/);
  assert.throws(() => p.fromHex("zz"), /十六进制/);
});
