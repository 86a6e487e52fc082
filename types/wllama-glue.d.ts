// Types for wllama's glue serializer, which ships as TypeScript source only (src/engine/glue.ts imports it without
// an extension: tsx and esbuild find the .ts file, while tsc, which cannot resolve it, takes this declaration and so
// does not type-check wllama's own source under this project's stricter rules).
declare module '@wllama/wllama/src/glue/glue' {
  export function glueSerialize(message: { _name: string } & Record<string, unknown>): Uint8Array
  export function glueDeserialize(bytes: Uint8Array): { _name: string } & Record<string, unknown>
}
