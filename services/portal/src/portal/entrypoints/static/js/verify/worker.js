// Module Web Worker around draw.js, so that a city draw's million tickets are hashed off the
// page's main thread:
//
//   const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
//   worker.postMessage({ bundle, log, prior });     // or { proof, manifest } / { proof, root }
//   worker.onmessage = ({ data }) => …               // {type: "progress", check, name, fraction}
//                                                    // then {type: "result", result}
//
// Bundles are best posted as ArrayBuffers of the exact bytes served (transfer them: they are
// large); a failure of the worker itself is posted as {type: "error", error_zh}.

import { verifyBundle, verifyProof } from "./draw.js";

self.onmessage = async ({ data }) => {
  try {
    const result = data.proof !== undefined
      ? await verifyProof(data.proof, data.manifest ?? data.root)
      : await verifyBundle(data.bundle, {
        log: data.log,
        prior: data.prior,
        onProgress: (p) => self.postMessage({ type: "progress", ...p }),
      });
    self.postMessage({ type: "result", result });
  } catch (error) {
    self.postMessage({ type: "error", error_zh: `验证程序出错：${error.message}` });
  }
};
