/**
 * The project's folders, resolved from this file's real location: tslab loads lib/
 * through the notebooks/lib symlink, and results must land in the same data/ and
 * figures/ whether a notebook, the CLI or a test wrote them.
 */
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(fs.realpathSync(__dirname), '..', '..');

export const repoPath = (...parts: string[]): string => path.join(REPO_ROOT, ...parts);
