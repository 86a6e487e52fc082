// npm test [-- files or tap options]: builds dist/ (the bundle tests and the engine assets need it), runs the unit
// tests two files at a time, then the integration, end-to-end and bundle tests one file at a time (each engine
// test starts its own engine), and ends with one line: "N passed, N failed[, N skipped]" (tap's assertion counts,
// summed over both runs; todo counts as skipped). Exits non-zero if anything failed or nothing ran.
//
// Extra arguments that name test files or folders pick what runs (each goes to the run of its kind); any other
// argument is passed to both tap runs, e.g. npm test -- test/unit/config.test.ts --grep=port
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { build } from './build.mjs'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const TEST_FILE = /\.test\.(ts|mts|cts|js|mjs|cjs)$/
const RUNS = [
  { name: 'unit', dirs: ['test/unit'], jobs: 2 },
  { name: 'integration, e2e and bundle', dirs: ['test/integration', 'test/e2e', 'test/bundle'], jobs: 1 },
]

/** Test files under a file or folder, sorted. */
function testFiles(target) {
  const stat = fs.statSync(target, { throwIfNoEntry: false })
  if (stat === undefined) return []
  if (!stat.isDirectory()) return TEST_FILE.test(target) ? [target] : []
  return fs
    .readdirSync(target)
    .sort()
    .flatMap((entry) => testFiles(path.join(target, entry)))
}

/** Splits extra arguments into test paths (per run) and tap options. */
function splitArgs(args) {
  const picked = RUNS.map(() => [])
  const options = []
  for (const arg of args) {
    const full = path.resolve(arg)
    const files = arg.startsWith('-') ? [] : testFiles(full)
    if (files.length === 0) {
      // a mistyped path must not fall back to running the whole suite
      if (!arg.startsWith('-') && (fs.existsSync(full) || /\.[cm]?[jt]s$|^test[/\\]/.test(arg))) {
        throw new Error(`No test files at ${arg}`)
      }
      options.push(arg)
      continue
    }
    for (const file of files) {
      const relative = path.relative(root, file)
      const unit = relative === 'test/unit' || relative.startsWith(`test/unit${path.sep}`)
      picked[unit ? 0 : 1].push(relative)
    }
  }
  const anyPicked = picked.some((files) => files.length > 0)
  return {
    options,
    files: anyPicked
      ? picked
      : RUNS.map((run) =>
          run.dirs.flatMap((dir) => testFiles(path.join(root, dir))).map((file) => path.relative(root, file)),
        ),
  }
}

/** Runs tap on files, echoing its output; resolves with the counts of its final `# { total: ... }` line. */
function runTap(files, jobs, options) {
  const tapPackage = require.resolve('tap/package.json')
  const tapBin = path.join(path.dirname(tapPackage), JSON.parse(fs.readFileSync(tapPackage, 'utf8')).bin.tap)
  const reporter =
    options.some((option) => option.startsWith('--reporter') || option === '-R') || process.stdout.isTTY
      ? []
      : ['--reporter=tap'] // plain TAP in logs; ink reporters draw with cursor codes
  const args = [tapBin, `--jobs=${jobs}`, ...reporter, ...options, ...files]
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['inherit', 'pipe', 'pipe'] })
    let counts = null
    let pending = ''
    const scan = (text) => {
      pending += text
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) counts = parseCounts(line) ?? counts
    }
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk)
      scan(chunk.toString('utf8'))
    })
    child.stderr.on('data', (chunk) => process.stderr.write(chunk))
    child.on('error', (error) => {
      console.error(`Cannot run tap: ${error.message}`)
      resolve({ counts: null, code: 1 })
    })
    child.on('close', (code, signal) => {
      counts = parseCounts(pending) ?? counts
      resolve({ counts, code: code ?? (signal ? 1 : 0) })
    })
  })
}

/** Runs tsc --noEmit on the project; true when it passes. */
function typecheck() {
  const tsc = require.resolve('typescript/bin/tsc')
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '-p', path.join(root, 'tsconfig.json')], {
    stdio: 'inherit',
  })
  return result.status === 0
}

/** Runs the pinned Prettier in check mode over the sources; true when every file is formatted. */
function formatCheck() {
  const prettier = path.join(path.dirname(require.resolve('prettier/package.json')), 'bin', 'prettier.cjs')
  const dirs = ['src', 'test', 'bench', 'scripts', 'types', 'examples'].filter((dir) =>
    fs.existsSync(path.join(root, dir)),
  )
  const result = spawnSync(process.execPath, [prettier, '--check', '--log-level=warn', ...dirs], {
    cwd: root,
    stdio: 'inherit',
  })
  return result.status === 0
}

/** Reads tap's summary comment, such as `# { total: 4, pass: 1, fail: 1, todo: 1, skip: 1 }`. */
export function parseCounts(line) {
  const match = /^# \{ (total: \d+(?:, \w+: \d+)*) \}\s*$/.exec(line.trim())
  if (!match?.[1]) return null
  const counts = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 }
  for (const part of match[1].split(', ')) {
    const [key, value] = part.split(': ')
    if (key !== undefined && key in counts) counts[key] = Number(value)
  }
  return counts
}

async function main() {
  let picked
  try {
    picked = splitArgs(process.argv.slice(2))
  } catch (error) {
    console.error(error.message)
    console.log('0 passed, 0 failed')
    return 1
  }
  const { options, files } = picked
  try {
    await build()
  } catch (error) {
    if (!Array.isArray(error?.errors)) console.error(error)
    console.log('0 passed, 1 failed (the build failed)')
    return 1
  }
  const total = { pass: 0, fail: 0, skip: 0 }
  const notes = []
  if (files.every((f) => f.length > 0) && !process.env.OXILLAMA_SKIP_TYPECHECK) {
    // a whole-suite run type-checks first: the tests run through tsx, which strips types without checking them
    console.log('\n# typecheck: tsc --noEmit')
    if (!typecheck()) {
      total.fail += 1
      notes.push('the typecheck failed')
    }
    console.log('\n# format: prettier --check (npm run format fixes it)')
    if (!formatCheck()) {
      total.fail += 1
      notes.push('some files are not formatted')
    }
  }
  for (const [index, run] of RUNS.entries()) {
    const runFiles = files[index] ?? []
    if (runFiles.length === 0) continue
    console.log(`\n# ${run.name} tests: ${runFiles.length} files, ${run.jobs} at a time`)
    const { counts, code } = await runTap(runFiles, run.jobs, options)
    if (counts === null) {
      total.fail += 1
      notes.push(`the ${run.name} run ended (exit code ${code}) without tap's summary`)
      continue
    }
    total.pass += counts.pass
    total.fail += counts.fail
    total.skip += counts.skip + counts.todo
    if (code !== 0 && counts.fail === 0) {
      total.fail += 1
      notes.push(`the ${run.name} run exited with code ${code} but reported no failed assertion`)
    }
  }
  if (total.pass + total.fail === 0) notes.push('no test ran')
  for (const note of notes) console.log(`# ${note}`)
  console.log(`${total.pass} passed, ${total.fail} failed${total.skip > 0 ? `, ${total.skip} skipped` : ''}`)
  return total.fail > 0 || total.pass === 0 ? 1 : 0
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code
    },
    (error) => {
      console.error(error)
      console.log('0 passed, 1 failed')
      process.exitCode = 1
    },
  )
}
