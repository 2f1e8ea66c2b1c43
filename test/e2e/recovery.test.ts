/**
 * Nothing is lost when a node dies: after a crash (SIGKILL) and a restart on the same data, every
 * prediction ends. Those a model had started fail with a clear error (they are never run twice);
 * those still queued run. A graceful stop (SIGTERM) lets running predictions finish.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Platform } from './helpers/platform.js';
import { poll } from './helpers/wait.js';

const MODELS = fileURLToPath(new URL('./fixtures/recovery-models', import.meta.url));
/** Short leases so lapsed claims are noticed quickly; a short grace so stops are quick. */
const ENV = { REPLICANT_LEASE_MS: '1000', REPLICANT_GRACE_MS: '1000' };
const TERMINAL = ['succeeded', 'failed', 'canceled'];

// biome-ignore lint/suspicious/noExplicitAny: predictions are checked field by field by the assertions
type Prediction = any;

/** The ids of every process below `pid` (Linux only; empty elsewhere). */
function descendants(pid: number): number[] {
  if (process.platform !== 'linux') return [];
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const child of parents.get(p) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** When a process started (clock ticks since boot), to tell it from a later one with its id. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('recovery', () => {
  const platforms: Platform[] = [];
  const gates: { open(): void; remove(): void }[] = [];
  /** Processes a crashed node left behind, killed after each test whatever it proved. */
  const orphans: { pid: number; started: string | undefined }[] = [];

  afterEach(async () => {
    // Open every gate first, so graceful stops do not wait on held predictions.
    for (const gate of gates) gate.open();
    for (const p of platforms.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop();
    for (const { pid, started } of orphans.splice(0)) if (started && startTime(pid) === started) process.kill(pid, 'SIGKILL');
    for (const gate of gates.splice(0)) gate.remove();
  });

  async function start(dataDir?: string): Promise<Platform> {
    const platform = await Platform.start({ models: [MODELS], env: ENV, ...(dataDir && { dataDir }) });
    platforms.push(platform);
    return platform;
  }

  /** SIGKILLs a node, as a crash would; returns the processes it had started (its model instances). */
  async function crash(platform: Platform): Promise<number[]> {
    const instances = descendants(platform.child.pid as number);
    orphans.push(...instances.map((pid) => ({ pid, started: startTime(pid) })));
    await platform.kill();
    return instances;
  }

  /** A file that does not exist yet: the gated model runs until it does. */
  function gateFile(): { path: string; open(): void } {
    const dir = mkdtempSync(join(tmpdir(), 'replicant-gate-'));
    const path = join(dir, 'open');
    const gate = {
      path,
      open: () => existsSync(dir) && writeFileSync(path, ''),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
    gates.push(gate);
    return gate;
  }

  async function create(platform: Platform, model: string, input: Record<string, unknown>): Promise<Prediction> {
    const { status, body } = await platform.api('POST', `/v1/models/local/${model}/predictions`, { input });
    expect(status, JSON.stringify(body)).toBe(201);
    return body;
  }

  async function get(platform: Platform, id: string): Promise<Prediction> {
    const { status, body } = await platform.api('GET', `/v1/predictions/${id}`);
    expect(status).toBe(200);
    return body;
  }

  const statusOf = (platform: Platform, id: string) => get(platform, id).then((p) => p.status as string);
  const reach = (platform: Platform, id: string, wanted: string[]) =>
    poll(
      () => get(platform, id),
      (p) => wanted.includes(p.status),
      `${id} to be ${wanted.join(' or ')}`,
    );

  it('after a crash, fails what a model had started and runs what was still queued', async () => {
    const gate = gateFile();
    const first = await start();

    const before = await first.api('POST', '/v1/models/local/quick/predictions', { input: { text: 'before' } }, { prefer: 'wait' });
    expect(before.body).toMatchObject({ status: 'succeeded', output: 'hello before' });

    // Running: one on the gated model (one slot), two on the gated pair (two slots).
    const running = [
      await create(first, 'gated', { gate: gate.path, label: 'running-0' }),
      await create(first, 'gated-pair', { gate: gate.path, label: 'running-1' }),
      await create(first, 'gated-pair', { gate: gate.path, label: 'running-2' }),
    ];
    for (const p of running) await reach(first, p.id, ['processing']);
    // Queued behind them: their models have no free slot.
    const queued = [
      await create(first, 'gated', { gate: gate.path, label: 'queued-0' }),
      await create(first, 'gated', { gate: gate.path, label: 'queued-1' }),
      await create(first, 'gated-pair', { gate: gate.path, label: 'queued-2' }),
    ];
    // The quick model is not held up by the others, and a finished prediction stays finished.
    const quick = await first.api('POST', '/v1/models/local/quick/predictions', { input: { text: 'meanwhile' } }, { prefer: 'wait' });
    expect(quick.body).toMatchObject({ status: 'succeeded', output: 'hello meanwhile' });
    for (const p of queued) expect(await statusOf(first, p.id)).toBe('starting');
    for (const p of running) expect(await statusOf(first, p.id)).toBe('processing');

    await crash(first);

    const second = await start(first.dataDir);
    // The node knows its own claims: the rescue is done by the time it listens.
    for (const p of running) {
      const after = await get(second, p.id);
      expect(after.status).toBe('failed');
      expect(after.error).toMatch(/node running this prediction stopped/i);
      expect(after.error).toMatch(/not run again/i);
      expect(after.completed_at).toEqual(expect.any(String));
      expect(after.output).toBeNull();
    }
    for (const p of queued) expect(['starting', 'processing']).toContain(await statusOf(second, p.id));
    // They run again here: one reaches the gated model (which holds it) before the gate opens.
    await reach(second, queued[0].id, ['processing']);
    gate.open();
    for (const p of queued) {
      const after = await reach(second, p.id, TERMINAL);
      expect(after).toMatchObject({ status: 'succeeded', output: p.input.label, error: null });
    }
    for (const p of [before.body, quick.body]) expect(await get(second, p.id)).toMatchObject({ status: 'succeeded', output: p.output });
    for (const p of running) expect(await statusOf(second, p.id)).toBe('failed');

    expect(await second.stop()).toBe(0);
  });

  it('a prediction whose claim lapsed on a node that died is rescued by another node', async () => {
    // Two nodes share one data dir only one after the other here: the second one has a new node id,
    // so it cannot rescue at start and must wait for the lease to lapse.
    const gate = gateFile();
    const first = await start();
    const running = await create(first, 'gated', { gate: gate.path, label: 'running' });
    await reach(first, running.id, ['processing']);
    const queued = await create(first, 'gated', { gate: gate.path, label: 'queued' });
    expect(await statusOf(first, queued.id)).toBe('starting');
    await crash(first);

    rmSync(join(first.dataDir, 'node-id'));
    const second = await start(first.dataDir);
    const failed = await reach(second, running.id, TERMINAL);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/not run again/i);
    await reach(second, queued.id, ['processing']);
    gate.open();
    expect(await reach(second, queued.id, TERMINAL)).toMatchObject({ status: 'succeeded', output: 'queued' });
    expect(await second.stop()).toBe(0);
  });

  it('on SIGTERM, refuses new work, lets running predictions finish, and exits 0', async () => {
    const gate = gateFile();
    const first = await start();
    const running = await create(first, 'gated', { gate: gate.path, label: 'finished' });
    await reach(first, running.id, ['processing']);
    const queued = await create(first, 'gated', { gate: gate.path, label: 'later' });
    expect(await statusOf(first, queued.id)).toBe('starting');

    first.child.kill('SIGTERM');
    await poll(
      () => first.api('GET', '/health'),
      (h) => h.body?.status === 'shutting down',
      'the node to be shutting down',
    );
    // While it drains, reads work and new work is refused.
    expect(await statusOf(first, running.id)).toBe('processing');
    const refused = await first.api('POST', '/v1/models/local/quick/predictions', { input: { text: 'late' } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(existsSync(gate.path)).toBe(false);
    gate.open();
    expect(await first.exited).toBe(0);

    const second = await start(first.dataDir);
    expect(await get(second, running.id)).toMatchObject({ status: 'succeeded', output: 'finished', error: null });
    // The queued one was handed back to the queue, not failed: it runs now.
    expect(await reach(second, queued.id, TERMINAL)).toMatchObject({ status: 'succeeded', output: 'later' });
    expect(await second.stop()).toBe(0);
  });

  // Instances hold a pipe from their node on stdin: when the node dies, they cancel and exit.
  it('the model instances of a crashed node do not outlive it', async () => {
    const gate = gateFile();
    const first = await start();
    const running = await create(first, 'gated', { gate: gate.path, label: 'running' });
    await reach(first, running.id, ['processing']);
    const instances = await crash(first);
    expect(instances.length).toBeGreaterThan(0);
    const lingering = await poll(
      async () => instances.filter(alive),
      (l) => l.length === 0,
      'the instances of the crashed node to exit',
      { timeoutMs: 10_000 }, // the runtime forces its exit 2 s after its stdin closes; the rest is slack for a loaded machine
    ).catch(() => instances.filter(alive));
    expect(lingering, 'processes of the crashed node still running').toEqual([]);
  });
});
