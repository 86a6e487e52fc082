/**
 * Whether this process may set V8 flag `name` itself: on Node only (Deno and Bun are left as they are), and only
 * where the user did not set it (as --name=..., --name or --no-name, with dashes or underscores, on the command line
 * or in NODE_OPTIONS).
 */
export function mayTuneV8Flag(name: string): boolean {
  if ('Deno' in globalThis || process.versions.bun !== undefined) return false
  const userFlags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ')
  return !new RegExp(`--(no[-_])?${name.replace(/[-_]/g, '[-_]')}(?==|\\s|$)`).test(userFlags)
}
