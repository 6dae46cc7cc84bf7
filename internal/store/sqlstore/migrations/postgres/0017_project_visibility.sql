-- Project visibility: see the SQLite migration of the same number. Adding a column with a
-- constant default rewrites no rows on PostgreSQL 11 and later.
ALTER TABLE resources ADD COLUMN public boolean NOT NULL DEFAULT FALSE;
