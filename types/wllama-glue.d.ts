// Types for wllama's glue serializer, which ships as TypeScript source only (src/engine/glue.ts imports it).
// tsconfig maps the import here so that tsc does not type-check wllama's own source under this project's rules.
export declare function glueSerialize(message: { _name: string } & Record<string, unknown>): Uint8Array
export declare function glueDeserialize(bytes: Uint8Array): { _name: string } & Record<string, unknown>
