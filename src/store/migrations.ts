/** One schema change: applied once, in order, inside the startup transaction. */
export type Migration = { id: string; sql: string }

// Kept as strings (not .sql files) because the server ships as one esbuild bundle.
// Plain PostgreSQL only, so a server-backed store can run the same statements.
// `body` is json (not jsonb): it keeps the object's text exactly, \u0000 included, which jsonb refuses.
// Columns beside it hold only what queries filter or sort on; seq orders objects created in the same second.

/** Every migration, oldest first; never edit one that has shipped, add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: '001-init',
    sql: `
CREATE TABLE assistants (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  created_at bigint NOT NULL,
  body json NOT NULL
);
CREATE INDEX assistants_order ON assistants (created_at, seq);

CREATE TABLE threads (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  created_at bigint NOT NULL,
  body json NOT NULL
);

CREATE TABLE messages (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  thread_id text NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  run_id text,
  created_at bigint NOT NULL,
  body json NOT NULL
);
CREATE INDEX messages_order ON messages (thread_id, created_at, seq);
CREATE INDEX messages_by_run ON messages (thread_id, run_id, created_at, seq) WHERE run_id IS NOT NULL;

CREATE TABLE runs (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  thread_id text NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  status text NOT NULL,
  created_at bigint NOT NULL,
  body json NOT NULL
);
CREATE INDEX runs_order ON runs (thread_id, created_at, seq);
CREATE INDEX runs_by_status ON runs (status);
CREATE UNIQUE INDEX runs_one_active ON runs (thread_id)
  WHERE status IN ('queued', 'in_progress', 'requires_action', 'cancelling');

CREATE TABLE run_steps (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  thread_id text NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  body json NOT NULL
);
CREATE INDEX run_steps_order ON run_steps (run_id, created_at, seq);
CREATE INDEX run_steps_thread ON run_steps (thread_id);
`,
  },
  {
    id: '002-files',
    sql: `
CREATE TABLE files (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  purpose text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint,
  body json NOT NULL
);
CREATE INDEX files_order ON files (created_at, seq);
CREATE INDEX files_expiry ON files (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE uploads (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  status text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  body json NOT NULL
);

CREATE TABLE upload_parts (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  upload_id text NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
  bytes bigint NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX upload_parts_by_upload ON upload_parts (upload_id);
`,
  },
  {
    id: '003-batches',
    sql: `
CREATE TABLE batches (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  status text NOT NULL,
  created_at bigint NOT NULL,
  body json NOT NULL
);
CREATE INDEX batches_order ON batches (created_at, seq);
CREATE INDEX batches_by_status ON batches (status);

CREATE TABLE batch_results (
  batch_id text NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
  line integer NOT NULL,
  ok boolean NOT NULL,
  output text NOT NULL,
  PRIMARY KEY (batch_id, line)
);
`,
  },
  {
    id: '004-responses',
    sql: `
CREATE TABLE responses (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  created_at bigint NOT NULL,
  body json NOT NULL
);

-- A response's input items in order; ids are not unique (a replayed item keeps the id it had in an output)
CREATE TABLE response_items (
  seq bigserial PRIMARY KEY,
  id text NOT NULL,
  response_id text NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  body json NOT NULL
);
CREATE INDEX response_items_order ON response_items (response_id, created_at, seq);
`,
  },
  {
    id: '005-conversations',
    sql: `
CREATE TABLE conversations (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  created_at bigint NOT NULL,
  body json NOT NULL
);

CREATE TABLE conversation_items (
  seq bigserial PRIMARY KEY,
  id text NOT NULL,
  conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  body json NOT NULL
);
CREATE INDEX conversation_items_order ON conversation_items (conversation_id, created_at, seq);
CREATE INDEX conversation_items_id ON conversation_items (conversation_id, id);
`,
  },
  {
    id: '006-batch-output-expiry',
    sql: `
-- output_expires_after.seconds of batches.create: not a field of the Batch object, so not in its body
ALTER TABLE batches ADD COLUMN output_expires_after bigint;
`,
  },
  {
    id: '007-background-responses',
    sql: `
-- status beside the body: restart recovery finds the background responses still queued or in progress
ALTER TABLE responses ADD COLUMN status text;
UPDATE responses SET status = body->>'status';
CREATE INDEX responses_by_status ON responses (status);
-- the create params of a background response, so a restart can run it
ALTER TABLE responses ADD COLUMN request json;

-- the numbered stream events of a background response, for GET ?stream=true&starting_after=N
CREATE TABLE response_events (
  response_id text NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  body json NOT NULL,
  PRIMARY KEY (response_id, seq)
);
`,
  },
]
