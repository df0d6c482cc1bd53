// A command line for the JavaScript draw verifier, so that tests can put it beside
// verify_draw.py: prints the verifier's result as JSON; exit 0 verified, 1 a difference,
// 2 a file cannot be read or the command line is wrong.
//
//   node cli.mjs BUNDLE.json [--log LOG.json] [--prior B1.json B2.json …]
//   node cli.mjs --proof PROOF.json [--manifest MANIFEST.json | --root HEX]

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const verifier = path.join(here, "../../src/portal/entrypoints/static/js/verify/draw.js");
const { verifyBundle, verifyProof } = await import(verifier);

function read(file) {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (error) {
    process.stderr.write(`cannot read ${file}: ${error.message}\n`);
    process.exit(2);
  }
}

/** The value after `flag` (removed from `args` with it), or undefined. */
function option(args, flag) {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const [, value] = args.splice(at, 2);
  if (value === undefined) usage();
  return value;
}

function usage() {
  process.stderr.write("usage: node cli.mjs BUNDLE [--log LOG] [--prior B…] | --proof PROOF [--manifest M | --root HEX]\n");
  process.exit(2);
}

const args = process.argv.slice(2);
let prior;
if (args.includes("--prior")) prior = args.splice(args.indexOf("--prior")).slice(1).map(read);
const proofFile = option(args, "--proof");
let result;
if (proofFile !== undefined) {
  const manifest = option(args, "--manifest");
  const root = option(args, "--root");
  result = await verifyProof(read(proofFile), manifest !== undefined ? read(manifest) : root);
} else {
  const logFile = option(args, "--log");
  if (args.length !== 1) usage();
  result = await verifyBundle(read(args[0]), {
    log: logFile !== undefined ? read(logFile) : undefined,
    prior,
  });
}
process.stdout.write(JSON.stringify(result, null, 1) + "\n");
process.exit(result.ok ? 0 : 1);
