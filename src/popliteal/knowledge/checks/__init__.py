"""The checks across files, one module per file checked: every id a file names exists, every
cited number's source is in sources.yaml, and the rules a single file's schema cannot see.

Each check appends to or returns the problems it finds, naming file, entry and field; the
loader runs them in one fixed order so the report reads the same each time.
"""
