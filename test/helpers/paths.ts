import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The shared test models folder (CI clones the repo with shared/ beside it). */
export const MODELS_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'models')

/** Path of a test model, relative to the shared models folder. */
export function modelPath(name: string): string {
  return path.join(MODELS_DIR, name)
}
