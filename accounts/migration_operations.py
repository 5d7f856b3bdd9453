"""Migration operations any app's migrations may use (the lowest app: no layer above)."""

from django.db import migrations


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    """CREATE INDEX CONCURRENTLY on PostgreSQL: on the 10M-row messages table a build
    takes about a minute, and a plain CREATE INDEX would stop every send and receipt
    for as long. A plain CREATE INDEX elsewhere (SQLite: development and tests). The
    migration must set ``atomic = False``: CONCURRENTLY cannot run in a transaction."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, **self._how(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, **self._how(schema_editor))

    @staticmethod
    def _how(schema_editor) -> dict:
        return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
