// Validates Kubernetes objects the way the API server would, offline:
// - kubernetes-models (and @kubernetes-models/prometheus-operator for the Operator's CRDs),
//   generated from Kubernetes' OpenAPI and the CRDs' schemas, check types, required fields and
//   enums;
// - those schemas allow unknown fields (the API server drops or, with strict field validation,
//   rejects them), so a second, strict pass type-checks every object as an object literal
//   against the same packages' TypeScript interfaces: excess-property checking then rejects any
//   field the interface does not declare, at any depth (`readinesProbe`, `priorityClasName`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
  [key: string]: unknown;
}

/** One object to check, and where it came from (shown in every problem). */
export interface Located {
  readonly where: string;
  readonly object: KubernetesObject;
}

/** The module of the model of `apiVersion`/`kind`, or undefined for an API group we have no models for. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  if (!/^[A-Za-z0-9]+$/.test(kind)) return undefined;
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  // Built-in API groups (the core group is `v1`, the others `group/version`); another group's
  // kind fails to import and is reported as unknown.
  if (/^(v1|[a-z0-9.-]+\/v[0-9a-z]+)$/.test(apiVersion)) return `kubernetes-models/${apiVersion}/${kind}`;
  return undefined;
}

/** Problems found by the models' own validation (types, required fields, enums). */
export async function validateWithModels(items: readonly Located[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { where, object } of items) {
    const module = modelModule(String(object.apiVersion), String(object.kind));
    if (module === undefined) {
      problems.push(`${where}: no schema for apiVersion ${object.apiVersion}, kind ${object.kind}`);
      continue;
    }
    let Model: new (data: unknown) => { validate(): void };
    try {
      Model = ((await import(module)) as Record<string, new (data: unknown) => { validate(): void }>)[object.kind]!;
      if (typeof Model !== 'function') throw new Error('not a model');
    } catch {
      problems.push(`${where}: unknown kind ${object.kind} in ${object.apiVersion}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * Problems found by the strict pass: every field must be one the object's interface declares.
 * One TypeScript compilation for all objects (a second or two).
 */
export function validateStrictFields(items: readonly Located[]): string[] {
  const problems: string[] = [];
  const imports: string[] = [];
  const body: string[] = [];
  const owners: { from: number; where: string }[] = [];
  for (const { where, object } of items) {
    const module = modelModule(String(object.apiVersion), String(object.kind));
    if (module === undefined) {
      problems.push(`${where}: no schema for apiVersion ${object.apiVersion}, kind ${object.kind}`);
      continue;
    }
    const n = owners.length;
    imports.push(`import type { I${object.kind} as T${n} } from ${JSON.stringify(module)};`);
    owners.push({ from: body.length, where });
    body.push(...`export const object${n} = ${JSON.stringify(object, null, 2)} satisfies T${n};`.split('\n'));
  }
  const n = owners.length;
  for (const o of owners) o.from += imports.length + 1; // 1-based lines, after the imports
  const lines = [...imports, ...body];
  if (n === 0) return problems;

  const cache = `${ROOT}/node_modules/.cache`;
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(`${cache}/vigil-manifests-`);
  try {
    writeFileSync(`${dir}/objects.ts`, `${lines.join('\n')}\n`);
    writeFileSync(
      `${dir}/tsconfig.json`,
      JSON.stringify({
        compilerOptions: { target: 'es2024', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['objects.ts'],
      }),
    );
    // A clean environment: the compiler must not inherit the test runner's loaders.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/' };
    const res = spawnSync(compilerPath(), ['-p', `${dir}/tsconfig.json`, '--pretty', 'false'], {
      encoding: 'utf8',
      timeout: 120_000,
      env,
    });
    if (res.error) throw res.error;
    if (res.status === 0) return problems;
    for (const line of `${res.stdout}${res.stderr}`.split('\n')) {
      const m = /objects\.ts\((\d+),\d+\): error TS\d+: (.*)$/.exec(line);
      if (!m) continue;
      const at = Number(m[1]);
      if (at <= imports.length) {
        problems.push(`schema import failed: ${m[2]}`);
        continue;
      }
      const owner = owners.findLast((o) => o.from <= at);
      // Keys are written as JSON strings: '"readinesProbe"' reads better as 'readinesProbe'.
      problems.push(`${owner?.where ?? 'objects.ts'}: ${m[2]!.replace(/'"([^"']*)"'/g, "'$1'")}`);
    }
    if (problems.length === 0) problems.push(`strict field check failed:\n${res.stdout}${res.stderr}`);
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** TypeScript 7's native compiler, run directly: its node launcher would load the test runner's hooks. */
function compilerPath(): string {
  const pkg = `@typescript/typescript-${process.platform}-${process.arch}/package.json`;
  return `${dirname(createRequire(`${ROOT}/package.json`).resolve(pkg))}/lib/tsc`;
}
