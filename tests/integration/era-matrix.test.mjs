// The host x server era matrix: an SDK v1 and an SDK v2 host, each spawning the
// bridge over stdio, against an SDK v1 stateful server, an SDK v2 server that
// speaks only 2026-07-28 and an SDK v2 dual-era server. Every cell runs the same
// steps (tools/list, a plain call, a call that asks the user, resources/read, a
// tool list change) and checks that the bridge wrote only JSON-RPC to stdout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TESTS_DIR, bridgeBin, killAll, requireBridge, spawnServer } from '../lib/harness.mjs';

const HOST = path.join(TESTS_DIR, 'lib', 'era-host.mjs');
const CELL_TIMEOUT_MS = 25000;
// The host gives up on its own a little earlier, so its report still arrives.
const HOST_WATCHDOG_MS = 21000;

const SERVERS = {
  'v1': ['era-v1.mjs', []],
  'v2-modern': ['era-v2.mjs', ['--mode', 'modern']],
  'v2-dual': ['era-v2.mjs', ['--mode', 'dual']],
};

// Every step the host must report, each "ok" for the cell to pass.
const STEPS = ['connect', 'tools/list', 'add', 'ask', 'resources/read', 'add-tool', 'list_changed',
  'tools/list after', 'stdout', 'client errors'];

// The era the host must end up in. An SDK v1 host only knows the 2025 era. An
// SDK v2 host probes with server/discover: in front of a 2026-07-28 server the
// bridge must let it speak that revision; in front of a 2025-era server either
// answer is allowed (translate to modern, or make the host fall back).
const EXPECTED_ERA = {
  'v1': { 'v1': ['legacy'], 'v2-modern': ['legacy'], 'v2-dual': ['legacy'] },
  'v2': { 'v1': ['legacy', 'modern'], 'v2-modern': ['modern'], 'v2-dual': ['modern'] },
};

let tmp;
before(() => {
  requireBridge();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'era-matrix-'));
});
after(async () => {
  await killAll();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Run the host to completion; resolves { code, signal, report, stdout, stderr }. */
function runHost(sdk, url, stderrFile) {
  const child = spawn(process.execPath, [HOST, '--sdk', sdk, '--stderr', stderrFile, url], {
    env: { ...process.env, MCP_BRIDGE_BIN: bridgeBin(), ERA_HOST_WATCHDOG_MS: String(HOST_WATCHDOG_MS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d.toString(); });
  child.stderr.on('data', (d) => { stderr += d.toString(); });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), CELL_TIMEOUT_MS - 1500);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let report = null;
      try { report = JSON.parse(last); } catch { /* reported below */ }
      resolve({ code, signal, report, stdout, stderr });
    });
  });
}

const tail = (text, n = 2500) => (text.length > n ? `...${text.slice(-n)}` : text) || '(empty)';

describe('era matrix: host (SDK v1|v2, over the bridge) x server (v1 | v2 modern-only | v2 dual-era)', () => {
  for (const sdk of ['v1', 'v2']) {
    for (const [serverName, [script, args]] of Object.entries(SERVERS)) {
      test(`host ${sdk} x server ${serverName}`, { timeout: CELL_TIMEOUT_MS }, async () => {
        const srv = await spawnServer(script, args);
        const stderrFile = path.join(tmp, `bridge-${sdk}-${serverName}.log`);
        try {
          const run = await runHost(sdk, srv.url, stderrFile);
          const bridgeStderr = fs.existsSync(stderrFile) ? fs.readFileSync(stderrFile, 'utf8') : '';
          const context = () => `\n--- host report ---\n${JSON.stringify(run.report, null, 1) ?? tail(run.stdout)}`
            + `\n--- host stderr ---\n${tail(run.stderr, 1500)}`
            + `\n--- bridge stderr (tail) ---\n${tail(bridgeStderr)}`
            + `\n--- server stderr (tail) ---\n${tail(srv.stderr(), 1000)}`;
          assert.ok(run.report && typeof run.report === 'object',
            `host ${sdk} printed no report (exit ${run.code}, signal ${run.signal})${context()}`);
          const failed = STEPS.filter((s) => run.report[s] !== 'ok')
            .map((s) => `${s}: ${run.report[s] ?? 'not reached'}`);
          for (const extra of ['watchdog', 'host']) {
            if (run.report[extra] !== undefined) failed.push(`${extra}: ${run.report[extra]}`);
          }
          assert.deepEqual(failed, [], `host ${sdk} x server ${serverName}: steps failed:\n  ${failed.join('\n  ')}${context()}`);
          const eras = EXPECTED_ERA[sdk][serverName];
          assert.ok(eras.includes(run.report.era),
            `host ${sdk} x server ${serverName}: the host ended in era ${run.report.era}, expected ${eras.join(' or ')}${context()}`);
          assert.equal(run.code, 0, `host ${sdk} exited ${run.code} though every step passed${context()}`);
        } finally {
          await srv.stop();
        }
      });
    }
  }
});
