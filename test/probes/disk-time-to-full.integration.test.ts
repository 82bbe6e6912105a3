// disk:time_to_full on a real tmpfs: filled at a steady rate, the estimate meets the truth (df's
// available bytes over the rate written); written and truncated again and again (log rotation),
// it never alarms. Windows are seconds long here; the defaults are hours.
import t from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { diskKind } from '../../src/probes/disk/index.ts';
import { filesystemAvail, filesystemTimeToFull } from '../../src/probes/disk/metadata.ts';
import type { Collection } from '../../src/probes/types.ts';
import { checkOf, context, live, settingsOf, verdict } from './helpers.ts';
import { diskConfig } from '../../src/probes/disk/config.ts';

const HOST = { proc: '/proc', sys: '/sys', rootfs: '/' };
const KiB = 1024;
const STEP_MS = 200;

function tmpfs(t: Pick<typeof import('tap').default, 'teardown'>, size: string): string {
  const mount = mkdtempSync(join(tmpdir(), 'vigil-ttf-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', mount]);
  t.teardown(() => {
    execFileSync('umount', ['-l', mount]);
    rmSync(mount, { recursive: true, force: true });
  });
  return mount;
}

function probeOn(mount: string) {
  return diskKind.create(
    settingsOf(diskConfig, {
      mount_points_include: `^${mount.replace(/[.]/g, '\\.')}$`,
      time_to_full_window: '3s',
      time_to_full_min_samples: 8,
      time_to_full_thresholds: { warn: 60, fail: 10 },
    }),
    context(HOST),
  );
}

function sampleOf(c: Collection, metric: typeof filesystemAvail, mount: string): number | undefined {
  return c.samples.find((s) => s.metric === metric && s.labels.mountpoint === mount)?.value;
}

async function dfAvail(mount: string): Promise<number> {
  const out = (await promisify(execFile)('df', ['-P', '-B1', mount])).stdout;
  return Number((out.trim().split('\n').at(-1) ?? '').trim().split(/\s+/).at(-3));
}

/** Runs `step(i)` then a collection every STEP_MS, on a fixed schedule (no drift). */
async function paced(steps: number, step: (i: number) => void, probe: ReturnType<typeof probeOn>, seen: (c: Collection, i: number) => void): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < steps; i++) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + i * STEP_MS - Date.now())));
    step(i);
    seen(await probe.collect(live()), i);
  }
  return started;
}

t.test('a tmpfs filled at a steady rate: the estimate meets df and the rate written', async (t) => {
  const mount = tmpfs(t, '8m');
  const probe = probeOn(mount);
  const chunk = Buffer.alloc(128 * KiB, 1); // 640 KiB/s: 8 MiB full in about 13 s
  let last: Collection | undefined;
  const statuses: string[] = [];
  const started = await paced(
    25,
    () => appendFileSync(join(mount, 'growing.log'), chunk),
    probe,
    (c) => {
      last = c;
      statuses.push(verdict(checkOf(c, 'disk:time_to_full', mount))?.status ?? 'none');
    },
  );
  const c = last as Collection;
  const ttf = checkOf(c, 'disk:time_to_full', mount);
  const avail = sampleOf(c, filesystemAvail, mount) as number;
  const df = await dfAvail(mount);
  t.equal(avail, df, `avail ${avail} = df ${df}`);
  const rate = (chunk.length * 1000) / STEP_MS;
  const truth = df / rate;
  const estimate = ttf?.observedValue as number;
  t.comment(
    `time to full: estimate ${estimate} s, truth ${truth.toFixed(2)} s (df avail ${df} B at ${rate} B/s written), ${ttf?.output}; ran ${Date.now() - started} ms`,
  );
  t.ok(Math.abs(estimate - truth) <= 1, `estimate ${estimate} s within 1 s of ${truth.toFixed(2)} s`);
  t.equal(sampleOf(c, filesystemTimeToFull, mount), estimate);
  t.same(verdict(ttf), { status: 'fail', severity: 'SEV2' });
  t.same(statuses.slice(0, 7), Array(7).fill('pass'), 'no estimate before 8 samples');
  t.ok(statuses.includes('warn'), `warned before failing: ${statuses.join(' ')}`);
});

t.test('a tmpfs written and rotated (sawtooth) never alarms', async (t) => {
  const mount = tmpfs(t, '8m');
  const probe = probeOn(mount);
  const chunk = Buffer.alloc(256 * KiB, 1);
  const file = join(mount, 'app.log');
  const seen: string[] = [];
  // 4 runs written, then truncated: a 0.8 s tooth, about 4 teeth in the 3 s window.
  await paced(
    30,
    (i) => (i % 4 === 3 ? truncateSync(file, 0) : appendFileSync(file, chunk)),
    probe,
    (c, i) => {
      const obs = checkOf(c, 'disk:time_to_full', mount);
      seen.push(obs?.output ?? 'none');
      if (i >= 8) t.equal(verdict(obs)?.status, 'pass', `run ${i}: ${obs?.output}`);
      t.equal(sampleOf(c, filesystemTimeToFull, mount), undefined);
    },
  );
  t.comment(`sawtooth, last runs: ${seen.slice(-3).join(' | ')}`);
});
