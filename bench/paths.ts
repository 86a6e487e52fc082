import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** Where generated benchmark models go (git-ignored). */
export const BENCH_MODELS_DIR = path.join(REPO_ROOT, 'bench', 'models')

/** The repo's git-ignored cache folder (Node 24, the native baseline's packages). */
export const CACHE_DIR = path.join(REPO_ROOT, '.cache')

/** The shared test models folder (CI clones the repo with shared/ beside it). */
export const SHARED_MODELS_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'models')
