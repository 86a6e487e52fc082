import { spawnSync } from 'node:child_process'

// glibc keeps what V8's compiler threads free in per-thread arenas: the engine's first requests send its op dispatcher
// to TurboFan, and that memory stayed resident. Two arenas, and mmap for blocks of 128 KiB and more, hand most of it
// back (135M model, 2 threads: 511 -> 439 MiB; README "Startup and footprint"). glibc reads these once at process
// start, so the CLI sets them by replacing its own process image (process.execve: Node 22.15+ and 23.11+, same pid,
// no second process); scripts/start.mjs passes the same values for Node 20. Values the user set win.
export const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' } as const

type ProcessLike = Pick<NodeJS.Process, 'env' | 'execPath' | 'execArgv' | 'argv' | 'platform' | 'versions'> & {
  execve?: (file: string, args: string[], env: Record<string, string | undefined>) => never
  report?: { getReport(): unknown }
}

/** The environment to re-exec with, or null when there is nothing to do (set already, not glibc, no execve). */
export function mallocReexecEnv(proc: ProcessLike): Record<string, string | undefined> | null {
  if (Object.keys(MALLOC_ENV).every((name) => proc.env[name] !== undefined)) return null
  if (typeof proc.execve !== 'function' || proc.platform !== 'linux') return null
  if (proc.versions.bun !== undefined || proc.versions.deno !== undefined) return null
  const header = (proc.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
  if (!header?.glibcVersionRuntime) return null
  return { ...MALLOC_ENV, ...proc.env }
}

/**
 * Whether the kernel runs `file` here. process.execve neither returns nor throws when the exec fails: Node aborts the
 * process (seen with an arm64 Node under qemu-user, whose binary the kernel itself cannot run: ENOEXEC), so the exec
 * is tried first in a child (`--version`, a few milliseconds).
 */
export function canExec(file: string): boolean {
  const child = spawnSync(file, ['--version'], { stdio: 'ignore', timeout: 10_000 })
  return child.error === undefined && child.status === 0
}

/** Restarts this process image with MALLOC_ENV where that helps and works; returns only when it does not. */
export function reexecWithMallocEnv(proc: ProcessLike = process, runs: (file: string) => boolean = canExec): void {
  const env = mallocReexecEnv(proc)
  if (!env || !proc.execve || !runs(proc.execPath)) return
  try {
    proc.execve(proc.execPath, [proc.execPath, ...proc.execArgv, ...proc.argv.slice(1)], env)
  } catch {
    // what execve still throws (a worker thread, an argument it refuses): an allocator setting is not worth failing
    // the start for, so run as we are
  }
}
