"""On PostgreSQL, the database itself refuses to change or delete an assigned allocation, and to
change the arm or the place of an unassigned one: the application refuses as well, but an SQL
console or another program must not be able to rewrite what a participant was allocated.

SQLite has no such trigger here; the application's refusal is the guard there."""

from __future__ import annotations

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION research_allocation_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.participant_id IS NOT NULL THEN
        RAISE EXCEPTION 'research_allocation %: an assigned allocation cannot be changed or deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'research_allocation %: the allocation sequence cannot be deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.arm_id IS DISTINCT FROM OLD.arm_id
       OR NEW.study_id IS DISTINCT FROM OLD.study_id
       OR NEW.stratum IS DISTINCT FROM OLD.stratum
       OR NEW.position IS DISTINCT FROM OLD.position
       OR NEW.block IS DISTINCT FROM OLD.block
       OR NEW.block_size IS DISTINCT FROM OLD.block_size
       OR NEW.generated_at IS DISTINCT FROM OLD.generated_at THEN
        RAISE EXCEPTION 'research_allocation %: only the assignment of an allocation can be written', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS research_allocation_immutable ON research_allocation;
CREATE TRIGGER research_allocation_immutable
    BEFORE UPDATE OR DELETE ON research_allocation
    FOR EACH ROW EXECUTE FUNCTION research_allocation_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS research_allocation_immutable ON research_allocation;
DROP FUNCTION IF EXISTS research_allocation_immutable();
"""


class PostgresOnlyRunSQL(migrations.RunSQL):
    """RunSQL applied only when the database is PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("research", "0001_initial")]

    operations = [PostgresOnlyRunSQL(FORWARD, BACKWARD)]
