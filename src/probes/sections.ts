// Every kind of the registry with its config side loaded, for code that validates configs in
// its own thread: `vigil check` and `config check`, the docs generators, tests. The agent does
// not import this: it validates in a worker (src/config-worker.ts).
import { probeSections } from './kind.ts';
import { PROBE_KINDS } from './registry.ts';

export const PROBE_SECTIONS = await probeSections(PROBE_KINDS);
