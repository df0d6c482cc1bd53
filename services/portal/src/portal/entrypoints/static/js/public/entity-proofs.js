// An entity's page: checks, in the browser, each proof that the entity was or was not in a
// draw's frozen population against the root the draw's manifest published (verifyProof, run in
// the verifier's module Web Worker), and says so in plain Chinese in each row.

const table = document.getElementById("proofs");
const uscc = table.dataset.uscc;

async function json(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`无法下载（${response.status}）`);
  return response.json();
}

function inWorker(message) {
  return new Promise((resolve) => {
    const worker = new Worker(table.dataset.worker, { type: "module" });
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") return;
      worker.terminate();
      resolve(data.type === "result" ? data.result : { ok: false, error_zh: data.error_zh });
    };
    worker.onerror = (event) => {
      worker.terminate();
      resolve({ ok: false, error_zh: `验证程序无法启动：${event.message || ""}` });
    };
    worker.postMessage(message);
  });
}

async function check(row) {
  const cell = row.querySelector(".proof-check");
  if (!cell.textContent.trim()) return;
  const draw = row.dataset.draw;
  cell.textContent = "正在核对……";
  try {
    const [proof, manifest] = await Promise.all([
      json(`/public/draws/${draw}/proof/${uscc}`),
      json(`/public/draws/${draw}/manifest`),
    ]);
    const result = await inWorker({ proof, manifest: manifest.manifest });
    const badge = document.createElement("span");
    if (result.ok) {
      badge.className = "badge ok";
      badge.textContent = result.included ? "已核对：在总体中" : "已核对：不在总体中";
    } else {
      badge.className = "badge bad";
      badge.textContent = `证明不成立：${result.error_zh || "与清单不符"}`;
    }
    cell.replaceChildren(badge);
  } catch (error) {
    cell.textContent = `未能核对：${error.message}`;
  }
}

for (const row of table.querySelectorAll("tr[data-draw]")) check(row);
