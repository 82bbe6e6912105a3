// Version and revision of this build. The revision comes from VIGIL_REVISION (set by the image
// build) or the git checkout; reading .git is cheap and done once at start-up.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const VERSION: string = pkg.version;
export const REVISION: string = process.env.VIGIL_REVISION || gitRevision() || 'unknown';

function gitRevision(): string | undefined {
  try {
    const git = new URL('../.git/', import.meta.url);
    const head = readFileSync(new URL('HEAD', git), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 12);
    return readFileSync(new URL(head.slice(5), git), 'utf8')
      .trim()
      .slice(0, 12);
  } catch {
    return undefined;
  }
}
