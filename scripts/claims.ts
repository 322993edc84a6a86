/**
 * The write-up's claims against our committed results (lib/report/claims.ts), one column per
 * profile: prints the table, or with --write puts it into the README between its markers.
 *
 *   npm run claims                 print the table
 *   npm run claims -- --write      update README.md (between <!-- claims:start --> and <!-- claims:end -->)
 */
import * as fs from 'fs';
import { eachFlag, runMain } from '../lib/cli/flags';
import { repoPath } from '../lib/experiments/paths';
import { CLAIM_PROFILES, claimProfiles, claimsMarkdown } from '../lib/report/claims';

const USAGE = 'usage: claims [--write]';
export const MARKERS = ['<!-- claims:start -->', '<!-- claims:end -->'] as const;

/** README text with the claim table between the markers replaced by `table`. */
export function withClaims(readme: string, table: string): string {
  const [a, b] = [readme.indexOf(MARKERS[0]), readme.indexOf(MARKERS[1])];
  if (a < 0 || b < a) throw new Error(`README.md has no ${MARKERS[0]} … ${MARKERS[1]} block`);
  return `${readme.slice(0, a + MARKERS[0].length)}\n${table}\n${readme.slice(b)}`;
}

async function main(): Promise<number> {
  let write = false;
  eachFlag(process.argv.slice(2), USAGE, (flag) => {
    if (flag === '--write') write = true;
    else throw new Error(`unknown option '${flag}'; valid: --write\n${USAGE}`);
  });
  const table = claimsMarkdown(claimProfiles());
  if (!write) return (void console.log(table), 0);
  const file = repoPath('README.md');
  fs.writeFileSync(file, withClaims(fs.readFileSync(file, 'utf8'), table));
  console.log(`README.md: claim table updated (${CLAIM_PROFILES.join(', ')})`);
  return 0;
}

if (require.main === module) runMain(main);
