// Every kind of the registry with its config side loaded, for code that validates configs in
// its own process: `vigil check` and `config check`, the docs generators, tests. The agent does
// not import this: it validates in a child process (src/config-process.ts).
import { probeSections } from './kind.ts';
import { PROBE_KINDS } from './registry.ts';

export const PROBE_SECTIONS = await probeSections(PROBE_KINDS);
