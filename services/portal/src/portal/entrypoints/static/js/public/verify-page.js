// Verifies a draw in the browser: the draw's page fetches its bundle (same origin), the
// /verify page reads a bundle file picked from disk; the district's draw log is fetched too.
// The recomputation runs in the verifier's module Web Worker (../verify/worker.js), so the
// page stays responsive; each check is shown in plain Chinese as it finishes, then the verdict.

const box = document.getElementById("verifier");
const start = document.getElementById("verify-start");
const progress = document.getElementById("verify-progress");
const verdict = document.getElementById("verify-verdict");
const list = document.getElementById("verify-checks");
const picker = document.getElementById("bundle-file");
const withLog = document.getElementById("with-log");

for (const note of document.querySelectorAll(".js-only-note")) note.hidden = true;

function say(text, kind) {
  verdict.textContent = text;
  verdict.className = `verdict ${kind}`;
}

function show(checks) {
  list.replaceChildren(
    ...checks.map((c) => {
      const li = document.createElement("li");
      li.className = c.ok ? "pass" : "fail";
      const name = document.createElement("strong");
      name.textContent = `${c.ok ? "通过" : "不符"}：${c.name || c.id}`;
      const detail = document.createElement("span");
      detail.textContent = c.detail_zh ? ` —— ${c.detail_zh}` : "";
      li.append(name, detail);
      return li;
    }),
  );
}

async function fetched(url, what) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`无法下载${what}（${response.status}）`);
  return response;
}

function run(bundle, log) {
  return new Promise((resolve) => {
    const worker = new Worker(box.dataset.worker, { type: "module" });
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") {
        progress.value = data.fraction || 0;
        say(`正在检查：${data.name || data.check}……`, "running");
        return;
      }
      worker.terminate();
      resolve(data.type === "result" ? data.result : { ok: false, checks: [], error_zh: data.error_zh });
    };
    worker.onerror = (event) => {
      worker.terminate();
      resolve({ ok: false, checks: [], error_zh: `验证程序无法启动：${event.message || "浏览器不支持模块 Web Worker"}` });
    };
    worker.postMessage({ bundle, log }, [bundle]);
  });
}

async function bundleBytes() {
  if (picker) {
    const file = picker.files && picker.files[0];
    if (!file) throw new Error("请先选择数据包文件");
    return file.arrayBuffer();
  }
  return (await fetched(box.dataset.bundle, "可验证数据包")).arrayBuffer();
}

async function verify() {
  start.disabled = true;
  list.replaceChildren();
  progress.hidden = false;
  progress.value = 0;
  say("正在下载数据……", "running");
  try {
    const bundle = await bundleBytes();
    const log = !withLog || withLog.checked ? await (await fetched(box.dataset.log, "抽取日志")).text() : null;
    const result = await run(bundle, log);
    show(result.checks || []);
    if (result.ok) {
      say(`验证通过：本次抽取的全部 ${result.checks.length} 项检查均与公开数据一致，抽取结果可由公开的种子和名单重算（${result.version}）。`, "ok");
    } else {
      say(`验证未通过：${result.error_zh || "数据包与重算结果不一致"}`, "bad");
    }
  } catch (error) {
    say(`未能验证：${error.message}`, "bad");
  } finally {
    progress.hidden = true;
    start.disabled = false;
  }
}

start.addEventListener("click", verify);
if (picker) {
  picker.addEventListener("change", () => {
    start.disabled = !(picker.files && picker.files.length);
  });
} else {
  start.disabled = false;
}
