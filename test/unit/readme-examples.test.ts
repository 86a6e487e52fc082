import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { REPO_ROOT } from '../helpers/paths.js'

// The README's runtime snippets are the files in examples/, which test/bundle/runtimes-*.test.ts run as written
const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')

for (const file of fs.readdirSync(path.join(REPO_ROOT, 'examples')).sort()) {
  t.test(`README.md holds examples/${file} verbatim in a code block`, async (t) => {
    const text = fs.readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8')
    t.ok(readme.includes(`\`\`\`${file.endsWith('.ts') ? 'ts' : 'js'}\n${text}\`\`\`\n`), file)
  })
}
