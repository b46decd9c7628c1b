-- Emails and custom role names become unique per home (the organization, or
-- one workspace) instead of per organization, so that a customer creating a
-- user or a role never learns from a refusal what exists outside its
-- workspace. The existing unique constraints on (org_id, email_norm) and
-- (org_id, name_norm) stay; the columns now hold the home's workspace id
-- (empty for the organization) and a space before the normalized value.
UPDATE users SET email_norm = COALESCE(workspace_id, '') || ' ' || email_norm;
UPDATE roles SET name_norm = COALESCE(workspace_id, '') || ' ' || name_norm;
