-- Project visibility (issue 17): a public project gives collaborator to every principal
-- holding a role on its cloud. 0 is private, the default for new projects and for every
-- project created before this migration; clouds and the organization are always 0. No
-- index: the access-state loader reads every resource of an org anyway.
ALTER TABLE resources ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
