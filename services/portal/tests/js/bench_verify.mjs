// node services/portal/tests/js/bench_verify.mjs [--browser]
//
// The JavaScript verifier's time on a district draw (50,000 entities, target 1 s) and a city
// draw (1,000,000, target 10 s in headless Chromium; Node, the same V8, stands in for it).
// The bundles are drawn by the draws engine (benchmarks/draws_bench.py, the scales of its
// district_draw and city_draw) once and cached beside its snapshots under
// $SPOTCHECK_BENCH_DIR (default ~/.cache/spotcheck/bench). They are spotcheck-draw/1 bundles,
// as the Python verifier's own benchmark uses: /3 adds the rows' attributes to the leaves
// and a few signatures, not the million tickets.
//
// Each figure is the first (cold) run in this process: a visitor verifies once.
// --browser: also in headless Chromium (/usr/bin/chromium), in the module worker.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../../..");
const VERIFY = path.join(root, "services/portal/src/portal/entrypoints/static/js/verify");
const { verifyBundle } = await import(path.join(VERIFY, "draw.js"));
const cache = path.join(
  process.env.SPOTCHECK_BENCH_DIR || path.join(os.homedir(), ".cache/spotcheck/bench"),
  "js-verify",
);
const TARGETS = { district: 1000, city: 10000 };

const GENERATE = `
import sys
sys.path.insert(0, "benchmarks")
import draws_bench as b
from draws.domain import protocol as p
scale, out = sys.argv[1], sys.argv[2]
d, pop, _ = b.draw(scale, b.prepared(scale), b"js-verify", signed=False)
open(out, "wb").write(p.canonical_json(d.bundle(pop)))
`;

function bundle(scale) {
  const file = path.join(cache, `${scale}-bundle.json`);
  if (!existsSync(file)) {
    mkdirSync(cache, { recursive: true });
    execFileSync(path.join(root, "infra/bin/uv.sh"), ["run", "python", "-c", GENERATE, scale, file], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  return file;
}

async function timed(raw) {
  const t0 = performance.now();
  const result = await verifyBundle(raw);
  if (!result.ok) throw new Error(`the bundle does not verify: ${result.error_zh}`);
  return performance.now() - t0;
}

/** The verification in headless Chromium's module worker; resolves to its milliseconds. */
function inChromium(file) {
  const page = `<!doctype html><script type="module">
    const raw = await (await fetch("/bundle")).arrayBuffer();
    const worker = new Worker("/verify/worker.js", { type: "module" });
    const t0 = performance.now();
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") return;
      const ms = performance.now() - t0;
      fetch("/done", { method: "POST", body: JSON.stringify({ ms, ok: data.result?.ok, error: data.result?.error_zh ?? data.error_zh }) });
    };
    worker.postMessage({ bundle: raw }, [raw]);
  </script>`;
  return new Promise((resolve, reject) => {
    let browser;
    const server = createServer((req, res) => {
      if (req.url === "/done") {
        let text = "";
        req.on("data", (c) => (text += c));
        req.on("end", () => {
          res.end();
          browser.kill();
          server.close();
          const { ms, ok, error } = JSON.parse(text);
          ok ? resolve(ms) : reject(new Error(`Chromium: ${error}`));
        });
        return;
      }
      const files = { "/": [page, "text/html"], "/bundle": [readFileSync(file), "application/json"] };
      const name = req.url.startsWith("/verify/") ? path.join(VERIFY, path.basename(req.url)) : null;
      const [body, type] = name ? [readFileSync(name), "text/javascript"] : files[req.url] ?? ["", "text/plain"];
      res.writeHead(200, { "content-type": type });
      res.end(body);
    });
    server.listen(0, "127.0.0.1", () => {
      const url = `http://127.0.0.1:${server.address().port}/`;
      browser = spawn("/usr/bin/chromium", ["--headless=new", "--no-sandbox", "--disable-gpu", url], { stdio: "ignore" });
      browser.on("error", reject);
    });
  });
}

for (const scale of ["district", "city"]) {
  const file = bundle(scale);
  const raw = new Uint8Array(readFileSync(file));
  const first = await timed(raw);
  const again = Math.min(await timed(raw), await timed(raw));
  console.log(`BENCH js_verify_${scale} ${first.toFixed(0)} ms target=${TARGETS[scale]}`);
  console.log(`# js_verify_${scale}: Node ${process.version}, warm best of 2 ${again.toFixed(0)} ms, bundle ${(raw.length / 2 ** 20).toFixed(1)} MiB`);
  if (process.argv.includes("--browser")) {
    const ms = await inChromium(file);
    console.log(`BENCH js_verify_${scale}_chromium ${ms.toFixed(0)} ms target=${TARGETS[scale]}`);
  }
}
