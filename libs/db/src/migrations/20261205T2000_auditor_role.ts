import { Kysely, sql } from 'kysely';

/** The read-only auditor role: sees every jurisdiction and the audit log, changes nothing; belongs to no agency. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table users drop constraint users_role_check;
    alter table users add constraint users_role_check
      check (role in ('admin', 'registry_clerk', 'enforcement_officer', 'agency_integration', 'auditor'));
    create index audit_log_action_at_idx on audit_log(action, at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index audit_log_action_at_idx;
    delete from users where role = 'auditor';
    alter table users drop constraint users_role_check;
    alter table users add constraint users_role_check
      check (role in ('admin', 'registry_clerk', 'enforcement_officer', 'agency_integration'));
  `.execute(db);
}
