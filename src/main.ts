import { ConfigError, HELP_TEXT, parseConfig } from './config.js'
import { VERSION } from './version.js'

// Placeholder entry point until the server is wired in: parses the flags and prints the resulting config.
function main(): void {
  let config
  try {
    config = parseConfig(process.argv.slice(2), process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`oxillama-server: ${error.message}\n`)
    process.exitCode = 2
    return
  }
  if (config.help) {
    process.stdout.write(HELP_TEXT)
    return
  }
  if (config.version) {
    process.stdout.write(`oxillama-server ${VERSION}\n`)
    return
  }
  process.stdout.write(`${JSON.stringify({ ...config, hfToken: config.hfToken && '***', apiKeys: config.apiKeys.map(() => '***') }, null, 2)}\n`)
}

main()
