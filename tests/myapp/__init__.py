"""A user's package defining registries of its own (``tests/test_user_registries.py``).

Its top-level package name, ``myapp``, is what the default table names start with.
"""
